package dist

import (
	"os"
	"strings"
	"testing"
)

// TestMakefileBuildsWithBuildFlags keeps make widget and BuildFlags, which
// the tests and the bench build with, the same.
func TestMakefileBuildsWithBuildFlags(t *testing.T) {
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range BuildFlags {
		if k, v, ok := strings.Cut(f, "="); ok && strings.Contains(v, " ") {
			f = k + "='" + v + "'"
		}
		want = append(want, f)
	}
	line := "GOOS=js GOARCH=wasm $(GO) build " + strings.Join(want, " ") + " -o $(WIDGET_TMP)/lintel.wasm"
	if !strings.Contains(string(mk), line) {
		t.Fatalf("the Makefile's widget target does not build with BuildFlags; want a line with\n%s", line)
	}
}
