package edge

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestLockoutOverTLS signs in with passwords through the hosted pages over
// TLS: wrong passwords up to the policy's threshold lock the account and
// mail its owner; while locked even the right password fails exactly as a
// wrong one does; once the lockout's duration has passed on the injected
// clock (nothing sleeps) the right password signs in and the account is
// active again.
func TestLockoutOverTLS(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			clk := clock.NewFake(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
			w := newSiteWorld(t, b, clk)
			ctx := context.Background()
			err := w.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
				p := policy.DefaultPasswordPolicy()
				p.LockoutThreshold, p.LockoutDuration, p.NotifyLockout = 3, 30*time.Minute, true
				_, err := w.policies.SetPasswordPolicy(ctx, tx, w.acme.ID, p)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			status := func() directory.Status {
				t.Helper()
				var u directory.User
				if err := w.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
					var err error
					u, err = w.dir.User(ctx, tx, w.acme.ID, w.userID)
					return err
				}); err != nil {
					t.Fatal(err)
				}
				return u.Status
			}
			c := w.browser(t)
			// try signs in with a password and returns the page after it,
			// or the redirect to the client.
			try := func(password string) (string, string) {
				t.Helper()
				_, challenge := pkce("lock")
				_, h, _ := get(t, c, w.authorizeURL(challenge, "prompt", "login"))
				page := w.srv.URL + h.Get("Location")
				w.post(t, c, page, "next", "login", alice)
				loc := w.post(t, c, page, "sign-in", "password", password)
				if strings.HasPrefix(loc, rpCallback) {
					return "", loc
				}
				_, _, body := get(t, c, w.srv.URL+loc)
				return sameShape(body, alice), ""
			}

			wrong, _ := try("wrong 1")
			if !strings.Contains(wrong, "Incorrect username or password.") {
				t.Fatalf("wrong password page:\n%s", wrong)
			}
			try("wrong 2")
			if s := status(); s != directory.StatusActive {
				t.Fatalf("status %s after 2 failures, want ACTIVE", s)
			}
			try("wrong 3")
			if s := status(); s != directory.StatusLockedOut {
				t.Fatalf("status %s after 3 failures, want LOCKED_OUT", s)
			}
			mails := w.delivered(t)
			if len(mails) != 1 || mails[0].To[0] != alice || !strings.Contains(mails[0].Text, "30") || strings.Contains(mails[0].Text, alicePass) {
				t.Fatalf("lockout mail: %d message(s)\n%v", len(mails), mails)
			}

			// Locked: the right password fails like a wrong one.
			clk.Advance(29 * time.Minute)
			locked, loc := try(alicePass)
			if loc != "" || locked != wrong {
				t.Fatalf("the right password while locked: redirect %q, page differs from a wrong password's:\n%s", loc, locked)
			}

			// The lockout ends with its duration.
			clk.Advance(time.Minute)
			if _, loc = try(alicePass); loc == "" {
				t.Fatal("the right password after the lockout did not sign in")
			}
			if s := status(); s != directory.StatusActive {
				t.Fatalf("status %s after the lockout, want ACTIVE", s)
			}
			// And the count starts afresh.
			try("wrong again")
			if s := status(); s != directory.StatusActive {
				t.Fatalf("status %s after one new failure", s)
			}
			evs, _, err := w.events.Query(ctx, events.Query{TenantID: w.acme.ID, Types: []string{"user.locked", "user.unlocked", "user.email.sent"}})
			if err != nil || len(evs) != 3 {
				t.Fatalf("%d lockout events, want locked, mail sent, unlocked (%v)", len(evs), err)
			}
		})
	}
}
