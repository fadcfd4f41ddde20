// Package certstore keeps certmagic's storage in Lintel's database, so that
// every node behind one PostgreSQL (or the single node on SQLite) shares
// TLS certificates, their private keys, ACME accounts and challenge tokens,
// and certmagic's cluster locks work across processes: two nodes asked for
// a new domain obtain its certificate once.
//
// Private keys are sealed by the secrets service before they reach the
// database; locks are rows with a lease that their holder renews while it
// holds them, so a lock whose holder died is taken over once its lease has
// passed.
package certstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// Sentinel errors callers branch on with errors.Is. A missing key is
// reported as fs.ErrNotExist, as certmagic expects.
var (
	// ErrInvalidKey is returned for a key that is empty (the root, for
	// Store, Load and Delete), not UTF-8, or holds a NUL byte.
	ErrInvalidKey = errors.New("certstore: invalid key")
	// ErrPathConflict is returned by Store for a key that is a directory
	// (other keys lie below it) or that lies below a key holding a value,
	// as a file system refuses a file over a directory or inside a file.
	ErrPathConflict = errors.New("certstore: key is a directory or lies under a file")
	// ErrNotHeld is returned by Unlock and RenewLockLease for a lock this
	// Storage does not hold: never locked, already unlocked, or taken over
	// by another holder after its lease passed unrenewed.
	ErrNotHeld = errors.New("certstore: lock not held by this storage")
)

// Sealer seals and opens private keys; *secrets.Service is one.
type Sealer interface {
	// Seal encrypts plaintext for the row named by b.
	Seal(b secrets.Binding, plaintext []byte) ([]byte, error)
	// Open decrypts a ciphertext sealed for b, reading data keys through tx.
	Open(ctx context.Context, tx store.Tx, b secrets.Binding, ciphertext []byte) ([]byte, error)
}

// SealPurpose is the purpose private keys are sealed under; each is bound
// to its storage key, so a ciphertext copied to another key does not open.
const SealPurpose = "certmagic.private-key"

// Defaults of Options.
const (
	DefaultLease        = time.Minute
	DefaultPollInterval = 500 * time.Millisecond
)

// Options tune a Storage; zero fields take the defaults.
type Options struct {
	// Lease is how long a lock stays held without renewal: how long a lock
	// of a holder that died blocks the others. Default DefaultLease.
	Lease time.Duration
	// RenewInterval is how often a holder renews its locks' leases; it
	// must be well under Lease. Default Lease/3.
	RenewInterval time.Duration
	// PollInterval is how often Lock looks again at a lock held by another
	// node, with ±50% jitter so that waiters do not all ask at once. A lock
	// released by this Storage wakes its own waiters at once. Default
	// DefaultPollInterval.
	PollInterval time.Duration
	// Logger receives lock takeovers and renewals that failed, by lock
	// name; never a value.
	Logger *slog.Logger
}

// Storage is certmagic's Storage (with TryLocker and LockLeaseRenewer) on
// Lintel's database.
//
// Keys follow certmagic's contract: components separated by '/', and a
// key's leading, trailing and repeated slashes are ignored ("/a//b/" is
// "a/b"), as FileStorage's path joining does. A "directory" is a key that
// prefixes others by whole components ("a" prefixes "a/b", not "ab/c"); it
// exists while a key lies below it. The empty key is the root directory,
// which always exists.
//
// Errors: Load, Stat and List of a missing key return an error satisfying
// errors.Is(err, fs.ErrNotExist); Delete of a missing key returns nil; Store
// refuses a key that is a directory or lies under a value with
// ErrPathConflict; invalid keys fail with ErrInvalidKey; database errors are
// wrapped. A private key that does not open (altered, or moved to another
// key) fails Load with an error matching secrets.ErrDecrypt.
//
// Atomicity: each method is one database transaction: Store replaces a
// value whole, Delete of a directory removes everything below it or
// nothing, List and Stat read one consistent snapshot.
//
// Sealing: values whose key ends in ".key" or ".key.compromised" (site
// private keys, ACME account keys, and keys certmagic sets aside as
// compromised) are sealed by the Sealer before they are written and opened
// by Load; every other value is stored as given. Stat reports a sealed
// value's size before sealing.
//
// Locks: Lock, TryLock and Unlock implement certmagic's named locks across
// every Storage on one database, in this process or others. Each
// acquisition has its own holder ID, so two callers of one Storage exclude
// each other too (locks are not reentrant). While a lock is held a goroutine renews its lease every
// RenewInterval; a lock whose lease has passed (its holder died) is taken
// over. Expiry is judged by each node's injected clock, so nodes' clocks
// must agree to within Lease−RenewInterval, or a node whose clock runs
// ahead may take over a live lock. Lock blocks until the lock is acquired
// or ctx is done; Unlock releases only a lock this Storage holds and stops
// its renewal.
//
// Cancellation: every method honours ctx; a cancelled call changes nothing
// in the database and returns an error satisfying errors.Is(err,
// ctx.Err()) (Exists reports false). Unlock stops renewing the lock even
// when it cannot delete its row: the lock then lapses after its lease.
//
// A Storage is safe for concurrent use. Close releases its locks.
type Storage struct {
	st    store.Store
	seal  Sealer
	clk   clock.Clock
	opts  Options
	log   *slog.Logger
	id    string // random, names this Storage in lock holders
	hooks hooks

	mu    sync.Mutex
	held  map[string]*heldLock // lock name → this Storage's acquisition
	seq   uint64               // numbers acquisitions for holder IDs
	freed chan struct{}        // closed (and replaced) when a lock is released
}

// hooks let this package's tests drive the renewal goroutines without
// waiting: after replaces time.After, renewed reports each renewal.
type hooks struct {
	after   func(time.Duration) <-chan time.Time
	renewed func(name string, err error)
}

// New returns a Storage on st that seals private keys with seal and reads
// lock expiry from clk.
func New(st store.Store, seal Sealer, clk clock.Clock, opts Options) (*Storage, error) {
	if st == nil || seal == nil || clk == nil {
		return nil, errors.New("certstore: New needs a store, a sealer and a clock")
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.RenewInterval <= 0 {
		opts.RenewInterval = opts.Lease / 3
	}
	if opts.RenewInterval >= opts.Lease {
		return nil, fmt.Errorf("certstore: renew interval %v is not under the lease %v", opts.RenewInterval, opts.Lease)
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("certstore: holder ID: %w", err)
	}
	return &Storage{
		st: st, seal: seal, clk: clk, opts: opts, log: log,
		id:    hex.EncodeToString(b[:]),
		hooks: hooks{after: time.After},
		held:  map[string]*heldLock{},
		freed: make(chan struct{}),
	}, nil
}

// String names the Storage in certmagic's logs.
func (s *Storage) String() string { return "certstore:" + s.id }

// normalize returns key in certmagic's canonical form: no leading,
// trailing or repeated slashes, "" for the root. "." and ".." components
// are resolved as a path would be, never above the root.
func normalize(key string) (string, error) {
	if !utf8.ValidString(key) || strings.IndexByte(key, 0) >= 0 {
		return "", fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	return strings.TrimPrefix(path.Clean("/"+key), "/"), nil
}

// fileKey is normalize for keys that must name a value, not the root.
func fileKey(key string) (string, error) {
	k, err := normalize(key)
	if err == nil && k == "" {
		err = fmt.Errorf("%w: the root is not a value", ErrInvalidKey)
	}
	return k, err
}

// below returns the bounds of the keys strictly below directory dir:
// dir+"/" < key < dir+"0" ('0' follows '/'), compared bytewise. The root
// has every key below it: ok is false and no bound applies.
func below(dir string) (lo, hi string, ok bool) {
	if dir == "" {
		return "", "", false
	}
	return dir + "/", dir + "0", true
}

// sealed reports whether the value at key is a private key.
func sealed(key string) bool {
	return strings.HasSuffix(key, ".key") || strings.HasSuffix(key, ".key.compromised")
}

func binding(key string) secrets.Binding {
	return secrets.Binding{Purpose: SealPurpose, Row: key}
}

var _ Sealer = (*secrets.Service)(nil)
