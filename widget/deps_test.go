package widget

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// refused are packages the wasm must not link (DESIGN.md): each costs
// tens to hundreds of KB, and the widget has its own small replacements
// (wire's JSON, the browser's fetch and crypto, validity states). Not
// even time, about 41 KB brotli with internal/godebug and internal/bisect:
// wire holds times as Unix seconds and writes and reads RFC 3339 by hand,
// and the dom waits on a JavaScript timer.
var refused = []string{
	"fmt", "regexp", "encoding/", "html/template", "text/template", "crypto/",
	"net/http", "net/url", "reflect", "github.com/a-h/templ", "os", "log", "time",
}

func refusedDep(p string) bool {
	for _, r := range refused {
		if p == r || strings.HasSuffix(r, "/") && strings.HasPrefix(p, r) || strings.HasPrefix(p, r+"/") {
			return true
		}
	}
	return false
}

// TestWasmDeps holds deps.txt to what the wasm links (go list -deps of
// cmd/lintel-widget for js/wasm), so that growth shows in review, and
// refuses the packages the budget cannot afford.
func TestWasmDeps(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "./cmd/lintel-widget")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	got := string(out)
	for _, p := range strings.Fields(got) {
		if refusedDep(p) {
			t.Errorf("the wasm links %s, which it must not", p)
		}
	}
	if *update {
		if err := os.WriteFile("deps.txt", out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile("deps.txt")
	if err != nil {
		t.Fatalf("%v (go test ./widget -run TestWasmDeps -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("the wasm's dependencies changed; check them and rewrite deps.txt with -update:\ngot:\n%s\nwant:\n%s", got, want)
	}
}

func TestRefusedDep(t *testing.T) {
	for p, want := range map[string]bool{"fmt": true, "encoding/json": true, "crypto/sha256": true, "reflect": true,
		"internal/reflectlite": false, "strings": false, "net/url": true, "os": true, "syscall/js": false, "time": true} {
		if refusedDep(p) != want {
			t.Errorf("refusedDep(%q) = %v", p, !want)
		}
	}
}
