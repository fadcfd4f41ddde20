package passkey_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/factor/passkey"
)

const (
	pageOrigin    = "https://login.acme.com"
	relatedOrigin = "https://acme.co.uk"
)

var errNoUser = errors.New("test: no such user")

// fixture is a Service on a fake clock and a directory of accounts, each
// with one registered passkey stored in its encoded form.
type fixture struct {
	clk      *clock.Fake
	svc      *passkey.Service
	rp       passkey.RP
	accounts map[string]*account
}

type account struct {
	user   passkey.User
	key    *softKey
	stored string // the credential as the directory stores it
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	svc, err := passkey.New(passkey.Deps{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{
		clk: clk, svc: svc, accounts: map[string]*account{},
		rp: passkey.RP{ID: "acme.com", Name: "Acme", Origins: []string{pageOrigin, relatedOrigin}},
	}
}

// enroll registers a new passkey for a new user handle and stores it.
func (f *fixture) enroll(t testing.TB, handle string) *account {
	t.Helper()
	a := &account{user: passkey.User{Handle: []byte(handle), Name: handle + "@acme.com", DisplayName: "User " + handle}, key: newSoftKey(t)}
	options, sess, err := f.svc.BeginRegistration(f.rp, a.user, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.svc.FinishRegistration(f.rp, roundTrip(t, sess), a.user, a.key.create(t, options, pageOrigin))
	if err != nil {
		t.Fatalf("registration: %v", err)
	}
	a.stored = c.Encode()
	f.accounts[handle] = a
	return a
}

// credential returns an account's stored passkey, decoded.
func (a *account) credential(t testing.TB) passkey.Credential {
	t.Helper()
	c, err := passkey.Decode(a.stored)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// find is the FindFunc of the fixture's directory.
func (f *fixture) find(_ context.Context, handle, _ []byte) (passkey.User, []passkey.Credential, error) {
	a, ok := f.accounts[string(handle)]
	if !ok {
		return passkey.User{}, nil, errNoUser
	}
	c, err := passkey.Decode(a.stored)
	if err != nil {
		return passkey.User{}, nil, err
	}
	return a.user, []passkey.Credential{c}, nil
}

// roundTrip passes a Session through JSON, as the engine's flow state
// does.
func roundTrip(t testing.TB, s passkey.Session) passkey.Session {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var out passkey.Session
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
