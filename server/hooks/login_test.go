package hooks_test

import (
	"testing"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/hooks"
)

// TestLoginKeyIsTheDirectorys holds user.create's login comparison equal
// to the directory's, which it repeats to avoid an import cycle.
func TestLoginKeyIsTheDirectorys(t *testing.T) {
	for _, s := range []string{"alice@example.com", "  Alice@Example.COM ", "ＡＬＩＣＥ", "straße", "ﬁnn", "İstanbul", "", "x\u0301"} {
		if got, want := hooks.LoginKey(s), directory.NormalizeLogin(s); got != want {
			t.Errorf("%q: %q, the directory %q", s, got, want)
		}
	}
}
