package edge

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/lintel-id/lintel/locales"
	"github.com/lintel-id/lintel/server/engine"
)

// TestEveryMessageIDExists checks that the IDs the engine puts in views and
// the pages and handlers render are all in the catalogs.
func TestEveryMessageIDExists(t *testing.T) {
	cat, err := locales.Load(locales.FS())
	if err != nil {
		t.Fatal(err)
	}
	l := cat.Localizer(cat.Languages()[0])
	ids := append([]string(nil), engine.MessageIDs...)
	files, _ := filepath.Glob("*.go")
	more, _ := filepath.Glob("pages/*.templ")
	used := regexp.MustCompile(`(?:Text\(|errorPage\([^,]+, [^,]+, [^,]+, |"error"\s*:\s*|apiError\([^,]+, [^,]+, [^,]+, )"([a-z_]+(?:\.[a-z0-9_]+)+)"`)
	literal := regexp.MustCompile(`"((?:error|identify|password|done|logout|demo|flow)\.[a-z0-9_.]+)"`)
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			ids = append(ids, m[1])
		}
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			ids = append(ids, m[1])
		}
	}
	if len(ids) < 20 {
		t.Fatalf("found only %d IDs; the scan is broken", len(ids))
	}
	for _, id := range ids {
		if !l.Has(id) {
			t.Errorf("message ID %q is not in the catalogs", id)
		}
	}
}
