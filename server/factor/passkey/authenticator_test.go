package passkey_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// Authenticator data flags (WebAuthn §6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagBS = 0x10
	flagAT = 0x40
)

// softKey is a software authenticator holding one ES256 passkey, with
// "none" attestation, playing the browser's part too: it reads the
// options JSON, builds clientDataJSON and authenticator data, signs, and
// returns what credential.toJSON() would. Its fields are the knobs tests
// turn to make wrong responses.
type softKey struct {
	key    *ecdsa.PrivateKey
	id     []byte
	handle []byte // the user handle stored at registration
	// rpID, when set, is the RP ID hashed into the authenticator data
	// instead of the one in the options.
	rpID string
	// flags are the UV, BE and BS bits of the next response (UP is always
	// set, AT at registration).
	flags byte
	// counter is the signature counter of the next response.
	counter uint32
	// cose, when set, replaces the COSE public key at registration.
	cose []byte
}

// newSoftKey returns a key that verifies the user and is backup-eligible
// and backed up, like a synced passkey, with no counter.
func newSoftKey(t testing.TB) *softKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return &softKey{key: k, id: id, flags: flagUV | flagBE | flagBS}
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func unb64u(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("options: %v", err)
	}
	return b
}

// clientData returns clientDataJSON as a browser on origin builds it.
func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// authData returns authenticator data: the RP ID hash, flags, counter and,
// when attested is set, the attested credential data with the COSE key.
func (k *softKey) authData(t testing.TB, rpID string, attested bool) []byte {
	t.Helper()
	if k.rpID != "" {
		rpID = k.rpID
	}
	h := sha256.Sum256([]byte(rpID))
	flags := k.flags | flagUP
	if attested {
		flags |= flagAT
	}
	out := append(h[:], flags)
	out = binary.BigEndian.AppendUint32(out, k.counter)
	if !attested {
		return out
	}
	out = append(out, make([]byte, 16)...) // AAGUID: not disclosed
	out = binary.BigEndian.AppendUint16(out, uint16(len(k.id)))
	out = append(out, k.id...)
	if k.cose != nil {
		return append(out, k.cose...)
	}
	pub, err := k.key.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	raw := pub.Bytes() // 0x04 || x || y
	cose, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		t.Fatal(err)
	}
	key, err := cose.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: raw[1:33], -3: raw[33:]})
	if err != nil {
		t.Fatal(err)
	}
	return append(out, key...)
}

// create answers registration options as navigator.credentials.create on
// origin would, remembering the user handle.
func (k *softKey) create(t testing.TB, options, origin string) string {
	t.Helper()
	var o struct {
		RP        struct{ ID string }
		User      struct{ ID string }
		Challenge string
	}
	if err := json.Unmarshal([]byte(options), &o); err != nil {
		t.Fatalf("registration options: %v", err)
	}
	k.handle = unb64u(t, o.User.ID)
	att, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": k.authData(t, o.RP.ID, true)})
	if err != nil {
		t.Fatal(err)
	}
	return k.respond(map[string]any{
		"clientDataJSON":    b64u(clientData("webauthn.create", o.Challenge, origin)),
		"attestationObject": b64u(att),
		"transports":        []string{"hybrid", "internal", "future-transport"},
	})
}

// get answers request options as navigator.credentials.get on origin
// would.
func (k *softKey) get(t testing.TB, options, origin string) string {
	t.Helper()
	var o struct {
		RPID      string `json:"rpId"`
		Challenge string
	}
	if err := json.Unmarshal([]byte(options), &o); err != nil {
		t.Fatalf("request options: %v", err)
	}
	cd := clientData("webauthn.get", o.Challenge, origin)
	ad := k.authData(t, o.RPID, false)
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte(nil), ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return k.respond(map[string]any{
		"clientDataJSON":    b64u(cd),
		"authenticatorData": b64u(ad),
		"signature":         b64u(sig),
		"userHandle":        b64u(k.handle),
	})
}

// respond wraps an authenticator response as credential.toJSON() does.
func (k *softKey) respond(response map[string]any) string {
	b, _ := json.Marshal(map[string]any{
		"id": b64u(k.id), "rawId": b64u(k.id), "type": "public-key",
		"response": response, "authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
	})
	return string(b)
}
