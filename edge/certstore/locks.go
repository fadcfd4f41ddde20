package certstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/lintel-id/lintel/server/store"
)

// heldLock is one acquisition of a lock by this Storage.
type heldLock struct {
	holder string             // the row's holder: this acquisition only
	stop   context.CancelFunc // ends the renewal goroutine
	done   chan struct{}      // closed when the renewal goroutine has ended
}

// errHeld ends an acquiring transaction that found the lock held.
var errHeld = errors.New("certstore: lock held")

// Lock acquires the lock called name, blocking until it is free, its
// holder's lease has passed, or ctx is done: then it returns an error
// satisfying errors.Is(err, ctx.Err()) and holds nothing. While held, the
// lock's lease is renewed in the background until Unlock.
func (s *Storage) Lock(ctx context.Context, name string) error {
	for {
		// Taken before trying, so that a release between the try and the
		// wait still wakes us.
		s.mu.Lock()
		freed := s.freed
		s.mu.Unlock()
		ok, err := s.TryLock(ctx, name)
		if err != nil || ok {
			return err
		}
		wait := time.NewTimer(s.opts.PollInterval/2 + rand.N(s.opts.PollInterval))
		select {
		case <-ctx.Done():
			wait.Stop()
			return fmt.Errorf("certstore: lock %s: %w", name, ctx.Err())
		case <-freed:
			wait.Stop()
		case <-wait.C:
		}
	}
}

// TryLock acquires the lock called name if it is free or its holder's
// lease has passed, and reports whether it did; it does not wait. A lock
// held by another caller of this Storage is not free. On success the
// lease is renewed in the background until Unlock.
func (s *Storage) TryLock(ctx context.Context, name string) (bool, error) {
	s.mu.Lock()
	_, mine := s.held[name]
	s.seq++
	holder := s.id + "." + strconv.FormatUint(s.seq, 10)
	s.mu.Unlock()
	if mine {
		// Held here: not free, and never taken over from ourselves, as
		// this process is alive to renew it.
		if err := ctx.Err(); err != nil {
			return false, fmt.Errorf("certstore: lock %s: %w", name, err)
		}
		return false, nil
	}
	now := s.clk.Now()
	var prev string
	err := s.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		prev = ""
		var expires time.Time
		err := tx.QueryRow(ctx, `SELECT holder, expires_at FROM cert_locks WHERE name = ?`, name).Scan(&prev, &expires)
		switch {
		case errors.Is(err, store.ErrNotFound):
			_, err = tx.Exec(ctx, `INSERT INTO cert_locks (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)`,
				name, holder, now, now.Add(s.opts.Lease))
			return err
		case err != nil:
			return err
		case now.Before(expires):
			return errHeld
		}
		_, err = tx.Exec(ctx, `UPDATE cert_locks SET holder = ?, acquired_at = ?, expires_at = ? WHERE name = ?`,
			holder, now, now.Add(s.opts.Lease), name)
		return err
	})
	switch {
	case errors.Is(err, errHeld), errors.Is(err, store.ErrConflict):
		// ErrConflict: another node inserted the row first.
		return false, nil
	case err != nil:
		return false, fmt.Errorf("certstore: lock %s: %w", name, err)
	}
	if prev != "" {
		s.log.Info("certstore: took over a lock whose holder's lease had passed", "lock", name, "previous_holder", prev)
	}
	renewCtx, stop := context.WithCancel(context.Background())
	h := &heldLock{holder: holder, stop: stop, done: make(chan struct{})}
	s.mu.Lock()
	old := s.held[name]
	s.held[name] = h
	s.mu.Unlock()
	if old != nil {
		// Only if this Storage's own renewal failed for a whole lease
		// while another of its callers waited: that holder lost the lock.
		old.stop()
	}
	go s.keepFresh(renewCtx, name, h)
	return true, nil
}

// keepFresh renews h's lease every RenewInterval until ctx is done or the
// lock turns out to be lost. A failed renewal is retried at the next tick.
func (s *Storage) keepFresh(ctx context.Context, name string, h *heldLock) {
	defer close(h.done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.hooks.after(s.opts.RenewInterval):
		}
		err := s.extend(ctx, name, h.holder)
		if s.hooks.renewed != nil {
			s.hooks.renewed(name, err)
		}
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, ErrNotHeld):
			s.log.Warn("certstore: lost a lock to another holder after its lease passed unrenewed", "lock", name)
			return
		case err != nil:
			s.log.Warn("certstore: could not renew a lock's lease; retrying", "lock", name, "error", err)
		}
	}
}

// extend renews the lease of the lock called name held by holder to a
// full Lease from now, or fails with ErrNotHeld if the row is another's.
func (s *Storage) extend(ctx context.Context, name, holder string) error {
	expires := s.clk.Now().Add(s.opts.Lease)
	var n int64
	err := s.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		n, err = tx.Exec(ctx, `UPDATE cert_locks SET expires_at = ? WHERE name = ? AND holder = ?`, expires, name, holder)
		return err
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotHeld
	}
	return nil
}

// Unlock releases the lock called name held by this Storage and stops
// renewing it. It fails with ErrNotHeld if this Storage does not hold it,
// or if another holder took it over after its lease passed. If the
// database cannot be reached the error is returned and the lock, no longer
// renewed, lapses after its lease.
func (s *Storage) Unlock(ctx context.Context, name string) error {
	s.mu.Lock()
	h := s.held[name]
	delete(s.held, name)
	s.mu.Unlock()
	if h == nil {
		return fmt.Errorf("certstore: unlock %s: %w", name, ErrNotHeld)
	}
	h.stop()
	<-h.done
	var n int64
	err := s.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		n, err = tx.Exec(ctx, `DELETE FROM cert_locks WHERE name = ? AND holder = ?`, name, h.holder)
		return err
	})
	s.mu.Lock()
	close(s.freed)
	s.freed = make(chan struct{})
	s.mu.Unlock()
	switch {
	case err != nil:
		return fmt.Errorf("certstore: unlock %s: %w", name, err)
	case n == 0:
		return fmt.Errorf("certstore: unlock %s: taken over after its lease passed: %w", name, ErrNotHeld)
	}
	return nil
}

// RenewLockLease renews the lease of a lock this Storage holds, for
// certmagic's retries of a long obtain, and fails with ErrNotHeld if the
// lock was lost, which stops the retry. The lease is renewed to the
// Storage's Lease, not to leaseDuration: the background renewal keeps a
// live holder's lock for as long as it needs, and certmagic asks for up to
// days, which would only keep a dead holder's lock from being taken over.
func (s *Storage) RenewLockLease(ctx context.Context, name string, leaseDuration time.Duration) error {
	s.mu.Lock()
	h := s.held[name]
	s.mu.Unlock()
	if h == nil {
		return fmt.Errorf("certstore: renew lock %s: %w", name, ErrNotHeld)
	}
	if err := s.extend(ctx, name, h.holder); err != nil {
		return fmt.Errorf("certstore: renew lock %s: %w", name, err)
	}
	return nil
}

// Close releases every lock this Storage holds, so that other nodes need
// not wait out their leases; call it at shutdown, once certmagic has
// stopped. It returns the errors of the locks it could not release.
func (s *Storage) Close(ctx context.Context) error {
	s.mu.Lock()
	names := slices.Sorted(maps.Keys(s.held))
	s.mu.Unlock()
	var errs []error
	for _, name := range names {
		if err := s.Unlock(ctx, name); err != nil && !errors.Is(err, ErrNotHeld) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

var (
	_ certmagic.Storage          = (*Storage)(nil)
	_ certmagic.TryLocker        = (*Storage)(nil)
	_ certmagic.LockLeaseRenewer = (*Storage)(nil)
)
