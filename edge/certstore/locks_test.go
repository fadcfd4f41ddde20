package certstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lintel-id/lintel/edge/certstore"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

const name = "issue_cert_login.example.com"

func tryLock(t *testing.T, s *certstore.Storage, want bool) {
	t.Helper()
	got, err := s.TryLock(context.Background(), name)
	if err != nil || got != want {
		t.Fatalf("TryLock = %v, %v; want %v, nil", got, err, want)
	}
}

// renewals drives one Storage's renewal goroutines: tick wakes them as the
// renew interval would, done receives each renewal's outcome.
type renewals struct {
	tick chan time.Time
	done chan error
}

func driveRenewals(s *certstore.Storage) renewals {
	r := renewals{tick: make(chan time.Time), done: make(chan error, 16)}
	certstore.SetRenewHooks(s, func(time.Duration) <-chan time.Time { return r.tick },
		func(_ string, err error) { r.done <- err })
	return r
}

// renew runs one renewal and returns its outcome.
func (r renewals) renew(now time.Time) error {
	r.tick <- now
	return <-r.done
}

func testTakesOverALockWhoseLeaseHasPassed(t *testing.T, bk backing) {
	clk := clock.NewFake(start)
	opts := certstore.Options{Lease: time.Minute, PollInterval: 10 * time.Millisecond}
	dead, _ := bk.node(t, clk, opts)
	certstore.SetRenewHooks(dead, noRenewal, nil) // its holder stopped
	live, _ := bk.node(t, clk, opts)
	if err := dead.Lock(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute - time.Microsecond)
	tryLock(t, live, false)
	clk.Advance(time.Microsecond)
	tryLock(t, live, true)
	if err := dead.Unlock(context.Background(), name); !errors.Is(err, certstore.ErrNotHeld) {
		t.Errorf("Unlock by the holder that lost the lock: %v, want ErrNotHeld", err)
	}
	tryLock(t, dead, false) // its Unlock left the new holder's row alone
	if err := live.Unlock(context.Background(), name); err != nil {
		t.Fatal(err)
	}
}

func testLockWaitsOutADeadHoldersLease(t *testing.T, bk backing) {
	clk := clock.NewFake(start)
	opts := certstore.Options{Lease: time.Minute, PollInterval: 10 * time.Millisecond}
	dead, _ := bk.node(t, clk, opts)
	certstore.SetRenewHooks(dead, noRenewal, nil)
	waiter, _ := bk.node(t, clk, opts)
	if err := dead.Lock(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	acquired := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		acquired <- waiter.Lock(ctx, name)
	}()
	clk.Advance(time.Minute)
	if err := <-acquired; err != nil {
		t.Fatalf("Lock once the holder's lease passed: %v", err)
	}
	tryLock(t, dead, false)
}

func testRenewalKeepsAHeldLockPastItsLease(t *testing.T, bk backing) {
	ctx := context.Background()
	clk := clock.NewFake(start)
	opts := certstore.Options{Lease: time.Minute}
	holder, _ := bk.node(t, clk, opts)
	r := driveRenewals(holder)
	other, _ := bk.node(t, clk, opts)
	if err := holder.Lock(ctx, name); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		now := clk.Advance(40 * time.Second)
		if err := r.renew(now); err != nil {
			t.Fatalf("renewal %d: %v", i, err)
		}
		clk.Advance(40 * time.Second) // past the lease it had before renewing
		tryLock(t, other, false)
	}
	// certmagic's own renewal between retries of an obtain.
	clk.Advance(40 * time.Second)
	if err := holder.RenewLockLease(ctx, name, 6*time.Hour); err != nil {
		t.Fatal(err)
	}
	clk.Advance(40 * time.Second)
	tryLock(t, other, false)
	if err := holder.Unlock(ctx, name); err != nil {
		t.Fatal(err)
	}
	tryLock(t, other, true)
}

func testRenewLockLeaseKeepsTheStoragesOwnLease(t *testing.T, bk backing) {
	ctx := context.Background()
	clk := clock.NewFake(start)
	opts := certstore.Options{Lease: time.Minute}
	holder, _ := bk.node(t, clk, opts)
	certstore.SetRenewHooks(holder, noRenewal, nil)
	other, _ := bk.node(t, clk, opts)
	if err := holder.Lock(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := holder.RenewLockLease(ctx, name, 6*time.Hour); err != nil {
		t.Fatal(err)
	}
	// A dead holder blocks the others for a Lease, not for the hours
	// certmagic asked for.
	clk.Advance(time.Minute)
	tryLock(t, other, true)
}

func testRenewalNoticesALostLock(t *testing.T, bk backing) {
	ctx := context.Background()
	clk := clock.NewFake(start)
	opts := certstore.Options{Lease: time.Minute}
	slow, _ := bk.node(t, clk, opts)
	r := driveRenewals(slow)
	other, _ := bk.node(t, clk, opts)
	if err := slow.Lock(ctx, name); err != nil {
		t.Fatal(err)
	}
	// The holder missed its renewals for a whole lease (a paused VM).
	clk.Advance(time.Minute)
	tryLock(t, other, true)
	if err := r.renew(clk.Now()); !errors.Is(err, certstore.ErrNotHeld) {
		t.Errorf("renewal of a lost lock: %v, want ErrNotHeld", err)
	}
	if err := slow.RenewLockLease(ctx, name, time.Minute); !errors.Is(err, certstore.ErrNotHeld) {
		t.Errorf("RenewLockLease of a lost lock: %v, want ErrNotHeld", err)
	}
	if err := slow.Unlock(ctx, name); !errors.Is(err, certstore.ErrNotHeld) {
		t.Errorf("Unlock of a lost lock: %v, want ErrNotHeld", err)
	}
	tryLock(t, slow, false) // the other node still holds it
}

func testLockRefusals(t *testing.T, bk backing) {
	ctx := context.Background()
	s, _ := bk.node(t, clock.NewFake(start), certstore.Options{})
	other, _ := bk.node(t, clock.NewFake(start), certstore.Options{})
	if err := s.Unlock(ctx, "never"); !errors.Is(err, certstore.ErrNotHeld) {
		t.Errorf("Unlock of a lock never taken: %v, want ErrNotHeld", err)
	}
	if err := s.RenewLockLease(ctx, "never", time.Minute); !errors.Is(err, certstore.ErrNotHeld) {
		t.Errorf("RenewLockLease of a lock never taken: %v, want ErrNotHeld", err)
	}
	if err := s.Lock(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := other.Unlock(ctx, name); !errors.Is(err, certstore.ErrNotHeld) {
		t.Errorf("Unlock by another node: %v, want ErrNotHeld", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, st := range []*certstore.Storage{s, other} {
		if ok, err := st.TryLock(cancelled, name); ok || !errors.Is(err, context.Canceled) {
			t.Errorf("TryLock with a cancelled context = %v, %v; want false, context.Canceled", ok, err)
		}
		if err := st.Lock(cancelled, name); !errors.Is(err, context.Canceled) {
			t.Errorf("Lock with a cancelled context: %v, want context.Canceled", err)
		}
	}
}

func testCloseReleasesEveryLock(t *testing.T, bk backing) {
	ctx := context.Background()
	s, st := bk.node(t, clock.NewFake(start), certstore.Options{})
	other, _ := bk.node(t, clock.NewFake(start), certstore.Options{})
	for _, n := range []string{"a", "b", name} {
		if err := s.Lock(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM cert_locks`).Scan(&rows)
	}); err != nil {
		t.Fatal(err)
	}
	if rows != 0 {
		t.Errorf("%d lock rows left after Close", rows)
	}
	tryLock(t, other, true)
}

func TestNewRefusesBadOptions(t *testing.T) {
	bk := newBacking(t, storetest.SQLite())
	st := bk.open(t)
	sec, err := secrets.New(context.Background(), st, bk.ring, clock.NewFake(start))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := certstore.New(st, sec, clock.NewFake(start), certstore.Options{Lease: time.Minute, RenewInterval: time.Minute}); err == nil {
		t.Error("New accepted a renew interval as long as the lease")
	}
	if _, err := certstore.New(st, nil, clock.NewFake(start), certstore.Options{}); err == nil {
		t.Error("New accepted no sealer")
	}
}
