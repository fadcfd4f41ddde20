package lintel_test

import (
	"strings"
	"testing"
)

// TestPackageDocs requires a package doc comment on every package.
func TestPackageDocs(t *testing.T) {
	for _, p := range listPackages(t) {
		if strings.TrimSpace(p.doc) == "" {
			t.Errorf("%s has no package doc comment", p.path)
		}
	}
}
