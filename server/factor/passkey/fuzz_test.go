package passkey_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/factor/passkey"
)

// mutations returns variants of a valid response for seed corpora:
// truncated, emptied fields, swapped encodings, wrong types.
func mutations(valid string) []string {
	out := []string{valid, "", "{}", "null", "[]", `{"id":"","rawId":"","type":"public-key","response":{}}`,
		valid[:len(valid)/2], valid + " ", valid + "{}", strings.Replace(valid, `"public-key"`, `"password"`, 1),
		strings.Replace(valid, `"clientDataJSON":"`, `"clientDataJSON":"AA`, 1),
		strings.Replace(valid, `"clientDataJSON":"`, `"clientDataJSON":1,"x":"`, 1),
		strings.Replace(valid, `"authenticatorData":"`, `"authenticatorData":"SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MF`, 1),
		strings.Replace(valid, `"attestationObject":"`, `"attestationObject":"o2NmbXRkbm9uZQ`, 1),
		strings.Replace(valid, `"signature":"`, `"signature":"MEUCIQ`, 1),
		strings.Replace(valid, `"userHandle":"`, `"userHandle":"=`, 1),
		strings.ReplaceAll(valid, `"`, `'`),
	}
	return out
}

// withField returns response with response.<name> set to the base64url
// of raw, so that fuzzing reaches the CBOR and binary parsers behind a
// well-formed JSON envelope; response itself when raw is empty or the
// envelope does not parse.
func withField(response, name string, raw []byte) string {
	var m map[string]any
	if len(raw) == 0 || json.Unmarshal([]byte(response), &m) != nil {
		return response
	}
	inner, ok := m["response"].(map[string]any)
	if !ok {
		return response
	}
	inner[name] = b64u(raw)
	b, _ := json.Marshal(m)
	return string(b)
}

// field returns the decoded response.<name> of a valid response.
func field(t testing.TB, response, name string) []byte {
	t.Helper()
	var m struct{ Response map[string]any }
	if err := json.Unmarshal([]byte(response), &m); err != nil {
		t.Fatal(err)
	}
	s, _ := m.Response[name].(string)
	return unb64u(t, s)
}

// wellKnown reports whether err is one of the errors FinishLogin and
// FinishRegistration promise for bad responses.
func wellKnown(err error) bool {
	for _, e := range []error{passkey.ErrCeremony, passkey.ErrUnknownCredential, passkey.ErrUserVerification, passkey.ErrCloned, errNoUser} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func FuzzFinishLogin(f *testing.F) {
	fx := newFixture(f)
	a := fx.enroll(f, "usr_1")
	discoverableOptions, discoverable, err := fx.svc.BeginDiscoverableLogin(fx.rp)
	if err != nil {
		f.Fatal(err)
	}
	secondOptions, second, err := fx.svc.BeginLogin(fx.rp, a.user, []passkey.Credential{a.credential(f)}, "")
	if err != nil {
		f.Fatal(err)
	}
	valid := a.key.get(f, discoverableOptions, pageOrigin)
	authData := field(f, valid, "authenticatorData")
	for _, s := range mutations(valid) {
		f.Add(s, true, []byte(nil))
	}
	for _, s := range mutations(a.key.get(f, secondOptions, pageOrigin)) {
		f.Add(s, false, []byte(nil))
	}
	for _, raw := range [][]byte{authData, authData[:37], append(authData[:32:32], 0xc5, 0, 0, 0, 1, 0xa1, 0x01, 0x02), {0}} {
		f.Add(valid, true, raw)
	}
	f.Fuzz(func(t *testing.T, response string, isDiscoverable bool, authenticatorData []byte) {
		sess := second
		if isDiscoverable {
			sess = discoverable
		}
		response = withField(response, "authenticatorData", authenticatorData)
		u, c, err := fx.svc.FinishLogin(context.Background(), fx.rp, sess, response, fx.find)
		if err != nil {
			if !wellKnown(err) {
				t.Fatalf("FinishLogin: unexpected error kind: %v", err)
			}
			return
		}
		if !bytes.Equal(u.Handle, a.user.Handle) || !bytes.Equal(c.ID, a.key.id) {
			t.Fatalf("FinishLogin accepted %q as user %q credential %x", response, u.Handle, c.ID)
		}
	})
}

func FuzzFinishRegistration(f *testing.F) {
	fx := newFixture(f)
	k := newSoftKey(f)
	u := passkey.User{Handle: []byte("usr_1"), Name: "ana@acme.com"}
	options, sess, err := fx.svc.BeginRegistration(fx.rp, u, nil)
	if err != nil {
		f.Fatal(err)
	}
	valid := k.create(f, options, pageOrigin)
	attObj := field(f, valid, "attestationObject")
	for _, s := range mutations(valid) {
		f.Add(s, []byte(nil))
	}
	for _, raw := range [][]byte{attObj, attObj[:len(attObj)/2], attObj[:len(attObj)-1], {0xa0}, {0xa1, 0x63, 'f', 'm', 't', 0x66, 'p', 'a', 'c', 'k', 'e', 'd'}} {
		f.Add(valid, raw)
	}
	f.Fuzz(func(t *testing.T, response string, attestationObject []byte) {
		response = withField(response, "attestationObject", attestationObject)
		c, err := fx.svc.FinishRegistration(fx.rp, sess, u, response)
		if err != nil {
			if !wellKnown(err) {
				t.Fatalf("FinishRegistration: unexpected error kind: %v", err)
			}
			return
		}
		if _, err := passkey.Decode(c.Encode()); err != nil {
			t.Fatalf("registered a credential that does not decode: %v", err)
		}
	})
}

func FuzzDecode(f *testing.F) {
	valid := fixedCredential(f).Encode()
	for _, s := range []string{
		valid, "", "{}", "null", `{"v":1}`, valid[:len(valid)-1], valid + "\n", strings.Replace(valid, `"v":1`, `"v":1.0`, 1),
		strings.Replace(valid, `"sc":42`, `"sc":4294967296`, 1), strings.Replace(valid, `"created":"2026`, `"created":"0000`, 1),
		strings.Replace(valid, `"id":"`, `"id":"\u0000`, 1), `{"v":1,"id":"AA","pk":"AA","created":"2026-03-01T12:00:00Z"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := passkey.Decode(s)
		if err != nil {
			if !errors.Is(err, passkey.ErrMalformedCredential) {
				t.Fatalf("Decode: unexpected error kind: %v", err)
			}
			return
		}
		// What decodes re-encodes to something that decodes the same.
		again, err := passkey.Decode(c.Encode())
		if err != nil || again.Encode() != c.Encode() {
			t.Fatalf("Decode(%q) = %+v does not round-trip: %v", s, c, err)
		}
		if len(c.Encode()) > passkey.MaxEncodedLen {
			t.Fatalf("decoded credential encodes to %d bytes", len(c.Encode()))
		}
	})
}

func FuzzRPID(f *testing.F) {
	for _, s := range []string{
		"login.acme.com", "LOGIN.acme.co.uk.:443", "acme.id.example.com", "localhost:8080", "127.0.0.1", "[::1]:80",
		"::1", "co.uk", "", ".", ":", "a..b", "xn--bcher-kva.de", "a.b.c.d.e.f.g.h", "login.acme.com:", "[", "acme.com.:x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		id, err := passkey.RPID(host, "id.example.com")
		if err != nil {
			if !errors.Is(err, passkey.ErrNoRPID) || id != "" {
				t.Fatalf("RPID(%q) = %q, %v", host, id, err)
			}
			return
		}
		// An RP ID is a lowercase DNS name that is the host or a suffix of it.
		if id != strings.ToLower(id) || id == "" || strings.HasSuffix(id, ".") ||
			!strings.Contains(strings.ToLower(host), id) {
			t.Fatalf("RPID(%q) = %q", host, id)
		}
		if again, err := passkey.RPID(id, "id.example.com"); err != nil || again != id {
			t.Fatalf("RPID(%q) = %q, but RPID(%q) = %q, %v", host, id, id, again, err)
		}
	})
}
