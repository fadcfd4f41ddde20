package passkey_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/factor/passkey"
)

func TestFinishRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	a := f.enroll(t, "usr_1")
	loginOptions, loginSess, err := f.svc.BeginDiscoverableLogin(f.rp)
	if err != nil {
		t.Fatal(err)
	}
	regOptions, regSess, err := f.svc.BeginRegistration(f.rp, a.user, nil)
	if err != nil {
		t.Fatal(err)
	}
	login := func(sess passkey.Session, rp passkey.RP, response string) error {
		_, _, err := f.svc.FinishLogin(context.Background(), rp, sess, response, f.find)
		return err
	}
	register := func(sess passkey.Session, rp passkey.RP, response string) error {
		_, err := f.svc.FinishRegistration(rp, sess, a.user, response)
		return err
	}
	other := f.rp
	other.ID = "login.acme.com"
	noHandle := newSoftKey(t)
	noHandle.id = a.key.id
	for _, tc := range []struct {
		name        string
		err         error
		want        error
		wantInvalid bool
	}{
		{"refuses an empty login response", login(loginSess, f.rp, ""), passkey.ErrCeremony, true},
		{"refuses a login response that is not JSON", login(loginSess, f.rp, "{"), passkey.ErrCeremony, true},
		{"refuses a login response of another shape", login(loginSess, f.rp, `{"id":"AA","rawId":"AA","type":"public-key","response":{}}`), passkey.ErrCeremony, true},
		{"refuses a registration response for a login", login(loginSess, f.rp, a.key.create(t, regOptions, pageOrigin)), passkey.ErrCeremony, true},
		{"refuses an overlong login response", login(loginSess, f.rp, string(make([]byte, passkey.MaxResponseLen+1))), passkey.ErrCeremony, true},
		{"refuses a discoverable login without a user handle", login(loginSess, f.rp, noHandle.get(t, loginOptions, pageOrigin)), passkey.ErrCeremony, false},
		{"refuses a registration session for a login", login(regSess, f.rp, a.key.get(t, loginOptions, pageOrigin)), passkey.ErrCeremony, false},
		{"refuses a login session of another RP ID", login(loginSess, other, a.key.get(t, loginOptions, pageOrigin)), passkey.ErrCeremony, false},
		{"refuses an empty registration response", register(regSess, f.rp, ""), passkey.ErrCeremony, true},
		{"refuses a registration response that is not JSON", register(regSess, f.rp, "[]"), passkey.ErrCeremony, true},
		{"refuses a login response for a registration", register(regSess, f.rp, a.key.get(t, loginOptions, pageOrigin)), passkey.ErrCeremony, true},
		{"refuses a login session for a registration", register(loginSess, f.rp, a.key.create(t, regOptions, pageOrigin)), passkey.ErrCeremony, false},
		{"refuses a session without expiry", register(passkey.Session{Ceremony: passkey.CeremonyRegistration, RPID: "acme.com", UserVerification: passkey.VerificationRequired}, f.rp, "{}"), passkey.ErrSessionExpired, false},
		{"refuses an RP without origins", register(regSess, passkey.RP{ID: "acme.com"}, "{}"), nil, true},
		{"refuses an RP with an http origin", login(loginSess, passkey.RP{ID: "acme.com", Origins: []string{"http://login.acme.com"}}, "{}"), nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("accepted")
			}
			if tc.want != nil && !errors.Is(tc.err, tc.want) {
				t.Errorf("error %v, want %v", tc.err, tc.want)
			}
			if invalid.Is(tc.err) != tc.wantInvalid {
				t.Errorf("error %v: invalid.Is = %t, want %t", tc.err, invalid.Is(tc.err), tc.wantInvalid)
			}
		})
	}
}

func TestBeginRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	a := f.enroll(t, "usr_1")
	c := a.credential(t)
	rp := f.rp
	for _, tc := range []struct {
		name  string
		err   error
		field string
	}{
		{"registration without a user handle", beginReg(f, rp, passkey.User{Name: "ana"}), "user.handle"},
		{"registration with an overlong user handle", beginReg(f, rp, passkey.User{Handle: make([]byte, 65), Name: "ana"}), "user.handle"},
		{"registration without a user name", beginReg(f, rp, passkey.User{Handle: []byte("u")}), "user.name"},
		{"registration without an RP name", beginReg(f, passkey.RP{ID: rp.ID, Origins: rp.Origins}, a.user), "rp.name"},
		{"registration for an IP RP ID", beginReg(f, passkey.RP{ID: "127.0.0.1", Name: "x", Origins: rp.Origins}, a.user), "rp.id"},
		{"registration on an origin with a path", beginReg(f, passkey.RP{ID: rp.ID, Name: "x", Origins: []string{"https://acme.com/login"}}, a.user), "rp.origins[0]"},
		{"second factor without passkeys", beginLogin(f, rp, a.user, nil, ""), "allow"},
		{"second factor without a user", beginLogin(f, rp, passkey.User{}, []passkey.Credential{c}, ""), "user.handle"},
		{"second factor with an unknown requirement", beginLogin(f, rp, a.user, []passkey.Credential{c}, "discouraged"), "user_verification"},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			var fields []string
			for _, e := range invalid.All(tc.err) {
				fields = append(fields, e.Field)
			}
			if !slices.Contains(fields, tc.field) {
				t.Errorf("error %v names %q, want %q", tc.err, fields, tc.field)
			}
		})
	}
}

func beginReg(f *fixture, rp passkey.RP, u passkey.User) error {
	_, _, err := f.svc.BeginRegistration(rp, u, nil)
	return err
}

func beginLogin(f *fixture, rp passkey.RP, u passkey.User, allow []passkey.Credential, uv passkey.UserVerification) error {
	_, _, err := f.svc.BeginLogin(rp, u, allow, uv)
	return err
}

func TestSessionJSONFieldNames(t *testing.T) {
	s := passkey.Session{
		Ceremony: passkey.CeremonyLogin, Challenge: "Y2hhbGxlbmdlLWNoYWxsZW5nZQ", RPID: "acme.com",
		UserHandle: []byte("usr_1"), AllowedCredentialIDs: [][]byte{{1, 2}}, UserVerification: passkey.VerificationPreferred,
		ExpiresAt: time.Date(2026, 3, 1, 12, 5, 0, 0, time.UTC),
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"ceremony":"login","challenge":"Y2hhbGxlbmdlLWNoYWxsZW5nZQ","rp_id":"acme.com","user_handle":"dXNyXzE=",` +
		`"allowed_credential_ids":["AQI="],"user_verification":"preferred","expires_at":"2026-03-01T12:05:00Z"}`
	if string(b) != want {
		t.Errorf("session JSON\n got %s\nwant %s", b, want)
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		name string
		deps passkey.Deps
		ok   bool
	}{
		{"accepts a clock and the default timeout", passkey.Deps{Clock: clock.System()}, true},
		{"accepts the longest timeout", passkey.Deps{Clock: clock.System(), Timeout: passkey.MaxTimeout}, true},
		{"refuses no clock", passkey.Deps{}, false},
		{"refuses a timeout too short", passkey.Deps{Clock: clock.System(), Timeout: time.Second}, false},
		{"refuses a timeout too long", passkey.Deps{Clock: clock.System(), Timeout: time.Hour}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := passkey.New(tc.deps)
			if (err == nil) != tc.ok || (s != nil) != tc.ok {
				t.Errorf("New = %v, %v", s, err)
			}
		})
	}
}
