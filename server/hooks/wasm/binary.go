package wasm

import (
	"errors"
	"fmt"
)

// wasiModule is the host module a module may import from.
const wasiModule = "wasi_snapshot_preview1"

// allowedImports are the wasi_snapshot_preview1 functions a Go wasip1
// program imports (checked against what GOOS=wasip1 links in for
// encoding/json, fmt, log, os, time and crypto/rand), plus clock_res_get.
// Nothing that opens or seeks a file: a module has no preopened
// directory, only stdin (empty), stdout and stderr.
var allowedImports = map[string]struct{}{
	"args_get":            {}, // empty
	"args_sizes_get":      {},
	"environ_get":         {}, // empty
	"environ_sizes_get":   {},
	"clock_time_get":      {},
	"clock_res_get":       {},
	"fd_close":            {},
	"fd_fdstat_get":       {},
	"fd_fdstat_set_flags": {},
	"fd_prestat_get":      {}, // there are no preopens: answers EBADF
	"fd_prestat_dir_name": {},
	"fd_read":             {}, // stdin, empty
	"fd_write":            {}, // stdout and stderr, to the log
	"poll_oneoff":         {},
	"proc_exit":           {},
	"random_get":          {}, // crypto/rand
	"sched_yield":         {},
}

// AllowedImports lists the wasi_snapshot_preview1 functions a module may
// import, in no particular order.
func AllowedImports() []string {
	names := make([]string, 0, len(allowedImports))
	for n := range allowedImports {
		names = append(names, n)
	}
	return names
}

// importKind is the kind byte of an import or export in the binary
// format.
type importKind byte

const (
	kindFunc importKind = iota
	kindTable
	kindMemory
	kindGlobal
	kindTag
)

func (k importKind) String() string {
	switch k {
	case kindFunc:
		return "function"
	case kindTable:
		return "table"
	case kindMemory:
		return "memory"
	case kindGlobal:
		return "global"
	case kindTag:
		return "tag"
	}
	return fmt.Sprintf("kind %d", byte(k))
}

// wasmImport is one entry of a module's import section.
type wasmImport struct {
	module, name string
	kind         importKind
}

// wasmExport is one entry of a module's export section; its kind uses
// the same numbers as an import's.
type wasmExport struct {
	name string
	kind importKind
}

var errMalformed = errors.New("malformed binary")

// readInterface reads the import and export sections of a binary module,
// so that a module that cannot be valid is refused before the cost of
// compiling it (seconds for a Go module). wazero's API lists imported
// functions and memories only; reading the section also sees tables,
// globals and tags, which no host here provides.
func readInterface(b []byte) (imps []wasmImport, exps []wasmExport, err error) {
	if len(b) < 8 || string(b[:4]) != "\x00asm" || string(b[4:8]) != "\x01\x00\x00\x00" {
		return nil, nil, fmt.Errorf("%w: not a WebAssembly 1.0 binary", errMalformed)
	}
	r := reader{b: b[8:]}
	for !r.done() {
		id := r.byte()
		body := r.bytes(r.u32())
		if r.err != nil {
			return nil, nil, r.err
		}
		switch id {
		case 2:
			if imps, err = readImportSection(body); err != nil {
				return nil, nil, err
			}
		case 7:
			if exps, err = readExportSection(body); err != nil {
				return nil, nil, err
			}
		}
	}
	return imps, exps, nil
}

func readImportSection(b []byte) ([]wasmImport, error) {
	r := reader{b: b}
	n := r.count()
	var imps []wasmImport
	for i := uint32(0); i < n && r.err == nil; i++ {
		imp := wasmImport{module: r.name(), name: r.name(), kind: importKind(r.byte())}
		switch imp.kind {
		case kindFunc:
			r.u32() // type index
		case kindTable:
			r.byte() // reference type
			r.limits()
		case kindMemory:
			r.limits()
		case kindGlobal:
			r.byte() // value type
			r.byte() // mutability
		case kindTag:
			r.byte() // attribute
			r.u32()  // type index
		default:
			if r.err == nil {
				return nil, fmt.Errorf("%w: import %s.%s has unknown kind %d", errMalformed, imp.module, imp.name, imp.kind)
			}
		}
		imps = append(imps, imp)
	}
	if r.err != nil {
		return nil, fmt.Errorf("import section: %w", r.err)
	}
	return imps, nil
}

func readExportSection(b []byte) ([]wasmExport, error) {
	r := reader{b: b}
	n := r.count()
	var exps []wasmExport
	for i := uint32(0); i < n && r.err == nil; i++ {
		exp := wasmExport{name: r.name(), kind: importKind(r.byte())}
		r.u32() // index
		exps = append(exps, exp)
	}
	if r.err != nil {
		return nil, fmt.Errorf("export section: %w", r.err)
	}
	return exps, nil
}

// reader decodes the binary format; the first error sticks and later
// reads return zero values.
type reader struct {
	b   []byte
	err error
}

func (r *reader) done() bool { return r.err != nil || len(r.b) == 0 }

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: truncated %s", errMalformed, what)
	}
}

func (r *reader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.fail("byte")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// uleb reads an unsigned LEB128 of at most bits bits.
func (r *reader) uleb(bits uint) uint64 {
	var v uint64
	for shift := uint(0); shift < bits+7; shift += 7 {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v
		}
	}
	r.fail("integer")
	return 0
}

func (r *reader) u32() uint32 { return uint32(r.uleb(32)) }

// count reads the length of a vector, each of whose items takes a byte at
// least: a count past the end is malformed, not a reason to allocate.
func (r *reader) count() uint32 {
	n := r.u32()
	if uint64(n) > uint64(len(r.b)) {
		r.fail("vector")
		return 0
	}
	return n
}

func (r *reader) bytes(n uint32) []byte {
	if r.err != nil || uint64(n) > uint64(len(r.b)) {
		r.fail("section")
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

func (r *reader) name() string { return string(r.bytes(r.u32())) }

func (r *reader) limits() {
	flags := r.byte()
	bits := uint(32)
	if flags&0x04 != 0 { // memory64
		bits = 64
	}
	r.uleb(bits)
	if flags&0x01 != 0 {
		r.uleb(bits)
	}
}
