package widget

import (
	"bytes"
	"cmp"
	"errors"
	"slices"
	"strings"
)

// The size report reads a WebAssembly module's code section (each
// function body's size) and its "name" custom section (each function's
// name, present unless the build is stripped), and sums the sizes by
// package. go tool nm does not read wasm.

// uleb reads an unsigned LEB128 number.
func uleb(b []byte) (uint64, []byte, error) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return v, b[i+1:], nil
		}
	}
	return 0, nil, errors.New("wasm: bad LEB128")
}

// funcSizes returns the body size of every function by name.
func funcSizes(wasm []byte) (map[string]int, error) {
	if len(wasm) < 8 || !bytes.Equal(wasm[:4], []byte("\x00asm")) {
		return nil, errors.New("wasm: not a module")
	}
	b := wasm[8:]
	var imported int
	var bodies []int
	names := map[int]string{}
	for len(b) > 0 {
		id := b[0]
		n, rest, err := uleb(b[1:])
		if err != nil || uint64(len(rest)) < n {
			return nil, errors.New("wasm: bad section")
		}
		sec := rest[:n]
		b = rest[n:]
		switch id {
		case 2: // imports: count the imported functions
			count, s, err := uleb(sec)
			if err != nil {
				return nil, err
			}
			for range count {
				for range 2 { // module and field names
					l, t, err := uleb(s)
					if err != nil || uint64(len(t)) < l {
						return nil, errors.New("wasm: bad import")
					}
					s = t[l:]
				}
				kind := s[0]
				s = s[1:]
				switch kind {
				case 0: // function: type index
					imported++
					_, s, err = uleb(s)
				case 1: // table: reftype, limits
					s = s[1:]
					s, err = limits(s)
				case 2: // memory: limits
					s, err = limits(s)
				case 3: // global: valtype, mutability
					s = s[2:]
				}
				if err != nil {
					return nil, err
				}
			}
		case 10: // code
			count, s, err := uleb(sec)
			if err != nil {
				return nil, err
			}
			for range count {
				size, t, err := uleb(s)
				if err != nil || uint64(len(t)) < size {
					return nil, errors.New("wasm: bad body")
				}
				bodies = append(bodies, int(size))
				s = t[size:]
			}
		case 0: // custom: the name section's function names
			l, s, err := uleb(sec)
			if err != nil || uint64(len(s)) < l || string(s[:l]) != "name" {
				continue
			}
			s = s[l:]
			for len(s) > 0 {
				sub := s[0]
				size, t, err := uleb(s[1:])
				if err != nil || uint64(len(t)) < size {
					break
				}
				if sub == 1 {
					d := t[:size]
					count, d, _ := uleb(d)
					for range count {
						var idx, nl uint64
						idx, d, _ = uleb(d)
						nl, d, _ = uleb(d)
						if uint64(len(d)) < nl {
							break
						}
						names[int(idx)] = string(d[:nl])
						d = d[nl:]
					}
				}
				s = t[size:]
			}
		}
	}
	out := map[string]int{}
	for i, size := range bodies {
		name := names[imported+i]
		if name == "" {
			name = "?"
		}
		out[name] += size
	}
	return out, nil
}

func limits(s []byte) ([]byte, error) {
	flag := s[0]
	_, s, err := uleb(s[1:])
	if err == nil && flag&1 != 0 {
		_, s, err = uleb(s)
	}
	return s, err
}

// pkgOf returns the package of a function's name in the name section,
// where "/" and "-" in import paths are written "_":
// "strings.(*Builder).Write" is "strings",
// "github.com_lintel_id_lintel_server_engine_wire.ParseFlow" is
// "github.com_lintel_id_lintel_server_engine_wire".
func pkgOf(sym string) string {
	prefix := ""
	if i := strings.IndexByte(sym, '_'); i > 0 && strings.Contains(sym[:i], ".") && sym[i-1] != '.' {
		prefix, sym = sym[:i+1], sym[i+1:] // a domain: github.com_
	}
	if dot := strings.IndexByte(sym, '.'); dot > 0 {
		sym = sym[:dot]
	}
	return prefix + sym
}

// byPackage sums function sizes by package, largest first.
type share struct {
	pkg  string
	size int
}

func byPackage(sizes map[string]int) []share {
	sum := map[string]int{}
	for name, size := range sizes {
		sum[pkgOf(name)] += size
	}
	var out []share
	for p, s := range sum {
		out = append(out, share{p, s})
	}
	slices.SortFunc(out, func(a, b share) int { return cmp.Or(b.size-a.size, strings.Compare(a.pkg, b.pkg)) })
	return out
}
