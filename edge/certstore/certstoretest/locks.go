package certstoretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
)

// patience bounds every wait for a lock, so that a broken implementation
// fails the test instead of hanging it. It is no timing assertion: a
// correct implementation acquires long before.
const patience = 30 * time.Second

// lockName is a name as certmagic makes them.
const lockName = "issue_cert_login.example.com"

func lock(t *testing.T, s certmagic.Storage, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := s.Lock(ctx, name); err != nil {
		t.Fatalf("Lock(%q): %v", name, err)
	}
}

func unlock(t *testing.T, s certmagic.Storage, name string) {
	t.Helper()
	if err := s.Unlock(context.Background(), name); err != nil {
		t.Fatalf("Unlock(%q): %v", name, err)
	}
}

func tryLock(t *testing.T, s certmagic.Storage, name string, want bool) {
	t.Helper()
	tl, ok := s.(certmagic.TryLocker)
	if !ok {
		return
	}
	got, err := tl.TryLock(context.Background(), name)
	if err != nil || got != want {
		t.Fatalf("TryLock(%q) = %v, %v; want %v, nil", name, got, err, want)
	}
}

// excludes checks that waiter's Lock does not return before holder, which
// holds name, unlocks it, and that it returns after.
func excludes(t *testing.T, holder, waiter certmagic.Storage) {
	t.Helper()
	lock(t, holder, lockName)
	var released atomic.Bool
	acquired := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		err := waiter.Lock(ctx, lockName)
		if err == nil && !released.Load() {
			err = errors.New("acquired while the lock was held")
		}
		acquired <- err
	}()
	tryLock(t, waiter, lockName, false)
	released.Store(true)
	unlock(t, holder, lockName)
	if err := <-acquired; err != nil {
		t.Fatalf("waiting Lock: %v", err)
	}
	unlock(t, waiter, lockName)
}

func testLockExcludes(t *testing.T, s certmagic.Storage, _ Quirks) { excludes(t, s, s) }

// lockGivesUp checks that Lock of a held name returns ctx's error, holds
// nothing, and leaves the holder's lock alone.
func lockGivesUp(t *testing.T, ctx context.Context, cancel context.CancelFunc, want error, s certmagic.Storage) {
	t.Helper()
	lock(t, s, lockName)
	got := make(chan error, 1)
	go func() { got <- s.Lock(ctx, lockName) }()
	cancel()
	if err := <-got; !errors.Is(err, want) {
		t.Fatalf("Lock of a held name with a done context: %v, want %v", err, want)
	}
	unlock(t, s, lockName) // still the first holder's
	lock(t, s, lockName)   // and nothing left behind
	unlock(t, s, lockName)
}

func testLockCancel(t *testing.T, s certmagic.Storage, _ Quirks) {
	ctx, cancel := context.WithCancel(context.Background())
	lockGivesUp(t, ctx, cancel, context.Canceled, s)
}

func testLockDeadline(t *testing.T, s certmagic.Storage, _ Quirks) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	// The deadline, not cancel, ends the wait.
	lockGivesUp(t, ctx, func() { <-ctx.Done() }, context.DeadlineExceeded, s)
}

func testLockNames(t *testing.T, s certmagic.Storage, _ Quirks) {
	names := []string{"issue_cert_a.example", "issue_cert_b.example", "ari_1234", "storage_clean"}
	for _, n := range names {
		lock(t, s, n)
	}
	for _, n := range names {
		unlock(t, s, n)
	}
}

// contend has workers goroutines, spread over handles, each take the lock
// in turn and check that no one else holds it or writes its value meanwhile.
func contend(t *testing.T, handles []certmagic.Storage, workers int) {
	t.Helper()
	var (
		inside atomic.Int32
		wg     sync.WaitGroup
	)
	for w := range workers {
		h := handles[w%len(handles)]
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), patience)
			defer cancel()
			if err := h.Lock(ctx, lockName); err != nil {
				t.Errorf("worker %d: Lock: %v", w, err)
				return
			}
			if n := inside.Add(1); n != 1 {
				t.Errorf("worker %d: %d holders at once", w, n)
			}
			mine := fmt.Appendf(nil, "worker %d", w)
			if err := h.Store(ctx, "mutex/owner", mine); err != nil {
				t.Errorf("worker %d: Store: %v", w, err)
			}
			if got, err := h.Load(ctx, "mutex/owner"); err != nil || !bytes.Equal(got, mine) {
				t.Errorf("worker %d: value written under the lock reads %q, %v", w, got, err)
			}
			inside.Add(-1)
			if err := h.Unlock(context.Background(), lockName); err != nil {
				t.Errorf("worker %d: Unlock: %v", w, err)
			}
		})
	}
	wg.Wait()
}

func testLockMutualExclusion(t *testing.T, s certmagic.Storage, _ Quirks) {
	contend(t, []certmagic.Storage{s}, 4)
}

func testUnlockNotHeld(t *testing.T, s certmagic.Storage, _ Quirks) {
	ctx := context.Background()
	if err := s.Unlock(ctx, "never_locked"); err == nil {
		t.Error("Unlock of a name never locked succeeded")
	}
	lock(t, s, lockName)
	unlock(t, s, lockName)
	if err := s.Unlock(ctx, lockName); err == nil {
		t.Error("second Unlock succeeded")
	}
}

func testTryLock(t *testing.T, s certmagic.Storage, _ Quirks) {
	if _, ok := s.(certmagic.TryLocker); !ok {
		t.Skipf("%T does not implement certmagic.TryLocker", s)
	}
	tryLock(t, s, lockName, true)
	tryLock(t, s, lockName, false)
	tryLock(t, s, "other", true)
	unlock(t, s, lockName)
	tryLock(t, s, lockName, true)
	unlock(t, s, lockName)
	unlock(t, s, "other")
}

func testSharedValues(t *testing.T, a, b certmagic.Storage, _ Quirks) {
	keys := map[string][]byte{
		"certificates/ca/example.com/example.com.crt":  []byte("certificate"),
		"certificates/ca/example.com/example.com.key":  []byte(privateKeyPEM),
		"certificates/ca/example.com/example.com.json": []byte(`{}`),
	}
	for k, v := range keys {
		store(t, a, k, v)
	}
	for k, v := range keys {
		expectValue(t, b, k, v)
	}
	expectList(t, b, "certificates/ca/example.com", false, "certificates/ca/example.com/example.com.crt",
		"certificates/ca/example.com/example.com.json", "certificates/ca/example.com/example.com.key")
	if err := b.Delete(context.Background(), "certificates/ca/example.com"); err != nil {
		t.Fatal(err)
	}
	expectExists(t, a, false, "certificates/ca/example.com/example.com.key")
}

func testSharedLock(t *testing.T, a, b certmagic.Storage, _ Quirks) { excludes(t, a, b) }

func testSharedTryLock(t *testing.T, a, b certmagic.Storage, _ Quirks) {
	if _, ok := b.(certmagic.TryLocker); !ok {
		t.Skipf("%T does not implement certmagic.TryLocker", b)
	}
	lock(t, a, lockName)
	tryLock(t, b, lockName, false)
	unlock(t, a, lockName)
	tryLock(t, b, lockName, true)
	tryLock(t, a, lockName, false)
	unlock(t, b, lockName)
}

func testSharedMutualExclusion(t *testing.T, a, b certmagic.Storage, _ Quirks) {
	contend(t, []certmagic.Storage{a, b}, 4)
}

func testSharedUnlockOther(t *testing.T, a, b certmagic.Storage, q Quirks) {
	lock(t, a, lockName)
	err := b.Unlock(context.Background(), lockName)
	if q.UnlockAnyHolder {
		// Documented: b's Unlock released a's lock.
		if err != nil {
			t.Fatalf("Unlock on the other handle: %v, want nil (Quirks.UnlockAnyHolder)", err)
		}
		lock(t, b, lockName)
		unlock(t, b, lockName)
		return
	}
	if err == nil {
		t.Fatal("Unlock on the handle that does not hold the lock succeeded")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := b.Lock(ctx, lockName); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock on the other handle after its refused Unlock: %v, want the lock still held", err)
	}
	unlock(t, a, lockName)
}
