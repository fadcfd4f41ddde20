package main

import (
	"testing"
)

func TestPackageOf(t *testing.T) {
	pkgs := newPackages([]string{"runtime", "syscall/js", "internal/runtime/maps", "github.com/lintel-id/lintel/widget/core",
		"github.com/lintel-id/lintel/widget/core/sub", "slices", "main"})
	for _, tc := range []struct{ sym, want string }{
		{"runtime.mallocgc", "runtime"},
		{"runtime.__lfstack_.pop", "runtime"},
		{"syscall_js.Value.Get", "syscall/js"},
		{"internal_runtime_maps.__Map_.getWithoutKeySmallFastStr", "internal/runtime/maps"},
		{"github.com_lintel_id_lintel_widget_core.__Machine_.Step", "github.com/lintel-id/lintel/widget/core"},
		{"github.com_lintel_id_lintel_widget_core_sub.F", "github.com/lintel-id/lintel/widget/core/sub"},
		{"slices.SortFunc__go.shape.int_", "slices"},
		{"main.main", "main"},
		{"type_.eq.runtime.cleanupBlockHeader", "(compiler-generated: type:, go:)"},
		{"go_buildid", "(compiler-generated: type:, go:)"},
		{"unknown_pkg.F", "unknown_pkg (unlisted)"},
		{"_rt0_wasm_js", "(runtime assembly)"},
		{"", "(unnamed)"},
	} {
		if got := pkgs.packageOf(tc.sym); got != tc.want {
			t.Errorf("packageOf(%q) = %q, want %q", tc.sym, got, tc.want)
		}
	}
}

// tinyModule is a module with one imported and two defined functions and
// a name section naming all three.
var tinyModule = []byte{
	0, 'a', 's', 'm', 1, 0, 0, 0,
	1, 4, 1, 0x60, 0, 0, // type: () -> ()
	2, 9, 1, 1, 'g', 2, 'g', 'o', 0, 0, // import g.go as function of type 0
	3, 3, 2, 0, 0, // two functions of type 0
	10, 9, 2, 2, 0, 0x0b, 4, 0, 1, 1, 0x0b, // code: a 3-byte and a 5-byte body (size prefix included)
	11, 3, 0, 0, 0, // an empty data section: no segments (and padding)
	0, 26, 4, 'n', 'a', 'm', 'e', 1, 19, 3,
	0, 4, 'i', '.', 'm', 'p',
	1, 3, 'a', '.', 'f',
	2, 5, 'b', '_', 'c', '.', 'g',
}

func TestParseWasm(t *testing.T) {
	m, err := parseWasm(tinyModule)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.funcs) != 2 || m.funcs[0] != (wasmFunc{"a.f", 3}) || m.funcs[1] != (wasmFunc{"b_c.g", 5}) {
		t.Fatalf("functions %+v, want a.f (3 bytes) and b_c.g (5 bytes)", m.funcs)
	}
	if m.sections["code"] != 9 || m.sections["custom:name"] != 26 {
		t.Fatalf("sections %v", m.sections)
	}
	got := codeByPackage(m.funcs, newPackages([]string{"a", "b/c"}))
	if len(got) != 2 || got[0].pkg != "b/c" || got[0].bytes != 5 || got[1].pkg != "a" {
		t.Fatalf("by package %+v", got)
	}
	if _, err := parseWasm(tinyModule[:30]); err == nil {
		t.Fatal("a truncated module parsed")
	}
}
