package wasm_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The example hooks of docs/hooks are built and called here, so that
// what the documentation shows keeps working.

// rustDocsModule builds docs/hooks/wasm-rust with Debian's rustc and its
// wasm32 standard library, which make test installs (DEBIAN_PKGS): a
// machine without them fails rather than skip, so the example cannot rot
// unnoticed.
func rustDocsModule(t testing.TB) []byte {
	t.Helper()
	const rustc = "/usr/bin/rustc"
	targets, err := exec.Command(rustc, "--print", "target-list").Output()
	if err != nil || !slices.Contains(strings.Fields(string(targets)), "wasm32-unknown-unknown") {
		t.Fatalf("%s has no wasm32-unknown-unknown target (make deps installs Debian's rustc): %v", rustc, err)
	}
	sysroot, err := exec.Command(rustc, "--print", "sysroot").Output()
	if err != nil {
		t.Fatalf("%s --print sysroot: %v", rustc, err)
	}
	std := filepath.Join(strings.TrimSpace(string(sysroot)), "lib", "rustlib", "wasm32-unknown-unknown", "lib")
	if _, err := os.Stat(std); err != nil {
		t.Fatalf("the wasm32 standard library is not installed (make deps installs libstd-rust-dev-wasm32): %v", err)
	}
	out := filepath.Join(t.TempDir(), "hook.wasm")
	cmd := exec.Command(rustc, "--edition", "2021", "--crate-type", "cdylib", "--target", "wasm32-unknown-unknown",
		"-C", "opt-level=s", "-C", "panic=abort", "-C", "strip=symbols", "-D", "warnings",
		"-o", out, "../../../docs/hooks/wasm-rust/src/lib.rs")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rustc: %v\n%s", err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDocsExamples(t *testing.T) {
	examples := []struct {
		name   string
		module func(t *testing.T) []byte
	}{
		{"wasm-go", func(t *testing.T) []byte { return load(t, docsGoModule) }},
		{"wasm-rust", func(t *testing.T) []byte { return rustDocsModule(t) }},
	}
	requests := []struct {
		name         string
		subject      string
		email        string
		wantCommands string
	}{
		{"gives the gold tier to a gold domain", "usr_1", "Ada@Example.com",
			`[{"type":"token.claims.set","value":{"target":"access","claims":{"tier":"gold"}}}]`},
		{"gives the standard tier to the others", "usr_2", "grace@elsewhere.org",
			`[{"type":"token.claims.set","value":{"target":"access","claims":{"tier":"standard"}}}]`},
		{"gives the standard tier without an email", "usr_3", "",
			`[{"type":"token.claims.set","value":{"target":"access","claims":{"tier":"standard"}}}]`},
		{"changes nothing without a user", "", "ada@example.com", `[]`},
	}
	r := shared(t)
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			module := ex.module(t)
			if err := r.Validate(context.Background(), module); err != nil {
				t.Fatalf("the example is refused: %v", err)
			}
			for _, req := range requests {
				t.Run(req.name, func(t *testing.T) {
					in := fmt.Appendf(nil, `{"version":"1","id":"hinv_1","point":"token","tenant_id":"ten_1","subject":%q,`+
						`"data":{"client_id":"app_1","claims":{"email":%q,"name":"A \"quoted\" \u00e9 name","groups":["a",{"b":[1,2.5e3,true,null]}]}}}`,
						req.subject, req.email)
					out, err := r.Call(context.Background(), key(module), module, in, 5*time.Second)
					if err != nil {
						t.Fatal(err)
					}
					assertJSON(t, out, `{"commands":`+req.wantCommands+`}`)
				})
			}
		})
	}
}
