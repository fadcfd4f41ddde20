package wire

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImports holds the package to what the wasm widget can afford to
// link (DESIGN.md, "Rendering: one view, two places"). The root's
// arch_test.go checks the same for the whole tree; this one fails here,
// next to the code. Not even time: it costs the widget about 41 KB
// brotli (time, internal/godebug, internal/bisect), so times are Unix
// seconds converted by hand (time.go). Tests may import anything.
func TestImports(t *testing.T) {
	allowed := []string{"strings", "strconv", "errors"}
	for _, goos := range [][]string{nil, {"GOOS=js", "GOARCH=wasm"}} {
		cmd := exec.Command("go", "list", "-f", `{{join .Imports " "}}`, ".")
		cmd.Env = append(cmd.Environ(), goos...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %v: %v", goos, err)
		}
		imports := strings.Fields(string(out))
		if len(imports) == 0 {
			t.Fatalf("go list %v found no imports", goos)
		}
		for _, imp := range imports {
			if !slices.Contains(allowed, imp) {
				t.Errorf("%v: imports %s; only %v are allowed", goos, imp, allowed)
			}
		}
	}
}
