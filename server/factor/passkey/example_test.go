package passkey_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/factor/passkey"
)

// Example registers a passkey on login.acme.com and signs in with it
// without a username. The software authenticator of the tests stands in
// for the browser: the page passes the options to
// navigator.credentials.create/get and posts back credential.toJSON().
func Example() {
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	svc, err := passkey.New(passkey.Deps{Clock: clk})
	if err != nil {
		panic(err)
	}
	rpID, err := passkey.RPID("login.acme.com", "id.example.com")
	if err != nil {
		panic(err)
	}
	rp := passkey.RP{ID: rpID, Name: "Acme", Origins: []string{"https://login.acme.com"}}
	ana := passkey.User{Handle: []byte("usr_8f2k"), Name: "ana@acme.com", DisplayName: "Ana Lima"}
	browser := newSoftKey(panics{})

	// Registration: options to the page, the Session to the flow state.
	options, sess, err := svc.BeginRegistration(rp, ana, nil)
	if err != nil {
		panic(err)
	}
	cred, err := svc.FinishRegistration(rp, sess, ana, browser.create(panics{}, options, "https://login.acme.com"))
	if err != nil {
		panic(err)
	}
	stored := cred.Encode() // the directory credential's Secret
	fmt.Println("registered for", rp.ID, strings.HasPrefix(stored, `{"v":1,`))

	// Sign-in with the "sign in with a passkey" button, an hour later.
	clk.Advance(time.Hour)
	options, sess, err = svc.BeginDiscoverableLogin(rp)
	if err != nil {
		panic(err)
	}
	find := func(_ context.Context, handle, _ []byte) (passkey.User, []passkey.Credential, error) {
		c, err := passkey.Decode(stored)
		return ana, []passkey.Credential{c}, err // looked up by handle
	}
	user, used, err := svc.FinishLogin(context.Background(), rp, sess, browser.get(panics{}, options, "https://login.acme.com"), find)
	if err != nil {
		panic(err)
	}
	fmt.Println("signed in:", user.Name, "at", used.LastUsedAt.Format(time.RFC3339))
	// Output:
	// registered for acme.com true
	// signed in: ana@acme.com at 2026-03-01T13:00:00Z
}

// panics is the testing.TB the software authenticator gets outside a
// test: it panics where a test would fail.
type panics struct{ testing.TB }

func (panics) Helper()                        {}
func (panics) Fatal(args ...any)              { panic(fmt.Sprint(args...)) }
func (panics) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }

func ExampleRelatedOrigins() {
	doc, err := passkey.RelatedOrigins("acme.com", []string{"https://acme.co.uk", "https://login.acme.com", "https://acme.de"})
	if err != nil {
		panic(err)
	}
	fmt.Print(string(doc))
	// Output:
	// {
	//   "origins": [
	//     "https://acme.co.uk",
	//     "https://acme.de",
	//     "https://login.acme.com"
	//   ]
	// }
}

func ExampleRPID() {
	for _, host := range []string{"login.acme.com", "login.acme.co.uk:443", "acme.id.example.com", "localhost:8080", "127.0.0.1"} {
		id, err := passkey.RPID(host, "id.example.com")
		fmt.Printf("%s → %q %v\n", host, id, err)
	}
	// Output:
	// login.acme.com → "acme.com" <nil>
	// login.acme.co.uk:443 → "acme.co.uk" <nil>
	// acme.id.example.com → "acme.id.example.com" <nil>
	// localhost:8080 → "localhost" <nil>
	// 127.0.0.1 → "" passkey: host cannot be a relying party ID: "127.0.0.1" is an IP literal
}
