package passkey_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/factor/passkey"
)

func TestLogin(t *testing.T) {
	for _, tc := range []struct {
		name string
		// secondFactor begins a login for the known user (BeginLogin) with
		// uv; otherwise a discoverable one.
		secondFactor bool
		uv           passkey.UserVerification
		origin       string
		// prepare turns the fixture's and the key's knobs before the
		// response is made.
		prepare func(f *fixture, a *account)
		want    error
		check   func(t *testing.T, f *fixture, c passkey.Credential)
	}{
		{name: "signs in with a discoverable passkey", origin: pageOrigin},
		{name: "signs in with allowCredentials as a second factor", secondFactor: true, origin: pageOrigin},
		{name: "accepts an origin listed as related", origin: relatedOrigin},
		{name: "refuses an origin not listed", origin: "https://acme.example", want: passkey.ErrCeremony},
		{name: "refuses another RP ID", origin: pageOrigin, want: passkey.ErrCeremony,
			prepare: func(_ *fixture, a *account) { a.key.rpID = "login.acme.com" }},
		{name: "refuses a discoverable login without user verification", origin: pageOrigin, want: passkey.ErrUserVerification,
			prepare: func(_ *fixture, a *account) { a.key.flags &^= flagUV }},
		{name: "accepts a second factor without user verification", secondFactor: true, origin: pageOrigin,
			prepare: func(_ *fixture, a *account) { a.key.flags &^= flagUV }},
		{name: "refuses a second factor without user verification when required", secondFactor: true,
			uv: passkey.VerificationRequired, origin: pageOrigin, want: passkey.ErrUserVerification,
			prepare: func(_ *fixture, a *account) { a.key.flags &^= flagUV }},
		{name: "accepts 0/0 counters of authenticators that keep none", origin: pageOrigin,
			check: func(t *testing.T, _ *fixture, c passkey.Credential) {
				if c.SignCount != 0 {
					t.Errorf("sign count = %d, want 0", c.SignCount)
				}
			}},
		{name: "records an increasing counter", origin: pageOrigin,
			prepare: func(f *fixture, a *account) { setCounter(f, a, 5); a.key.counter = 6 },
			check: func(t *testing.T, _ *fixture, c passkey.Credential) {
				if c.SignCount != 6 {
					t.Errorf("sign count = %d, want 6", c.SignCount)
				}
			}},
		{name: "refuses an equal non-zero counter as cloned", origin: pageOrigin, want: passkey.ErrCloned,
			prepare: func(f *fixture, a *account) { setCounter(f, a, 5); a.key.counter = 5 }},
		{name: "refuses a lower counter as cloned", origin: pageOrigin, want: passkey.ErrCloned,
			prepare: func(f *fixture, a *account) { setCounter(f, a, 5); a.key.counter = 3 }},
		{name: "refuses a counter that fell to zero as cloned", origin: pageOrigin, want: passkey.ErrCloned,
			prepare: func(f *fixture, a *account) { setCounter(f, a, 5); a.key.counter = 0 }},
		{name: "refuses a flipped backup-eligible flag", origin: pageOrigin, want: passkey.ErrCeremony,
			prepare: func(_ *fixture, a *account) { a.key.flags = flagUV }},
		{name: "records a backup-state change", origin: pageOrigin,
			prepare: func(_ *fixture, a *account) { a.key.flags = flagUV | flagBE },
			check: func(t *testing.T, _ *fixture, c passkey.Credential) {
				if !c.BackupEligible || c.BackupState {
					t.Errorf("backup eligible %t, state %t; want true, false", c.BackupEligible, c.BackupState)
				}
			}},
		{name: "refuses an expired session", origin: pageOrigin, want: passkey.ErrSessionExpired,
			prepare: func(f *fixture, _ *account) { f.clk.Advance(passkey.DefaultTimeout + time.Second) }},
		{name: "accepts a session a moment before expiry", origin: pageOrigin,
			prepare: func(f *fixture, _ *account) { f.clk.Advance(passkey.DefaultTimeout - time.Second) }},
		{name: "returns find's error when the user is gone", origin: pageOrigin, want: errNoUser,
			prepare: func(f *fixture, _ *account) { delete(f.accounts, "usr_1") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			a := f.enroll(t, "usr_1")
			var (
				options string
				sess    passkey.Session
				err     error
			)
			if tc.secondFactor {
				options, sess, err = f.svc.BeginLogin(f.rp, passkey.User{Handle: a.user.Handle}, []passkey.Credential{a.credential(t)}, tc.uv)
			} else {
				options, sess, err = f.svc.BeginDiscoverableLogin(f.rp)
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.prepare != nil {
				tc.prepare(f, a)
			}
			before := f.clk.Now()
			u, c, err := f.svc.FinishLogin(context.Background(), f.rp, roundTrip(t, sess), a.key.get(t, options, tc.origin), f.find)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("FinishLogin: %v, want %v", err, tc.want)
			}
			if err != nil {
				if u.Handle != nil || c.ID != nil {
					t.Errorf("refused login returned %+v, %+v", u, c)
				}
				return
			}
			if !bytes.Equal(u.Handle, a.user.Handle) || u.Name != a.user.Name {
				t.Errorf("user = %+v, want %+v", u, a.user)
			}
			if !bytes.Equal(c.ID, a.key.id) || !c.LastUsedAt.Equal(before) || !c.UserVerified {
				t.Errorf("credential = %+v", c)
			}
			if tc.check != nil {
				tc.check(t, f, c)
			}
		})
	}
}

// setCounter stores n as an account's signature counter.
func setCounter(_ *fixture, a *account, n uint32) {
	c, _ := passkey.Decode(a.stored)
	c.SignCount = n
	a.stored = c.Encode()
}

func TestLoginRefusesReplay(t *testing.T) {
	f := newFixture(t)
	a := f.enroll(t, "usr_1")
	options, sess, err := f.svc.BeginDiscoverableLogin(f.rp)
	if err != nil {
		t.Fatal(err)
	}
	response := a.key.get(t, options, pageOrigin)
	if _, _, err := f.svc.FinishLogin(context.Background(), f.rp, sess, response, f.find); err != nil {
		t.Fatalf("first use: %v", err)
	}
	_, next, err := f.svc.BeginDiscoverableLogin(f.rp)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.FinishLogin(context.Background(), f.rp, next, response, f.find); !errors.Is(err, passkey.ErrCeremony) {
		t.Fatalf("replayed against a new session: %v, want ErrCeremony", err)
	}
}

func TestLoginRefusesAnotherUsersCredential(t *testing.T) {
	for _, tc := range []struct {
		name         string
		secondFactor bool
		// claim makes the mallory's key name ana as its user.
		claim bool
		want  error
	}{
		{name: "second factor for ana answered with mallory's passkey", secondFactor: true, want: passkey.ErrUnknownCredential},
		{name: "discoverable login with mallory's passkey claiming ana's handle", claim: true, want: passkey.ErrUnknownCredential},
		{name: "second factor for ana answered with mallory's passkey claiming ana", secondFactor: true, claim: true, want: passkey.ErrUnknownCredential},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ana := f.enroll(t, "ana")
			mallory := f.enroll(t, "mallory")
			if tc.claim {
				mallory.key.handle = ana.user.Handle
			}
			var (
				options string
				sess    passkey.Session
				err     error
			)
			if tc.secondFactor {
				options, sess, err = f.svc.BeginLogin(f.rp, ana.user, []passkey.Credential{ana.credential(t)}, "")
			} else {
				options, sess, err = f.svc.BeginDiscoverableLogin(f.rp)
			}
			if err != nil {
				t.Fatal(err)
			}
			u, _, err := f.svc.FinishLogin(context.Background(), f.rp, sess, mallory.key.get(t, options, pageOrigin), f.find)
			if !errors.Is(err, tc.want) {
				t.Fatalf("FinishLogin: %v (user %q), want %v", err, u.Handle, tc.want)
			}
		})
	}
}

func TestLoginSecondFactorRefusesAHandleNamingAnotherUser(t *testing.T) {
	// Mallory's passkey registered to ana's account would be ana's; here
	// ana's key answers while claiming mallory's handle, so the handle in
	// the response and the session's disagree.
	f := newFixture(t)
	ana := f.enroll(t, "ana")
	f.enroll(t, "mallory")
	options, sess, err := f.svc.BeginLogin(f.rp, ana.user, []passkey.Credential{ana.credential(t)}, "")
	if err != nil {
		t.Fatal(err)
	}
	ana.key.handle = []byte("mallory")
	if _, _, err := f.svc.FinishLogin(context.Background(), f.rp, sess, ana.key.get(t, options, pageOrigin), f.find); !errors.Is(err, passkey.ErrCeremony) {
		t.Fatalf("FinishLogin: %v, want ErrCeremony", err)
	}
}

func TestBeginLoginOptions(t *testing.T) {
	f := newFixture(t)
	a := f.enroll(t, "usr_1")
	type options struct {
		Challenge        string
		Timeout          int
		RPID             string `json:"rpId"`
		AllowCredentials []struct {
			ID, Type   string
			Transports []string
		}
		UserVerification string
	}
	for _, tc := range []struct {
		name  string
		begin func() (string, passkey.Session, error)
		allow int
		uv    passkey.UserVerification
	}{
		{"discoverable: no allow list, verification required", func() (string, passkey.Session, error) { return f.svc.BeginDiscoverableLogin(f.rp) }, 0, passkey.VerificationRequired},
		{"second factor: allow list, verification preferred", func() (string, passkey.Session, error) {
			return f.svc.BeginLogin(f.rp, a.user, []passkey.Credential{a.credential(t)}, "")
		}, 1, passkey.VerificationPreferred},
		{"second factor: verification required on request", func() (string, passkey.Session, error) {
			return f.svc.BeginLogin(f.rp, a.user, []passkey.Credential{a.credential(t)}, passkey.VerificationRequired)
		}, 1, passkey.VerificationRequired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, sess, err := tc.begin()
			if err != nil {
				t.Fatal(err)
			}
			var o options
			if err := json.Unmarshal([]byte(raw), &o); err != nil {
				t.Fatal(err)
			}
			if o.RPID != "acme.com" || o.Challenge != sess.Challenge || o.Timeout != int(passkey.DefaultTimeout/time.Millisecond) ||
				o.UserVerification != string(tc.uv) || len(o.AllowCredentials) != tc.allow {
				t.Errorf("options %s", raw)
			}
			if tc.allow > 0 && (o.AllowCredentials[0].ID != b64u(a.key.id) || !slices.Equal(o.AllowCredentials[0].Transports, []string{"internal", "hybrid"})) {
				t.Errorf("allow list %+v", o.AllowCredentials)
			}
			if sess.Ceremony != passkey.CeremonyLogin || sess.UserVerification != tc.uv || len(sess.AllowedCredentialIDs) != tc.allow ||
				(tc.allow == 0) != (len(sess.UserHandle) == 0) {
				t.Errorf("session %+v", sess)
			}
		})
	}
}

func TestLoginNeedsNoRPName(t *testing.T) {
	f := newFixture(t)
	a := f.enroll(t, "usr_1")
	rp := passkey.RP{ID: f.rp.ID, Origins: f.rp.Origins}
	options, sess, err := f.svc.BeginDiscoverableLogin(rp)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.FinishLogin(context.Background(), rp, sess, a.key.get(t, options, pageOrigin), f.find); err != nil {
		t.Fatalf("FinishLogin: %v", err)
	}
}

func TestLoginHonoursContext(t *testing.T) {
	f := newFixture(t)
	a := f.enroll(t, "usr_1")
	options, sess, err := f.svc.BeginDiscoverableLogin(f.rp)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	find := func(ctx context.Context, h, id []byte) (passkey.User, []passkey.Credential, error) {
		called = true
		return f.find(ctx, h, id)
	}
	if _, _, err := f.svc.FinishLogin(ctx, f.rp, sess, a.key.get(t, options, pageOrigin), find); !errors.Is(err, context.Canceled) || called {
		t.Fatalf("FinishLogin with a cancelled context: %v (find called: %t)", err, called)
	}
}
