package certstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/lintel-id/lintel/edge/certstore"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// start is when the tests' fake clocks start.
var start = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// fast polls often, so that waiting on another handle's lock takes
// milliseconds rather than the default half second.
var fast = certstore.Options{PollInterval: 10 * time.Millisecond}

// backing is one database that nodes open handles onto, with the
// key-encryption key every node is configured with.
type backing struct {
	open storetest.Opener
	ring secrets.Keyring
}

func newBacking(t testing.TB, b storetest.Backend) backing {
	t.Helper()
	kek, err := secrets.GenerateKEK(start)
	if err != nil {
		t.Fatal(err)
	}
	return backing{open: b.New(t), ring: secrets.Keyring{Current: kek}}
}

// node opens a handle onto the backing store and a Storage on it, as one
// Lintel node would; its locks are released when t ends.
func (bk backing) node(t testing.TB, clk clock.Clock, opts certstore.Options) (*certstore.Storage, store.Store) {
	t.Helper()
	st := bk.open(t)
	sec, err := secrets.New(context.Background(), st, bk.ring, clk)
	if err != nil {
		t.Fatal(err)
	}
	s, err := certstore.New(st, sec, clk, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s, st
}

// emptied opens a handle onto bk and deletes every value and lock that
// earlier tests left there.
func emptied(t *testing.T, bk backing) {
	t.Helper()
	err := bk.open(t).Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM cert_objects`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM cert_locks`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestStorage checks what the conformance suite cannot: sealing, the
// injected clock, leases and their renewal, the sentinel errors, and
// certmagic itself on several nodes. Each dialect runs the tests on one
// database, emptied before each test (a fresh PostgreSQL database per
// test would cost half a second).
func TestStorage(t *testing.T) {
	tests := []struct {
		name string
		fn   func(t *testing.T, bk backing)
	}{
		{"seals private keys at rest and only them", testSealsPrivateKeysAtRest},
		{"refuses a sealed value moved to another key", testRefusesASealedValueMovedToAnotherKey},
		{"opens keys sealed by another node", testOpensKeysSealedByAnotherNode},
		{"refuses invalid keys with ErrInvalidKey", testRefusesInvalidKeys},
		{"refuses path conflicts with ErrPathConflict", testRefusesPathConflicts},
		{"changes nothing with a cancelled context", testCancelledContextChangesNothing},
		{"stats modification times from the injected clock", testStatReadsTheInjectedClock},
		{"takes over a lock whose lease has passed", testTakesOverALockWhoseLeaseHasPassed},
		{"Lock waits out a dead holder's lease", testLockWaitsOutADeadHoldersLease},
		{"renewal keeps a held lock past its lease", testRenewalKeepsAHeldLockPastItsLease},
		{"RenewLockLease keeps the Storage's own lease", testRenewLockLeaseKeepsTheStoragesOwnLease},
		{"renewal notices a lost lock", testRenewalNoticesALostLock},
		{"refuses locks not held and cancelled contexts", testLockRefusals},
		{"Close releases every lock", testCloseReleasesEveryLock},
		{"nodes obtain a certificate once", testNodesObtainACertificateOnce},
	}
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			bk := newBacking(t, b)
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					emptied(t, bk)
					tc.fn(t, bk)
				})
			}
		})
	}
}

// noRenewal is an after hook that never fires: locks are not renewed, as
// if their holder had stopped.
func noRenewal(time.Duration) <-chan time.Time { return nil }
