package passkey

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"
)

// Bounds of a stored credential.
const (
	// MaxEncodedLen is the longest Encode output Decode accepts, in bytes:
	// the directory's limit on a credential's secret.
	MaxEncodedLen = 4096
	// MaxCredentialIDLen is the WebAuthn limit on a credential ID.
	MaxCredentialIDLen = 1023
	// MaxPublicKeyLen bounds the COSE public key; an RSA-4096 key takes
	// about 550 bytes.
	MaxPublicKeyLen = 1024
)

// recordVersion is the version of the stored form Encode writes.
const recordVersion = 1

// Credential is a registered passkey: the WebAuthn credential record.
// FinishRegistration makes one and FinishLogin returns it updated; the
// caller stores Encode's output and reads it back with Decode.
type Credential struct {
	// ID is the credential ID the authenticator chose, 1 to
	// MaxCredentialIDLen bytes. The caller must refuse to register an ID
	// already registered (to anyone).
	ID []byte
	// PublicKey is the COSE-encoded public key.
	PublicKey []byte
	// AttestationType ("none", "self", "basic_full", ...) and
	// AttestationFormat ("none", "packed", ...) are what the registration
	// response attested; Lintel asks for none.
	AttestationType   string
	AttestationFormat string
	// AAGUID names the authenticator model (16 bytes; all zero when the
	// authenticator does not say), or is empty.
	AAGUID []byte
	// SignCount is the last signature counter seen; 0 for authenticators
	// that keep none (most synced passkeys).
	SignCount uint32
	// Transports are how the browser can reach the authenticator ("usb",
	// "nfc", "ble", "smart-card", "hybrid", "internal"), sent back as hints
	// in allow and exclude lists.
	Transports []string
	// UserVerified is set once the authenticator verified the person with
	// this credential (at registration, where Lintel requires it).
	UserVerified bool
	// BackupEligible says the credential may be synced (a passkey in a
	// password manager or platform keychain); it never changes.
	BackupEligible bool
	// BackupState says the credential is currently backed up or synced;
	// it may change at any sign-in.
	BackupState bool
	// CreatedAt is when it was registered; LastUsedAt when it last signed
	// someone in (zero if never). Both come from the Service's clock.
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// record is the stored form of a Credential, version 1: compact JSON with
// short stable names and unpadded base64url bytes.
type record struct {
	V          int       `json:"v"`
	ID         b64       `json:"id"`
	PublicKey  b64       `json:"pk"`
	AttType    string    `json:"att,omitempty"`
	AttFormat  string    `json:"fmt,omitempty"`
	AAGUID     b64       `json:"aaguid,omitempty"`
	SignCount  uint32    `json:"sc,omitempty"`
	Transports []string  `json:"tr,omitempty"`
	UV         bool      `json:"uv,omitempty"`
	BE         bool      `json:"be,omitempty"`
	BS         bool      `json:"bs,omitempty"`
	Created    time.Time `json:"created"`
	Used       time.Time `json:"used,omitzero"`
}

// b64 is bytes as unpadded base64url, strict: each value has one
// encoding.
type b64 []byte

func b64enc() *base64.Encoding { return base64.RawURLEncoding.Strict() }

func (b b64) MarshalJSON() ([]byte, error) { return json.Marshal(b64enc().EncodeToString(b)) }

func (b *b64) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	d, err := b64enc().DecodeString(s)
	if err != nil || b64enc().EncodeToString(d) != s {
		return errors.New("not unpadded base64url")
	}
	*b = d
	return nil
}

// Encode returns the credential's stored form: compact JSON, printable
// ASCII, versioned ({"v":1,...}), with bytes in unpadded base64url and
// times in RFC 3339 UTC. A credential from FinishRegistration encodes to
// well under MaxEncodedLen bytes (about 300 for an ES256 passkey).
func (c Credential) Encode() string {
	r := record{
		V: recordVersion, ID: c.ID, PublicKey: c.PublicKey, AttType: c.AttestationType, AttFormat: c.AttestationFormat,
		AAGUID: c.AAGUID, SignCount: c.SignCount, Transports: c.Transports,
		UV: c.UserVerified, BE: c.BackupEligible, BS: c.BackupState,
		Created: c.CreatedAt.UTC(), Used: c.LastUsedAt.UTC(),
	}
	b, err := json.Marshal(r)
	if err != nil {
		// Only a time outside years 0..9999 fails to marshal, which no
		// clock gives; keep the passkey rather than lose it.
		r.Created, r.Used = time.Unix(0, 0).UTC(), time.Time{}
		b, _ = json.Marshal(r)
	}
	return string(b)
}

// Decode parses a credential's stored form (Encode). It accepts exactly
// version 1 as Encode writes it: no unknown fields or trailing data, at
// most MaxEncodedLen bytes, an ID of 1 to MaxCredentialIDLen bytes, a
// COSE public key the library can use, a 16-byte AAGUID or none, known
// transports, a creation time, and BackupState only with BackupEligible.
// Anything else returns ErrMalformedCredential, without quoting the input.
func Decode(s string) (Credential, error) {
	bad := func(what string) (Credential, error) {
		return Credential{}, fmt.Errorf("%w: %s", ErrMalformedCredential, what)
	}
	if len(s) > MaxEncodedLen {
		return bad("too long")
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.DisallowUnknownFields()
	var r record
	if err := dec.Decode(&r); err != nil {
		return bad("not a stored passkey")
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("trailing data")
	}
	switch {
	case r.V != recordVersion:
		return bad("unsupported version")
	case len(r.ID) == 0 || len(r.ID) > MaxCredentialIDLen:
		return bad("credential ID length")
	case len(r.PublicKey) == 0 || len(r.PublicKey) > MaxPublicKeyLen:
		return bad("public key length")
	case len(r.AAGUID) != 0 && len(r.AAGUID) != 16:
		return bad("AAGUID length")
	case !token(r.AttType) || !token(r.AttFormat):
		return bad("attestation")
	case !knownTransports(r.Transports):
		return bad("transports")
	case r.Created.IsZero():
		return bad("creation time")
	case r.BS && !r.BE:
		return bad("backup state without backup eligibility")
	}
	if _, err := webauthncose.ParsePublicKey(r.PublicKey); err != nil {
		return bad("public key")
	}
	return Credential{
		ID: r.ID, PublicKey: r.PublicKey, AttestationType: r.AttType, AttestationFormat: r.AttFormat,
		AAGUID: r.AAGUID, SignCount: r.SignCount, Transports: r.Transports,
		UserVerified: r.UV, BackupEligible: r.BE, BackupState: r.BS,
		CreatedAt: r.Created.UTC(), LastUsedAt: r.Used.UTC(),
	}, nil
}

// token reports whether s is empty or a short identifier as attestation
// types and formats are ("basic_full", "android-key").
func token(s string) bool {
	if len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// transports are the WebAuthn transports Lintel records, in the order
// Transports are kept.
var transports = []protocol.AuthenticatorTransport{
	protocol.Internal, protocol.Hybrid, protocol.USB, protocol.NFC, protocol.BLE, protocol.SmartCard,
}

// knownTransports reports whether ts are distinct known transports.
func knownTransports(ts []string) bool {
	for i, t := range ts {
		if !slices.Contains(transports, protocol.AuthenticatorTransport(t)) || slices.Contains(ts[:i], t) {
			return false
		}
	}
	return true
}

// keepTransports returns the known transports among ts, deduplicated, in
// the order of transports; browsers may report ones from later
// specifications, which are dropped rather than stored unchecked.
func keepTransports(ts []protocol.AuthenticatorTransport) []string {
	var out []string
	for _, t := range transports {
		if slices.Contains(ts, t) {
			out = append(out, string(t))
		}
	}
	return out
}

// library returns the credential as the library's record.
func (c Credential) library() webauthn.Credential {
	flags := protocol.FlagUserPresent
	if c.UserVerified {
		flags |= protocol.FlagUserVerified
	}
	if c.BackupEligible {
		flags |= protocol.FlagBackupEligible
	}
	if c.BackupState {
		flags |= protocol.FlagBackupState
	}
	ts := make([]protocol.AuthenticatorTransport, len(c.Transports))
	for i, t := range c.Transports {
		ts[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID: c.ID, PublicKey: c.PublicKey, AttestationType: c.AttestationType, AttestationFormat: c.AttestationFormat,
		Transport: ts, Flags: webauthn.NewCredentialFlags(flags),
		Authenticator: webauthn.Authenticator{AAGUID: c.AAGUID, SignCount: c.SignCount},
	}
}

// descriptors returns the credentials as allow or exclude list entries.
func descriptors(cs []Credential) []protocol.CredentialDescriptor {
	out := make([]protocol.CredentialDescriptor, len(cs))
	for i, c := range cs {
		out[i] = (&webauthn.Credential{ID: c.ID, Transport: c.library().Transport}).Descriptor()
	}
	return out
}
