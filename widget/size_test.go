package widget

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/lintel-id/lintel/widget/dist"
)

// budget is the CI gate on the widget's WebAssembly, brotli -q 11
// (DESIGN.md, "Rendering: one view, two places"), read strictly: 600 KB
// as 600,000 bytes. The goal is 520,000.
const budget = 600_000

// slack is how much a change may grow the wasm beyond size.txt without
// recording the new size (and saying in its commit what it costs).
const slack = 2 << 10

var update = flag.Bool("update", false, "rewrite size.txt and deps.txt")

// build compiles the widget as make widget does, into dir, and returns
// the wasm's path; strip is -s -w (the shipped build).
func build(t *testing.T, dir string, strip bool) string {
	t.Helper()
	out := filepath.Join(dir, "lintel-widget.wasm")
	flags := dist.BuildFlags
	if !strip {
		out = filepath.Join(dir, "unstripped.wasm")
		flags = slices.DeleteFunc(slices.Clone(flags), func(f string) bool { return strings.HasPrefix(f, "-ldflags=") })
	}
	args := append([]string{"build", "-o", out}, flags...)
	args = append(args, "./cmd/lintel-widget")
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

func brotliSize(t *testing.T, data []byte) int {
	t.Helper()
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, 11)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Len()
}

// TestWasmSize builds the widget and holds its brotli size to the budget
// and to the size recorded in size.txt (plus 2 KB); it logs the size and
// the 15 packages whose code weighs most (from the unstripped build).
func TestWasmSize(t *testing.T) {
	dir := t.TempDir()
	wasm, err := os.ReadFile(build(t, dir, true))
	if err != nil {
		t.Fatal(err)
	}
	size := brotliSize(t, wasm)
	t.Logf("lintel-widget.wasm: %d bytes, brotli -q 11: %d bytes (%.1f KB)", len(wasm), size, float64(size)/1024)
	if full, err := os.ReadFile(build(t, dir, false)); err == nil {
		if sizes, err := funcSizes(full); err != nil {
			t.Logf("size report: %v", err)
		} else {
			var b strings.Builder
			for i, s := range byPackage(sizes) {
				if i == 15 {
					break
				}
				fmt.Fprintf(&b, "\n  %8d  %s", s.size, s.pkg)
			}
			t.Logf("code by package (bytes of function bodies, uncompressed):%s", b.String())
		}
	}
	if *update {
		if err := os.WriteFile("size.txt", []byte(strconv.Itoa(size)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if size > budget {
		t.Errorf("the wasm is %d bytes brotli, over the budget of %d", size, budget)
	}
	b, err := os.ReadFile("size.txt")
	if err != nil {
		t.Fatalf("%v (go test ./widget -run TestWasmSize -update records the size)", err)
	}
	recorded, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("size.txt: %v", err)
	}
	if size > recorded+slack {
		t.Errorf("the wasm grew to %d bytes brotli from %d recorded in size.txt: shrink it, or record the new size with -update and say in the commit what it buys", size, recorded)
	}
}
