package session

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// list lists a user's sessions in a read-only transaction.
func (e *env) list(t *testing.T, tenantID, userID string) ([]Session, error) {
	t.Helper()
	var out []Session
	err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		out, err = e.ses.List(ctx, tx, tenantID, userID)
		return err
	})
	return out, err
}

// ids lists a user's live session IDs, failing the test on an error.
func (e *env) ids(t *testing.T, tenantID, userID string) []string {
	t.Helper()
	ss, err := e.list(t, tenantID, userID)
	if err != nil {
		t.Fatal(err)
	}
	if ss == nil {
		t.Fatal("List returned a nil slice")
	}
	var out []string
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}

// revokeID revokes a session by ID in a committed transaction.
func (e *env) revokeID(t *testing.T, tenantID, userID, sessionID string) error {
	t.Helper()
	return e.do(t, func(ctx context.Context, tx store.Tx) error {
		return e.ses.RevokeID(ctx, tx, tenantID, userID, sessionID)
	})
}

func TestList(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.create(t, tenantA, alice, "pwd") // unused: expires first
		e.clk.Advance(20 * time.Minute)
		older, olderCookie := e.create(t, tenantA, alice, "pwd")
		e.clk.Advance(time.Minute)
		newer, _ := e.create(t, tenantA, alice, "pwd", "otp")
		_, revoked := e.create(t, tenantA, alice, "pwd")
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.ses.Revoke(ctx, tx, tenantA, revoked) }); err != nil {
			t.Fatal(err)
		}
		bobs, _ := e.create(t, tenantA, bob, "pwd")
		e.create(t, tenantB, alice, "pwd")
		// A step-up replaces the older session; the new one keeps its
		// sign-in time, so it stays behind the newer one.
		var rotated Session
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
			var err error
			rotated, _, err = e.ses.Rotate(ctx, tx, tenantA, olderCookie, []string{"pwd", "otp", "mfa"}, "")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(10 * time.Minute) // past the first session's idle expiry

		t.Run("lists live sessions newest first", func(t *testing.T) {
			if got, want := e.ids(t, tenantA, alice), []string{newer.ID, rotated.ID}; !slices.Equal(got, want) {
				t.Fatalf("listed %q, want %q (older was %s)", got, want, older.ID)
			}
		})
		t.Run("shows what a session holds", func(t *testing.T) {
			ss, err := e.list(t, tenantA, alice)
			if err != nil {
				t.Fatal(err)
			}
			if !equalSessions(ss[1], rotated) {
				t.Fatalf("listed %+v, want %+v", ss[1], rotated)
			}
		})
		t.Run("keeps users apart", func(t *testing.T) {
			if got := e.ids(t, tenantA, bob); !slices.Equal(got, []string{bobs.ID}) {
				t.Fatalf("bob's sessions %q", got)
			}
		})
		t.Run("keeps tenants apart", func(t *testing.T) {
			if got := e.ids(t, tenantB, alice); len(got) != 1 || got[0] == newer.ID || got[0] == rotated.ID {
				t.Fatalf("alice's sessions in tenant B %q", got)
			}
		})
		t.Run("gives an empty list for a user without sessions", func(t *testing.T) {
			if got := e.ids(t, tenantA, "usr_carol"); len(got) != 0 {
				t.Fatalf("carol's sessions %q", got)
			}
		})
		t.Run("leaves out sessions past their absolute expiry", func(t *testing.T) {
			e.clk.Set(t0.Add(DefaultAbsolute))
			if got := e.ids(t, tenantA, alice); len(got) != 0 {
				t.Fatalf("sessions after the absolute expiry %q", got)
			}
		})
		t.Run("refuses a missing tenant or user", func(t *testing.T) {
			_, err := e.list(t, "", "")
			wantFields(t, err, "tenant_id", "user_id")
		})
	})
}

func TestRevokeID(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		target, cookie := e.create(t, tenantA, alice, "pwd")
		_, keep := e.create(t, tenantA, alice, "pwd")
		bobs, bobCookie := e.create(t, tenantA, bob, "pwd")
		otherTenant, otherCookie := e.create(t, tenantB, alice, "pwd")
		ended, endedCookie := e.create(t, tenantA, alice, "pwd")
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.ses.Revoke(ctx, tx, tenantA, endedCookie) }); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ name, tenant, user, id string }{
			{"refuses an unknown ID", tenantA, alice, "ses_00000000000000000000000000"},
			{"refuses an empty ID", tenantA, alice, ""},
			{"refuses another user's session", tenantA, alice, bobs.ID},
			{"refuses a session of the same user in another tenant", tenantA, alice, otherTenant.ID},
			{"refuses a session named with the wrong tenant", tenantB, alice, target.ID},
			{"refuses a revoked session", tenantA, alice, ended.ID},
			{"refuses the cookie value as an ID", tenantA, alice, cookie},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := e.revokeID(t, tc.tenant, tc.user, tc.id); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("got %v, want store.ErrNotFound", err)
				}
				e.live(t, tenantA, cookie)
				e.live(t, tenantA, bobCookie)
				e.live(t, tenantB, otherCookie)
			})
		}
		t.Run("ends the session", func(t *testing.T) {
			if err := e.revokeID(t, tenantA, alice, target.ID); err != nil {
				t.Fatal(err)
			}
			e.gone(t, tenantA, cookie)
		})
		t.Run("keeps the user's other sessions", func(t *testing.T) { e.live(t, tenantA, keep) })
		t.Run("refuses revoking twice", func(t *testing.T) {
			if err := e.revokeID(t, tenantA, alice, target.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("got %v, want store.ErrNotFound", err)
			}
		})
		t.Run("refuses an expired session", func(t *testing.T) {
			e.clk.Advance(DefaultIdle)
			if err := e.revokeID(t, tenantA, bob, bobs.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("got %v, want store.ErrNotFound", err)
			}
		})
		t.Run("refuses a missing tenant or user", func(t *testing.T) {
			wantFields(t, e.revokeID(t, "", "", target.ID), "tenant_id", "user_id")
		})
	})
}

// TestConfiguredTimeouts drives sessions with short configured timeouts by
// the fake clock: the configured idle and absolute times apply, not the
// defaults.
func TestConfiguredTimeouts(t *testing.T) {
	const idle, absolute = 5 * time.Minute, time.Hour
	eachBackendWith(t, Options{Idle: idle, Absolute: absolute}, func(t *testing.T, e *env) {
		used, usedCookie := e.create(t, tenantA, alice, "pwd")
		_, unusedCookie := e.create(t, tenantA, alice, "pwd")
		if !used.IdleExpiresAt.Equal(t0.Add(idle)) || !used.AbsoluteExpiresAt.Equal(t0.Add(absolute)) {
			t.Fatalf("expiries %v and %v, want %v and %v", used.IdleExpiresAt, used.AbsoluteExpiresAt, t0.Add(idle), t0.Add(absolute))
		}
		t.Run("ends an unused session after the idle time", func(t *testing.T) {
			e.clk.Advance(idle - time.Minute)
			e.live(t, tenantA, usedCookie)
			e.clk.Advance(time.Minute)
			e.gone(t, tenantA, unusedCookie)
			if got := e.ids(t, tenantA, alice); !slices.Equal(got, []string{used.ID}) {
				t.Fatalf("listed %q, want only the used session", got)
			}
		})
		t.Run("ends a used session at the absolute time", func(t *testing.T) {
			for e.clk.Now().Add(3 * time.Minute).Before(t0.Add(absolute)) {
				e.clk.Advance(3 * time.Minute)
				e.live(t, tenantA, usedCookie)
			}
			e.clk.Set(t0.Add(absolute))
			e.gone(t, tenantA, usedCookie)
			if got := e.ids(t, tenantA, alice); len(got) != 0 {
				t.Fatalf("listed %q after the absolute time", got)
			}
		})
	})
}

func TestForgetUser(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.create(t, tenantA, alice, "pwd")
		_, ended := e.create(t, tenantA, alice, "pwd")
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.ses.Revoke(ctx, tx, tenantA, ended) }); err != nil {
			t.Fatal(err)
		}
		other, _ := e.create(t, tenantB, alice, "pwd")
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.ses.ForgetUser(ctx, tx, tenantA, alice) }); err != nil {
			t.Fatal(err)
		}
		var left int
		err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
			return tx.QueryRow(ctx, `SELECT COUNT(*) FROM sessions WHERE tenant_id = ? AND user_id = ?`, tenantA, alice).Scan(&left)
		})
		if err != nil || left != 0 {
			t.Fatalf("%d sessions left (%v), want none, ended ones included", left, err)
		}
		if got := e.ids(t, tenantB, alice); !slices.Equal(got, []string{other.ID}) {
			t.Fatalf("the other tenant's sessions: %v", got)
		}
	})
}
