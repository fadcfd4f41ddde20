package main

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// wasmModule is what the size breakdown needs of a WebAssembly module:
// the size of each section, and the code size and name of each function
// it defines.
type wasmModule struct {
	// sections maps a section's name ("code", "data", "custom:name"…) to
	// its size in bytes, header excluded.
	sections map[string]int
	// order lists the section names as they appear in the module.
	order []string
	// code and data are the contents of the code and data sections.
	code, data []byte
	// funcs are the defined functions, in index order.
	funcs []wasmFunc
}

// wasmFunc is one function defined by a module.
type wasmFunc struct {
	name string // from the name section; "" in a stripped module
	size int    // its body in the code section, size prefix included
}

var sectionNames = map[byte]string{1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global",
	7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "datacount"}

// parseWasm reads a module's sections, its functions' body sizes and, when
// the module has a name section (a Go build without -s), their names.
// `go tool nm` does not read WebAssembly ("unrecognized object file"),
// so this reads the same symbol names from the module itself.
func parseWasm(b []byte) (*wasmModule, error) {
	if len(b) < 8 || !bytes.Equal(b[:4], []byte("\x00asm")) {
		return nil, errors.New("not a WebAssembly module")
	}
	m := &wasmModule{sections: map[string]int{}}
	r := &wasmReader{b: b[8:]}
	imported := 0
	var names map[int]string
	for !r.eof() {
		id := r.byte()
		size := r.uleb()
		body := r.bytes(size)
		if r.err != nil {
			return nil, r.err
		}
		name, ok := sectionNames[id]
		sr := &wasmReader{b: body}
		switch {
		case id == 0:
			n := sr.name()
			name = "custom:" + n
			if n == "name" {
				names = parseNames(sr)
			}
		case !ok:
			name = fmt.Sprintf("section %d", id)
		case id == 2:
			imported = countImportedFuncs(sr)
		case id == 10:
			m.code = body
			count := sr.uleb()
			for range count {
				start := len(sr.b)
				n := sr.uleb()
				sr.bytes(n)
				m.funcs = append(m.funcs, wasmFunc{size: start - len(sr.b)})
			}
		case id == 11:
			m.data = body
		}
		if sr.err != nil {
			return nil, fmt.Errorf("%s section: %w", name, sr.err)
		}
		m.sections[name] += size
		m.order = append(m.order, name)
	}
	for i := range m.funcs {
		m.funcs[i].name = names[imported+i]
	}
	return m, nil
}

// countImportedFuncs counts the functions an import section imports: they
// come first in the function index space.
func countImportedFuncs(r *wasmReader) int {
	n := 0
	for range r.uleb() {
		r.name()
		r.name()
		switch r.byte() {
		case 0: // function: type index
			r.uleb()
			n++
		case 1: // table: element type, limits
			r.byte()
			r.limits()
		case 2: // memory: limits
			r.limits()
		case 3: // global: value type, mutability
			r.byte()
			r.byte()
		}
	}
	return n
}

// parseNames reads the function names subsection of a name section.
func parseNames(r *wasmReader) map[int]string {
	names := map[int]string{}
	for !r.eof() && r.err == nil {
		id := r.byte()
		sub := &wasmReader{b: r.bytes(r.uleb())}
		if id != 1 {
			continue
		}
		for range sub.uleb() {
			idx := sub.uleb()
			names[idx] = sub.name()
		}
	}
	return names
}

// wasmReader reads the module's encoding; the first error sticks.
type wasmReader struct {
	b   []byte
	err error
}

func (r *wasmReader) eof() bool { return len(r.b) == 0 }

func (r *wasmReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("truncated %s", what)
	}
	r.b = nil
}

func (r *wasmReader) byte() byte {
	if len(r.b) < 1 {
		r.fail("byte")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *wasmReader) uleb() int {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("integer")
		return 0
	}
	r.b = r.b[n:]
	return int(v)
}

func (r *wasmReader) bytes(n int) []byte {
	if n < 0 || n > len(r.b) {
		r.fail("bytes")
		return nil
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b
}

func (r *wasmReader) name() string { return string(r.bytes(r.uleb())) }

func (r *wasmReader) limits() {
	if r.byte()&1 != 0 {
		r.uleb()
	}
	r.uleb()
}

// mangle spells an import path as Go's wasm linker spells symbol names
// in the name section: every byte but letters, digits, '_' and '.'
// becomes '_' ("github.com/lintel-id/x" is "github.com_lintel_id_x",
// "(*T).M" is "__T_.M", "type:.eq" is "type_.eq").
func mangle(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}

// packages maps the mangled spelling of each import path to the path.
type packages map[string]string

func newPackages(paths []string) packages {
	p := packages{}
	for _, path := range paths {
		p[mangle(path)] = path
	}
	return p
}

// packageOf names the Go package a symbol of the name section belongs
// to: the longest known package whose mangled path, followed by a dot,
// starts it. Symbols of no package (assembly entry points,
// compiler-generated type and equality functions) are grouped by kind.
func (p packages) packageOf(sym string) string {
	switch {
	case sym == "":
		return "(unnamed)"
	case strings.HasPrefix(sym, "type_."), strings.HasPrefix(sym, "go_"):
		return "(compiler-generated: type:, go:)"
	}
	best := ""
	for i := range len(sym) {
		if sym[i] != '.' {
			continue
		}
		if path, ok := p[sym[:i]]; ok && len(path) > len(best) {
			best = path
		}
	}
	if best != "" {
		return best
	}
	if pkg, _, ok := strings.Cut(sym, "."); ok {
		return pkg + " (unlisted)"
	}
	return "(runtime assembly)"
}

// pkgSize is one package's share of the code section.
type pkgSize struct {
	pkg   string
	bytes int
	funcs int
}

// codeByPackage sums the function bodies per package, largest first.
func codeByPackage(funcs []wasmFunc, pkgs packages) []pkgSize {
	byPkg := map[string]*pkgSize{}
	for _, f := range funcs {
		p := pkgs.packageOf(f.name)
		s := byPkg[p]
		if s == nil {
			s = &pkgSize{pkg: p}
			byPkg[p] = s
		}
		s.bytes += f.size
		s.funcs++
	}
	out := make([]pkgSize, 0, len(byPkg))
	for _, s := range byPkg {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b pkgSize) int {
		return cmp.Or(cmp.Compare(b.bytes, a.bytes), strings.Compare(a.pkg, b.pkg))
	})
	return out
}
