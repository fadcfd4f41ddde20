package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// allowed is the lifecycle table of the issue, written out independently
// of the code's table.
var allowed = map[string]string{
	"STAGED":           "PROVISIONED ACTIVE DEPROVISIONED",
	"PROVISIONED":      "ACTIVE DEPROVISIONED",
	"ACTIVE":           "RECOVERY LOCKED_OUT PASSWORD_EXPIRED SUSPENDED DEPROVISIONED",
	"RECOVERY":         "ACTIVE RECOVERY DEPROVISIONED",
	"LOCKED_OUT":       "ACTIVE RECOVERY DEPROVISIONED",
	"PASSWORD_EXPIRED": "ACTIVE RECOVERY DEPROVISIONED",
	"SUSPENDED":        "ACTIVE DEPROVISIONED",
	"DEPROVISIONED":    "STAGED PROVISIONED",
}

var admin = events.Ref{Type: "mgmt_token", ID: "tok_1"}

// forceStatus puts a user in a status without the lifecycle checks.
func (e *env) forceStatus(t *testing.T, userID string, s Status) {
	t.Helper()
	if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE users SET status = ? WHERE id = ?`, string(s), userID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func TestTransitionFollowsTheTableForEveryPair(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		for _, from := range Statuses {
			for _, to := range Statuses {
				want := strings.Contains(" "+allowed[string(from)]+" ", " "+string(to)+" ")
				verb := "refuses"
				if want {
					verb = "allows"
				}
				t.Run(fmt.Sprintf("%s %s to %s", verb, from, to), func(t *testing.T) {
					u := e.user(t, tenantA, UserInput{Login: strings.ToLower(string(from) + "-" + string(to))})
					e.forceStatus(t, u.ID, from)
					var got User
					err := e.do(t, func(ctx context.Context, tx store.Tx) (err error) {
						got, err = e.dir.Transition(ctx, tx, tenantA, u.ID, to, admin)
						return err
					})
					read := get(t, e, func(ctx context.Context, tx store.Tx) (User, error) { return e.dir.User(ctx, tx, tenantA, u.ID) })
					if !want {
						if !errors.Is(err, ErrTransition) || len(invalid.All(err)) != 1 || invalid.All(err)[0].Field != "status" {
							t.Fatalf("got %v, want ErrTransition naming status", err)
						}
						if read.Status != from {
							t.Fatalf("status is %s after a refused change, want %s", read.Status, from)
						}
						return
					}
					if err != nil || got.Status != to || read.Status != to {
						t.Fatalf("got %v, %s (read %s), want %s", err, got.Status, read.Status, to)
					}
				})
			}
		}
		t.Run("records an event per allowed change", func(t *testing.T) {
			evs, _, err := e.ev.Query(context.Background(), events.Query{TenantID: tenantA, Types: []string{"user.lifecycle.*"}, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, tos := range allowed {
				n += len(strings.Fields(tos))
			}
			if len(evs) != n {
				t.Fatalf("%d lifecycle events, want %d", len(evs), n)
			}
			if evs[0].Actor != admin || !strings.HasPrefix(evs[0].Type, "user.lifecycle.") || evs[0].Target.Type != "user" {
				t.Fatalf("event %+v", evs[0])
			}
		})
	})
}

func TestTransitionRefusesUnknownUsersAndStatuses(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u := e.user(t, tenantA, UserInput{Login: "alice"})
		for _, tc := range []struct {
			name, tenant, id string
			to               Status
			want             error
		}{
			{"unknown user", tenantA, "usr_nope", StatusSuspended, store.ErrNotFound},
			{"user of another tenant", tenantB, u.ID, StatusSuspended, store.ErrNotFound},
			{"unknown status", tenantA, u.ID, "active", ErrTransition},
		} {
			t.Run("refuses "+tc.name, func(t *testing.T) {
				err := e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.dir.Transition(ctx, tx, tc.tenant, tc.id, tc.to, admin)
					return err
				})
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
			})
		}
	})
}

func TestActivation(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		token := func(t *testing.T, userID string, ttl time.Duration) string {
			return get(t, e, func(ctx context.Context, tx store.Tx) (string, error) {
				return e.dir.CreateActivation(ctx, tx, tenantA, userID, ttl)
			})
		}
		activate := func(tenantID, tok string) (User, error) {
			var u User
			err := e.do(t, func(ctx context.Context, tx store.Tx) (err error) {
				u, err = e.dir.Activate(ctx, tx, tenantID, tok)
				return err
			})
			return u, err
		}
		t.Run("activates a staged user once", func(t *testing.T) {
			u := e.user(t, tenantA, UserInput{Login: "staged", Status: StatusStaged})
			tok := token(t, u.ID, time.Hour)
			if !strings.HasPrefix(tok, ActivationPrefix) {
				t.Fatalf("token %q", tok)
			}
			got, err := activate(tenantA, tok)
			if err != nil || got.Status != StatusActive {
				t.Fatalf("got %v %s", err, got.Status)
			}
			if _, err := activate(tenantA, tok); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("second use: %v, want ErrNotFound", err)
			}
		})
		t.Run("showing a token does not use it", func(t *testing.T) {
			u := e.user(t, tenantA, UserInput{Login: "peek", Status: StatusProvisioned})
			tok := token(t, u.ID, time.Hour)
			for range 2 {
				got := get(t, e, func(ctx context.Context, tx store.Tx) (User, error) {
					return e.dir.ActivationUser(ctx, tx, tenantA, tok)
				})
				if got.ID != u.ID {
					t.Fatalf("ActivationUser = %s, want %s", got.ID, u.ID)
				}
			}
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.ActivationUser(ctx, tx, tenantB, tok)
				return err
			})
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("another tenant's token: %v", err)
			}
			if _, err := activate(tenantA, tok); err != nil {
				t.Fatal(err)
			}
			err = e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.ActivationUser(ctx, tx, tenantA, tok)
				return err
			})
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("a used token: %v", err)
			}
		})
		t.Run("activates a provisioned user", func(t *testing.T) {
			u := e.user(t, tenantA, UserInput{Login: "prov", Status: StatusProvisioned})
			if got, err := activate(tenantA, token(t, u.ID, time.Hour)); err != nil || got.Status != StatusActive {
				t.Fatalf("got %v %s", err, got.Status)
			}
		})
		t.Run("refuses an expired token", func(t *testing.T) {
			u := e.user(t, tenantA, UserInput{Login: "late", Status: StatusStaged})
			tok := token(t, u.ID, time.Hour)
			e.clk.Advance(time.Hour)
			if _, err := activate(tenantA, tok); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		})
		t.Run("refuses a token of another tenant and an unknown one", func(t *testing.T) {
			u := e.user(t, tenantA, UserInput{Login: "other", Status: StatusStaged})
			tok := token(t, u.ID, time.Hour)
			for _, tc := range []struct{ tenant, tok string }{{tenantB, tok}, {tenantA, tok + "x"}, {tenantA, ""}} {
				if _, err := activate(tc.tenant, tc.tok); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("got %v, want ErrNotFound", err)
				}
			}
		})
		t.Run("refuses a token for an active user", func(t *testing.T) {
			u := e.user(t, tenantA, UserInput{Login: "already"})
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.CreateActivation(ctx, tx, tenantA, u.ID, time.Hour)
				return err
			})
			if !errors.Is(err, ErrTransition) {
				t.Fatalf("got %v, want ErrTransition", err)
			}
		})
		t.Run("refuses a token once the user was suspended", func(t *testing.T) {
			u := e.user(t, tenantA, UserInput{Login: "gone", Status: StatusStaged})
			tok := token(t, u.ID, time.Hour)
			e.forceStatus(t, u.ID, StatusSuspended)
			if _, err := activate(tenantA, tok); !errors.Is(err, ErrTransition) {
				t.Fatalf("got %v, want ErrTransition", err)
			}
		})
		t.Run("stores only the token's keyed hash", func(t *testing.T) {
			u := e.user(t, tenantA, UserInput{Login: "hashed", Status: StatusStaged})
			tok := token(t, u.ID, time.Hour)
			n := get(t, e, func(ctx context.Context, tx store.Tx) (int, error) {
				var n int
				return n, tx.QueryRow(ctx, `SELECT COUNT(*) FROM user_activations WHERE token_mac = ?`, []byte(tok)).Scan(&n)
			})
			if n != 0 {
				t.Fatal("the token is stored in the clear")
			}
		})
	})
}
