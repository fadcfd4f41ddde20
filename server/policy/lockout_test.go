package policy

import (
	"context"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// fail records a failed sign-in and returns what it reported.
func (e *env) fail(t *testing.T, tenantID, userID string) (bool, time.Time) {
	t.Helper()
	var locked bool
	var until time.Time
	if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
		var err error
		locked, until, err = e.svc.RecordFailure(ctx, tx, tenantID, userID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return locked, until
}

// lock reports a user's lock.
func (e *env) lock(t *testing.T, tenantID, userID string) (time.Time, bool) {
	t.Helper()
	var locked bool
	until := get(t, e, func(ctx context.Context, tx store.Tx) (time.Time, error) {
		u, l, err := e.svc.LockedUntil(ctx, tx, tenantID, userID)
		locked = l
		return u, err
	})
	return until, locked
}

// failures reads a user's count of failures.
func (e *env) failures(t *testing.T, tenantID, userID string) int {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (int, error) {
		var n int
		err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(failures), 0) FROM user_lockouts WHERE tenant_id = ? AND user_id = ?`, tenantID, userID).Scan(&n)
		return n, err
	})
}

func TestLockout(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten, other := e.tenant(t, "acme"), e.tenant(t, "other")
		e.setPassword(t, ten.ID, PasswordPolicy{MinLength: 8, MaxLength: 64, LockoutThreshold: 3, LockoutDuration: 10 * time.Minute})
		const user = "usr_alice"

		t.Run("locks when the failures reach the threshold", func(t *testing.T) {
			for i := 1; i < 3; i++ {
				if locked, until := e.fail(t, ten.ID, user); locked || !until.IsZero() {
					t.Fatalf("failure %d locked until %v", i, until)
				}
				if _, locked := e.lock(t, ten.ID, user); locked {
					t.Fatalf("locked after %d failures", i)
				}
			}
			e.clk.Advance(time.Second)
			locked, until := e.fail(t, ten.ID, user)
			if want := e.clk.Now().Add(10 * time.Minute); !locked || !until.Equal(want) {
				t.Fatalf("third failure: locked %v until %v, want until %v", locked, until, want)
			}
			if got, locked := e.lock(t, ten.ID, user); !locked || !got.Equal(until) {
				t.Fatalf("LockedUntil %v, %v", got, locked)
			}
		})
		t.Run("changes nothing while locked, and locks only once", func(t *testing.T) {
			until, _ := e.lock(t, ten.ID, user)
			e.clk.Advance(5 * time.Minute)
			locked, got := e.fail(t, ten.ID, user)
			if locked || !got.Equal(until) {
				t.Fatalf("a failure while locked: locked %v until %v", locked, got)
			}
			if again, _ := e.lock(t, ten.ID, user); !again.Equal(until) {
				t.Fatalf("the lock moved to %v", again)
			}
		})
		t.Run("unlocks when the time passes, then counts afresh and locks again", func(t *testing.T) {
			until, _ := e.lock(t, ten.ID, user)
			e.clk.Set(until)
			if _, locked := e.lock(t, ten.ID, user); locked {
				t.Fatal("still locked at the lock's end")
			}
			if locked, _ := e.fail(t, ten.ID, user); locked {
				t.Fatal("the first failure after a lock locked again")
			}
			if n := e.failures(t, ten.ID, user); n != 1 {
				t.Fatalf("%d failures after the lock, want 1", n)
			}
			e.fail(t, ten.ID, user)
			if locked, _ := e.fail(t, ten.ID, user); !locked {
				t.Fatal("did not lock again at the threshold")
			}
		})
		t.Run("clears failures and lifts a lock", func(t *testing.T) {
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.ClearFailures(ctx, tx, ten.ID, user) }); err != nil {
				t.Fatal(err)
			}
			if _, locked := e.lock(t, ten.ID, user); locked {
				t.Fatal("locked after ClearFailures")
			}
			e.fail(t, ten.ID, user)
			if n := e.failures(t, ten.ID, user); n != 1 {
				t.Fatalf("%d failures after clearing, want 1", n)
			}
			// Clearing twice is no error.
			for range 2 {
				if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.ClearFailures(ctx, tx, ten.ID, user) }); err != nil {
					t.Fatal(err)
				}
			}
		})
		t.Run("keeps tenants apart", func(t *testing.T) {
			for range 3 {
				e.fail(t, ten.ID, "usr_shared")
			}
			if _, locked := e.lock(t, other.ID, "usr_shared"); locked {
				t.Fatal("a lock in one tenant holds in another")
			}
			if n := e.failures(t, other.ID, "usr_shared"); n != 0 {
				t.Fatalf("%d failures in the other tenant", n)
			}
		})
		t.Run("locks until an admin unlocks when the duration is 0", func(t *testing.T) {
			e.setPassword(t, other.ID, PasswordPolicy{MinLength: 8, MaxLength: 64, LockoutThreshold: 2})
			e.fail(t, other.ID, "usr_bob")
			locked, until := e.fail(t, other.ID, "usr_bob")
			if !locked || !until.IsZero() {
				t.Fatalf("locked %v until %v, want an indefinite lock", locked, until)
			}
			e.clk.Advance(365 * 24 * time.Hour)
			if got, locked := e.lock(t, other.ID, "usr_bob"); !locked || !got.IsZero() {
				t.Fatalf("a year later: %v, %v", got, locked)
			}
			if locked, _ := e.fail(t, other.ID, "usr_bob"); locked {
				t.Fatal("locked twice")
			}
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.ClearFailures(ctx, tx, other.ID, "usr_bob") }); err != nil {
				t.Fatal(err)
			}
			if _, locked := e.lock(t, other.ID, "usr_bob"); locked {
				t.Fatal("still locked after the admin unlocked")
			}
		})
		t.Run("never locks when the threshold is 0", func(t *testing.T) {
			e.setPassword(t, other.ID, PasswordPolicy{MinLength: 8, MaxLength: 64, LockoutThreshold: 0, LockoutDuration: time.Hour})
			for i := range 150 {
				if locked, _ := e.fail(t, other.ID, "usr_carol"); locked {
					t.Fatalf("locked at failure %d", i+1)
				}
			}
			if _, locked := e.lock(t, other.ID, "usr_carol"); locked {
				t.Fatal("locked")
			}
		})
		t.Run("locks at once when the threshold falls below the count", func(t *testing.T) {
			e.setPassword(t, other.ID, PasswordPolicy{MinLength: 8, MaxLength: 64, LockoutThreshold: 5, LockoutDuration: time.Hour})
			if locked, _ := e.fail(t, other.ID, "usr_carol"); !locked {
				t.Fatal("did not lock")
			}
		})
	})
}

func TestForget(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten, other := e.tenant(t, "acme"), e.tenant(t, "other")
		for _, id := range []string{ten.ID, other.ID} {
			e.put(t, id, "", allow("anyone", "", 1, AuthPassword))
			e.setPassword(t, id, DefaultPasswordPolicy())
			for _, u := range []string{"usr_a", "usr_b"} {
				e.fail(t, id, u)
				if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
					return e.svc.RememberPassword(ctx, tx, id, u, "$argon2id$x")
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.ForgetUser(ctx, tx, ten.ID, "usr_a") }); err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, "password_history"); n != 3 {
			t.Fatalf("%d hashes after forgetting a user, want 3", n)
		}
		if n := e.failures(t, ten.ID, "usr_a"); n != 0 {
			t.Fatalf("%d failures of a forgotten user", n)
		}
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.ForgetTenant(ctx, tx, ten.ID) }); err != nil {
			t.Fatal(err)
		}
		for table, want := range map[string]int{"signon_policies": 1, "password_policies": 1, "password_history": 2, "user_lockouts": 2} {
			if n := e.count(t, table); n != want {
				t.Errorf("%s: %d rows after forgetting a tenant, want the other tenant's %d", table, n, want)
			}
		}
	})
}

func TestLockEnded(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten, other := e.tenant(t, "acme"), e.tenant(t, "other")
		e.setPassword(t, ten.ID, PasswordPolicy{MinLength: 8, MaxLength: 64, LockoutThreshold: 1, LockoutDuration: time.Minute})
		e.setPassword(t, other.ID, PasswordPolicy{MinLength: 8, MaxLength: 64, LockoutThreshold: 1})
		ended := func(tenantID, userID string) bool {
			t.Helper()
			return get(t, e, func(ctx context.Context, tx store.Tx) (bool, error) {
				return e.svc.LockEnded(ctx, tx, tenantID, userID)
			})
		}
		if ended(ten.ID, "usr_a") {
			t.Fatal("a user without a lock has an ended lock")
		}
		e.fail(t, ten.ID, "usr_a")
		e.fail(t, other.ID, "usr_a")
		if ended(ten.ID, "usr_a") {
			t.Fatal("a lock in force has ended")
		}
		e.clk.Advance(time.Minute)
		if !ended(ten.ID, "usr_a") {
			t.Fatal("a lock whose time passed has not ended")
		}
		if ended(other.ID, "usr_a") {
			t.Fatal("a lock until an admin unlocks has ended")
		}
	})
}
