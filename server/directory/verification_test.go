package directory

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

func TestEmailVerification(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		token := func(t *testing.T, userID string) string {
			t.Helper()
			return get(t, e, func(ctx context.Context, tx store.Tx) (string, error) {
				return e.dir.CreateEmailVerification(ctx, tx, tenantA, userID, time.Hour)
			})
		}
		peek := func(tenantID, tok string) (User, error) {
			var u User
			err := e.do(t, func(ctx context.Context, tx store.Tx) (err error) {
				u, err = e.dir.EmailVerificationUser(ctx, tx, tenantID, tok)
				return err
			})
			return u, err
		}
		verify := func(tenantID, tok string) (User, error) {
			var u User
			err := e.do(t, func(ctx context.Context, tx store.Tx) (err error) {
				u, err = e.dir.VerifyEmail(ctx, tx, tenantID, tok)
				return err
			})
			return u, err
		}
		read := func(t *testing.T, id string) User {
			t.Helper()
			return get(t, e, func(ctx context.Context, tx store.Tx) (User, error) { return e.dir.User(ctx, tx, tenantA, id) })
		}
		// wantBadToken fails unless err is a refused token: not found,
		// naming "token".
		wantBadToken := func(t *testing.T, err error) {
			t.Helper()
			if !errors.Is(err, store.ErrNotFound) || len(invalid.All(err)) != 1 || invalid.All(err)[0].Field != "token" {
				t.Fatalf("got %v, want ErrNotFound naming token", err)
			}
		}

		t.Run("verifies the address once", func(t *testing.T) {
			u := e.user(t, tenantA, UserInput{Login: "ada@example.com"})
			tok := token(t, u.ID)
			if !strings.HasPrefix(tok, EmailVerificationPrefix) || len(tok) != len(EmailVerificationPrefix)+43 {
				t.Fatalf("token %q: want the prefix and 256 bits", tok)
			}
			got, err := verify(tenantA, tok)
			if err != nil || !got.EmailVerified || !read(t, u.ID).EmailVerified {
				t.Fatalf("got %v, verified %v (read %v)", err, got.EmailVerified, read(t, u.ID).EmailVerified)
			}
			_, err = verify(tenantA, tok)
			wantBadToken(t, err)
			evs, _, err := e.ev.Query(context.Background(), events.Query{TenantID: tenantA, Types: []string{"user.email.verified"}})
			if err != nil || len(evs) != 1 || evs[0].Target.ID != u.ID || evs[0].Actor != (events.Ref{Type: "user", ID: u.ID}) {
				t.Fatalf("events %+v (%v)", evs, err)
			}
		})
		t.Run("showing a token does not use it", func(t *testing.T) {
			u := e.user(t, tenantA, UserInput{Login: "peek@example.com"})
			tok := token(t, u.ID)
			for range 2 {
				got, err := peek(tenantA, tok)
				if err != nil || got.ID != u.ID || got.EmailVerified {
					t.Fatalf("EmailVerificationUser = %s, %v, %v", got.ID, got.EmailVerified, err)
				}
			}
			if read(t, u.ID).EmailVerified {
				t.Fatal("peeking verified the address")
			}
			_, err := peek(tenantB, tok)
			wantBadToken(t, err)
			if _, err := verify(tenantA, tok); err != nil {
				t.Fatal(err)
			}
			_, err = peek(tenantA, tok)
			wantBadToken(t, err)
		})
		t.Run("an address changed since is not verified", func(t *testing.T) {
			u := e.user(t, tenantA, UserInput{Login: "moved", Email: "old@example.com"})
			tok := token(t, u.ID)
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				addr := "new@example.com"
				_, err := e.dir.UpdateUser(ctx, tx, tenantA, u.ID, UserUpdate{Email: &addr}, admin)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			_, err := peek(tenantA, tok)
			wantBadToken(t, err)
			_, err = verify(tenantA, tok)
			wantBadToken(t, err)
			if got := read(t, u.ID); got.EmailVerified || got.Email != "new@example.com" {
				t.Fatalf("user %s verified %v", got.Email, got.EmailVerified)
			}
		})
		t.Run("an address verified meanwhile stays verified and uses the token", func(t *testing.T) {
			u := e.user(t, tenantA, UserInput{Login: "twice@example.com"})
			first, second := token(t, u.ID), token(t, u.ID)
			if _, err := verify(tenantA, first); err != nil {
				t.Fatal(err)
			}
			got, err := verify(tenantA, second)
			if err != nil || !got.EmailVerified {
				t.Fatalf("second token: %v, verified %v", err, got.EmailVerified)
			}
			_, err = verify(tenantA, second)
			wantBadToken(t, err)
		})
		for _, tc := range []struct {
			name  string
			setup func(t *testing.T) (tenantID, tok string)
		}{
			{"refuses an expired token", func(t *testing.T) (string, string) {
				tok := token(t, e.user(t, tenantA, UserInput{Login: "late@example.com"}).ID)
				e.clk.Advance(time.Hour)
				return tenantA, tok
			}},
			{"refuses a token of another tenant", func(t *testing.T) (string, string) {
				return tenantB, token(t, e.user(t, tenantA, UserInput{Login: "other@example.com"}).ID)
			}},
			{"refuses an unknown token", func(t *testing.T) (string, string) {
				return tenantA, token(t, e.user(t, tenantA, UserInput{Login: "typo@example.com"}).ID) + "x"
			}},
			{"refuses an empty token", func(t *testing.T) (string, string) { return tenantA, "" }},
			{"refuses a long token without hashing it", func(t *testing.T) (string, string) {
				return tenantA, EmailVerificationPrefix + strings.Repeat("a", 200)
			}},
			{"refuses an activation token", func(t *testing.T) (string, string) {
				u := e.user(t, tenantA, UserInput{Login: "staged@example.com", Status: StatusStaged})
				return tenantA, get(t, e, func(ctx context.Context, tx store.Tx) (string, error) {
					return e.dir.CreateActivation(ctx, tx, tenantA, u.ID, time.Hour)
				})
			}},
			{"refuses the token of an erased user", func(t *testing.T) (string, string) {
				u := e.user(t, tenantA, UserInput{Login: "erased@example.com"})
				tok := token(t, u.ID)
				if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.dir.Erase(ctx, tx, tenantA, u.ID) }); err != nil {
					t.Fatal(err)
				}
				return tenantA, tok
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tenantID, tok := tc.setup(t)
				_, err := peek(tenantID, tok)
				wantBadToken(t, err)
				_, err = verify(tenantID, tok)
				wantBadToken(t, err)
			})
		}
		t.Run("refuses to create a token", func(t *testing.T) {
			noEmail := e.user(t, tenantA, UserInput{Login: "no-email"})
			done := e.user(t, tenantA, UserInput{Login: "done@example.com", EmailVerified: true})
			for _, tc := range []struct {
				name, tenant, id string
				ttl              time.Duration
				field            string
				kind             error
			}{
				{"for a user without an address", tenantA, noEmail.ID, time.Hour, "email", nil},
				{"for an address verified already", tenantA, done.ID, time.Hour, "email", nil},
				{"with no life", tenantA, noEmail.ID, 0, "ttl", nil},
				{"with too long a life", tenantA, noEmail.ID, MaxEmailVerificationTTL + time.Second, "ttl", nil},
				{"for an unknown user", tenantA, "usr_nope", time.Hour, "", store.ErrNotFound},
				{"for a user of another tenant", tenantB, done.ID, time.Hour, "", store.ErrNotFound},
			} {
				t.Run(tc.name, func(t *testing.T) {
					before := e.count(t, "email_verifications")
					err := e.do(t, func(ctx context.Context, tx store.Tx) error {
						_, err := e.dir.CreateEmailVerification(ctx, tx, tc.tenant, tc.id, tc.ttl)
						return err
					})
					switch {
					case tc.kind != nil && !errors.Is(err, tc.kind):
						t.Fatalf("got %v, want %v", err, tc.kind)
					case tc.kind == nil && (len(invalid.All(err)) != 1 || invalid.All(err)[0].Field != tc.field):
						t.Fatalf("got %v, want an error naming %s", err, tc.field)
					}
					if n := e.count(t, "email_verifications"); n != before {
						t.Fatalf("%d rows after a refusal, want %d", n, before)
					}
				})
			}
		})
		t.Run("stores only the token's keyed hash", func(t *testing.T) {
			tok := token(t, e.user(t, tenantA, UserInput{Login: "hashed@example.com"}).ID)
			n := get(t, e, func(ctx context.Context, tx store.Tx) (int, error) {
				var n int
				return n, tx.QueryRow(ctx, `SELECT COUNT(*) FROM email_verifications WHERE token_mac = ?`, []byte(tok)).Scan(&n)
			})
			if n != 0 {
				t.Fatal("the token is stored in the clear")
			}
		})
		t.Run("erasing a user erases its tokens", func(t *testing.T) {
			u := e.user(t, tenantA, UserInput{Login: "gone@example.com"})
			token(t, u.ID)
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.dir.Erase(ctx, tx, tenantA, u.ID) }); err != nil {
				t.Fatal(err)
			}
			n := get(t, e, func(ctx context.Context, tx store.Tx) (int, error) {
				var n int
				return n, tx.QueryRow(ctx, `SELECT COUNT(*) FROM email_verifications WHERE user_id = ?`, u.ID).Scan(&n)
			})
			if n != 0 {
				t.Fatalf("%d tokens of an erased user", n)
			}
		})
	})
}
