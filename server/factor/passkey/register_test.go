package passkey_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/factor/passkey"
)

func TestRegistration(t *testing.T) {
	// hugeRSAKey is the COSE key of an RS256 key with a 9000-bit modulus.
	hugeRSAKey := func() []byte {
		n := bytes.Repeat([]byte{0xc3}, 1125)
		key := append([]byte{0xa4, 0x01, 0x03, 0x03, 0x39, 0x01, 0x00, 0x20, 0x59, 0x04, 0x65}, n...)
		return append(key, 0x21, 0x43, 0x01, 0x00, 0x01)
	}
	for _, tc := range []struct {
		name    string
		origin  string
		prepare func(f *fixture, k *softKey, u *passkey.User)
		want    error
	}{
		{name: "registers a passkey", origin: pageOrigin},
		{name: "accepts a related origin", origin: relatedOrigin},
		{name: "refuses an origin not listed", origin: "https://acme.example", want: passkey.ErrCeremony},
		{name: "refuses a subdomain not listed", origin: "https://evil.acme.com", want: passkey.ErrCeremony},
		{name: "refuses another RP ID", origin: pageOrigin, want: passkey.ErrCeremony,
			prepare: func(_ *fixture, k *softKey, _ *passkey.User) { k.rpID = "evil.com" }},
		{name: "refuses a passkey without user verification", origin: pageOrigin, want: passkey.ErrUserVerification,
			prepare: func(_ *fixture, k *softKey, _ *passkey.User) { k.flags &^= flagUV }},
		{name: "refuses backup state without backup eligibility", origin: pageOrigin, want: passkey.ErrCeremony,
			prepare: func(_ *fixture, k *softKey, _ *passkey.User) { k.flags = flagUV | flagBS }},
		{name: "refuses an expired session", origin: pageOrigin, want: passkey.ErrSessionExpired,
			prepare: func(f *fixture, _ *softKey, _ *passkey.User) { f.clk.Advance(passkey.DefaultTimeout) }},
		{name: "refuses a public key too large to store", origin: pageOrigin, want: passkey.ErrCeremony,
			prepare: func(_ *fixture, k *softKey, _ *passkey.User) { k.cose = hugeRSAKey() }},
		{name: "refuses another user", origin: pageOrigin, want: passkey.ErrCeremony,
			prepare: func(_ *fixture, _ *softKey, u *passkey.User) { u.Handle = []byte("someone-else") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			k := newSoftKey(t)
			u := passkey.User{Handle: []byte("usr_1"), Name: "ana@acme.com"}
			options, sess, err := f.svc.BeginRegistration(f.rp, u, nil)
			if err != nil {
				t.Fatal(err)
			}
			response := k.create(t, options, tc.origin)
			if tc.prepare != nil {
				tc.prepare(f, k, &u)
				response = k.create(t, options, tc.origin)
			}
			c, err := f.svc.FinishRegistration(f.rp, roundTrip(t, sess), u, response)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("FinishRegistration: %v, want %v", err, tc.want)
			}
			if err != nil {
				return
			}
			if !bytes.Equal(c.ID, k.id) || !c.UserVerified || !c.BackupEligible || !c.BackupState ||
				c.AttestationFormat != "none" || c.SignCount != 0 || !c.CreatedAt.Equal(f.clk.Now()) || !c.LastUsedAt.IsZero() {
				t.Errorf("credential = %+v", c)
			}
			if !slices.Equal(c.Transports, []string{"internal", "hybrid"}) {
				t.Errorf("transports = %q, want the known ones", c.Transports)
			}
		})
	}
}

func TestBeginRegistrationOptions(t *testing.T) {
	f := newFixture(t)
	a := f.enroll(t, "usr_1")
	options, sess, err := f.svc.BeginRegistration(f.rp, a.user, []passkey.Credential{a.credential(t)})
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		RP                 struct{ ID, Name string }
		User               struct{ ID, Name, DisplayName string }
		Challenge          string
		Timeout            int
		PubKeyCredParams   []struct{ Alg int }
		ExcludeCredentials []struct {
			ID, Type   string
			Transports []string
		}
		AuthenticatorSelection struct {
			ResidentKey        string
			RequireResidentKey bool
			UserVerification   string
		}
		Attestation string
	}
	if err := json.Unmarshal([]byte(options), &o); err != nil {
		t.Fatal(err)
	}
	var algs []int
	for _, p := range o.PubKeyCredParams {
		algs = append(algs, p.Alg)
	}
	slices.Sort(algs)
	for _, c := range []struct {
		what string
		ok   bool
	}{
		{"rp", o.RP.ID == "acme.com" && o.RP.Name == "Acme"},
		{"user", o.User.ID == b64u(a.user.Handle) && o.User.Name == a.user.Name && o.User.DisplayName == a.user.DisplayName},
		{"challenge", o.Challenge == sess.Challenge && len(o.Challenge) >= 22},
		{"timeout", o.Timeout == int(passkey.DefaultTimeout/time.Millisecond)},
		{"algorithms ES256, EdDSA, RS256", slices.Equal(algs, []int{-257, -8, -7})},
		{"exclude list", len(o.ExcludeCredentials) == 1 && o.ExcludeCredentials[0].ID == b64u(a.key.id) &&
			slices.Equal(o.ExcludeCredentials[0].Transports, []string{"internal", "hybrid"})},
		{"discoverable", o.AuthenticatorSelection.ResidentKey == "required" && o.AuthenticatorSelection.RequireResidentKey},
		{"user verification", o.AuthenticatorSelection.UserVerification == "required"},
		{"attestation", o.Attestation == "none"},
		{"session", sess.Ceremony == passkey.CeremonyRegistration && sess.RPID == "acme.com" &&
			bytes.Equal(sess.UserHandle, a.user.Handle) && sess.UserVerification == passkey.VerificationRequired &&
			sess.ExpiresAt.Equal(f.clk.Now().Add(passkey.DefaultTimeout))},
	} {
		if !c.ok {
			t.Errorf("%s wrong in options %s / session %+v", c.what, options, sess)
		}
	}
}

func TestRegistrationRefusesReplay(t *testing.T) {
	f := newFixture(t)
	k := newSoftKey(t)
	u := passkey.User{Handle: []byte("usr_1"), Name: "ana@acme.com"}
	options, _, err := f.svc.BeginRegistration(f.rp, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	response := k.create(t, options, pageOrigin)
	_, next, err := f.svc.BeginRegistration(f.rp, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.FinishRegistration(f.rp, next, u, response); !errors.Is(err, passkey.ErrCeremony) {
		t.Fatalf("replayed against a new session: %v, want ErrCeremony", err)
	}
}
