package totp

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/secrets"
)

// The stored value is compact JSON: the format version, the seed's
// parameters, the last time step a code was accepted for (0 before the
// first), and the seed sealed by the secrets service for this credential,
// in unpadded base64url:
//
//	{"v":1,"alg":"SHA1","digits":6,"period":30,"last":0,"seed":"<sealed>"}
//
// A 160-bit seed takes about 155 bytes; the largest seed allowed, about
// 300: well inside a credential's 4096.

// version is the one format so far; a new one gets a new number.
const version = 1

// maxStored is the longest stored value decode reads: a credential's
// secret is at most 4096 bytes.
const maxStored = 4096

// maxSealed bounds the sealed seed: the largest key plus the secrets
// service's header, nonce and tag, with room for a longer data key ID.
const maxSealed = MaxKeyBytes + 256

// record is a decoded stored value.
type record struct {
	V      int    `json:"v"`
	Alg    string `json:"alg"`
	Digits int    `json:"digits"`
	Period int    `json:"period"`
	Last   int64  `json:"last"`
	Seed   string `json:"seed"`
	sealed []byte // Seed decoded
}

var b64 = base64.RawURLEncoding.Strict()

// encode returns the stored value of r.
func (r record) encode() (string, error) {
	r.V = version
	b, err := json.Marshal(r)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// decode parses a stored value, refusing anything encode would not write:
// unknown fields or versions, trailing data, parameters out of bounds, a
// negative step, a sealed seed that is not unpadded base64url or is
// empty or too long. Errors wrap ErrMalformed and never quote the value.
func decode(stored string) (record, error) {
	if len(stored) > maxStored {
		return record{}, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, maxStored)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(stored)))
	dec.DisallowUnknownFields()
	var r record
	if err := dec.Decode(&r); err != nil {
		return record{}, fmt.Errorf("%w: not the JSON of a TOTP seed", ErrMalformed)
	}
	if dec.More() {
		return record{}, fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	if r.V != version {
		return record{}, fmt.Errorf("%w: unknown version %d", ErrMalformed, r.V)
	}
	if err := (Seed{Key: make([]byte, MinKeyBytes), Algorithm: r.Alg, Digits: r.Digits, Period: r.Period}).check(); err != nil {
		return record{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if r.Last < 0 {
		return record{}, fmt.Errorf("%w: negative time step", ErrMalformed)
	}
	sealed, err := b64.DecodeString(r.Seed)
	if err != nil || len(sealed) == 0 || len(sealed) > maxSealed {
		return record{}, fmt.Errorf("%w: sealed seed is not 1 to %d bytes of unpadded base64url", ErrMalformed, maxSealed)
	}
	r.sealed = sealed
	return r, nil
}

// binding is where the seed of credential id is sealed.
func binding(credentialID string) secrets.Binding {
	return secrets.Binding{Purpose: Purpose, Row: credentialID}
}

// maxCredentialID bounds a credential ID; real ones are "cred_" and a
// short random part.
const maxCredentialID = 128

// checkCredentialID refuses an ID no credential has, with an
// *invalid.Error naming "credential_id".
func checkCredentialID(id string) error {
	switch {
	case id == "":
		return invalid.Field("credential_id", "must not be empty")
	case len(id) > maxCredentialID:
		return invalid.Field("credential_id", "must be at most %d bytes", maxCredentialID)
	case strings.IndexFunc(id, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsPrint(r) || r == ' ' }) >= 0:
		return invalid.Field("credential_id", "must be printable ASCII without spaces")
	}
	return nil
}

// Seal returns the stored value of seed for the credential credentialID:
// the seed sealed by the secrets service for that credential (so that a
// value copied to another credential does not open), its parameters, and
// no time step used yet. The value is printable ASCII, at most about 300
// bytes. A seed out of bounds (see Seed) or an empty or unprintable
// credential ID is refused with *invalid.Error values.
func (s *Service) Seal(credentialID string, seed Seed) (string, error) {
	if err := joinErrs(checkCredentialID(credentialID), seed.check()); err != nil {
		return "", err
	}
	sealed, err := s.secrets.Seal(binding(credentialID), seed.Key)
	if err != nil {
		return "", fmt.Errorf("totp: seal seed: %w", err)
	}
	out, err := record{Alg: seed.Algorithm, Digits: seed.Digits, Period: seed.Period, Seed: b64.EncodeToString(sealed)}.encode()
	if err != nil {
		return "", fmt.Errorf("totp: seal seed: %w", err)
	}
	return out, nil
}
