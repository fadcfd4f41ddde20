package certstoretest_test

import (
	"testing"

	"github.com/caddyserver/certmagic"

	"github.com/lintel-id/lintel/edge/certstore/certstoretest"
)

// fileQuirks are FileStorage's documented departures: its locks are files
// any handle may remove, and a key below a file is ENOTDIR, not missing.
var fileQuirks = certstoretest.Quirks{UnlockAnyHolder: true, KeysUnderValues: true}

// TestFileStorage checks the suite itself against certmagic's FileStorage.
// Its waiters poll every second, so the lock tests take seconds; the two
// halves run in parallel.
func TestFileStorage(t *testing.T) {
	t.Run("one handle", func(t *testing.T) {
		t.Parallel()
		certstoretest.Run(t, func(t *testing.T) certmagic.Storage {
			return &certmagic.FileStorage{Path: t.TempDir()}
		}, fileQuirks)
	})
	t.Run("two handles", func(t *testing.T) {
		t.Parallel()
		certstoretest.RunShared(t, func(t *testing.T) (a, b certmagic.Storage) {
			dir := t.TempDir()
			return &certmagic.FileStorage{Path: dir}, &certmagic.FileStorage{Path: dir}
		}, fileQuirks)
	})
}
