package locales

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// sampleParams are the values the golden file renders placeholders with.
// A placeholder not listed renders with "sample-<name>".
var sampleParams = map[string]string{
	"app":  "Acme",
	"user": "alice@example.com",
	"max":  "64",
	"id":   "req_01J9Z3",
}

// sampleCounts are the counts every plural message is rendered with: one
// per Arabic category, and a decimal.
var sampleCounts = []string{"0", "1", "2", "3", "11", "100", "101", "1.5"}

// goldenAll are the languages whose every message the golden file
// renders: the source and a right-to-left language with six plural
// categories. Of the others it renders the plural messages, where the
// language's own rules pick the text; their plain texts are the JSON
// files themselves, reviewed as such.
var goldenAll = []string{"en", "ar"}

// TestGoldenRender renders the embedded messages into
// testdata/render.golden (every message of goldenAll, the plural ones of
// every other language), so that a change shows in review. Values are
// Go-quoted: the isolates around params in right-to-left text show as
// \u2068 and \u2069.
func TestGoldenRender(t *testing.T) {
	c := mustLoad(t, FS())
	var b bytes.Buffer
	b.WriteString("# Messages of the embedded catalogs rendered with sample params: every one in en and ar, the plural ones elsewhere.\n")
	b.WriteString("# Regenerate with: go test ./locales -run TestGoldenRender -update\n")
	for _, loc := range c.locs {
		fmt.Fprintf(&b, "\n== %s (%s) %s\n", loc.Lang(), loc.Dir(), loc.Name())
		all := slices.Contains(goldenAll, loc.Lang())
		for _, id := range c.IDs() {
			m := loc.msgs[id]
			if !all && !m.plural {
				continue
			}
			var params []string
			for _, name := range m.params() {
				if name == "count" {
					continue
				}
				v, ok := sampleParams[name]
				if !ok {
					v = "sample-" + name
				}
				params = append(params, name, v)
			}
			if !m.plural {
				fmt.Fprintf(&b, "%s = %s\n", id, strconv.Quote(loc.Text(id, params...)))
				continue
			}
			seen := map[string]bool{}
			for _, n := range sampleCounts {
				// Outside goldenAll, one count per category the language has.
				if form := formNames[countForm(loc.tag, n)]; !all && seen[form] {
					continue
				} else {
					seen[form] = true
				}
				text := loc.Text(id, append([]string{"count", n}, params...)...)
				fmt.Fprintf(&b, "%s [count=%s %s] = %s\n", id, n, formNames[countForm(loc.tag, n)], strconv.Quote(text))
			}
		}
	}
	golden := filepath.Join("testdata", "render.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./locales -update to create it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("rendering differs from %s (run go test ./locales -update and review the diff):\n%s", golden, firstDiff(got, string(want)))
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, gl, wl)
		}
	}
	return ""
}
