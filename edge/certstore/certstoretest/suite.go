// Package certstoretest is the conformance suite for certmagic.Storage
// implementations: values round-trip byte for byte, missing keys are
// fs.ErrNotExist, directories are implied by the keys below them (listed,
// stat'ed and deleted as a whole, by whole path components), and named
// locks exclude every other caller, on one handle and across two handles
// onto one backing store, until Unlock, honouring cancellation.
//
// The suite also runs against certmagic's own FileStorage, to check the
// suite itself; where FileStorage departs from the contract, Quirks names
// the departure and the suite checks the documented behaviour instead.
//
// Storages under test read the system clock: Stat's modification times are
// compared with the wall clock, within a second either way (file systems
// keep coarse timestamps). Stale-lock takeover depends on each
// implementation's notion of time and is tested by the implementations.
package certstoretest

import (
	"testing"

	"github.com/caddyserver/certmagic"
)

// Quirks are departures from the contract that a Storage may document;
// the suite then checks the documented behaviour instead.
type Quirks struct {
	// UnlockAnyHolder: Unlock on a handle releases a lock another handle
	// holds. FileStorage's lock is a file that any handle may remove.
	UnlockAnyHolder bool
	// KeysUnderValues: a key below a key that holds a value is an error
	// of its own rather than missing; Exists reports it, Delete and Load
	// fail with ENOTDIR. FileStorage asks the file system, which says so.
	// The suite leaves such keys out; certmagic never makes one.
	KeysUnderValues bool
}

// NewStorage returns an empty Storage on the system clock, released when
// t ends. The suite calls it once per subtest.
type NewStorage func(t *testing.T) certmagic.Storage

// NewShared returns two handles onto one new, empty backing store, as two
// nodes of a cluster would open it, released when t ends.
type NewShared func(t *testing.T) (a, b certmagic.Storage)

// Run checks every behaviour of one handle, each subtest on a fresh
// Storage from newStorage, allowing the departures q names.
func Run(t *testing.T, newStorage NewStorage, q Quirks) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s certmagic.Storage, q Quirks)
	}{
		{"round-trips binary values", testRoundTrip},
		{"overwrites a value", testOverwrite},
		{"reports a missing key as fs.ErrNotExist", testMissing},
		{"ignores leading, trailing and repeated slashes", testNormalise},
		{"reports values and directories as existing", testExists},
		{"deletes a value and leaves its siblings", testDeleteValue},
		{"deletes a directory and everything below it", testDeleteDirectory},
		{"deletes a missing key without an error", testDeleteMissing},
		{"matches directories by whole components, with no wildcards", testPrefixes},
		{"lists a directory's immediate children", testListChildren},
		{"lists every key below a directory recursively", testListRecursive},
		{"lists the top level under the empty path", testListRoot},
		{"lists nothing under a value", testListValue},
		{"stats a value", testStatValue},
		{"stats a directory as not terminal", testStatDirectory},
		{"refuses a value over a directory or under a value", testPathConflict},
		{"refuses to load a directory", testLoadDirectory},
		{"stores and loads from many goroutines", testConcurrentStore},
		{"Lock excludes a second caller until Unlock", testLockExcludes},
		{"Lock returns the context's error when cancelled", testLockCancel},
		{"Lock returns the context's error at the deadline", testLockDeadline},
		{"locks of different names are independent", testLockNames},
		{"many goroutines hold a lock one at a time", testLockMutualExclusion},
		{"Unlock fails for a lock not held", testUnlockNotHeld},
		{"TryLock reports a held lock", testTryLock},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStorage(t), q) })
	}
}

// RunShared checks what two handles onto one backing store must agree on:
// the values each stores and the locks each holds, allowing the
// departures q names.
func RunShared(t *testing.T, newShared NewShared, q Quirks) {
	tests := []struct {
		name string
		fn   func(t *testing.T, a, b certmagic.Storage, q Quirks)
	}{
		{"a value stored by one handle loads from the other", testSharedValues},
		{"a lock held by one handle excludes the other until Unlock", testSharedLock},
		{"TryLock on one handle reports the other's lock", testSharedTryLock},
		{"goroutines on two handles hold a lock one at a time", testSharedMutualExclusion},
		{"Unlock on the handle that does not hold a lock", testSharedUnlockOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newShared(t)
			tc.fn(t, a, b, q)
		})
	}
}
