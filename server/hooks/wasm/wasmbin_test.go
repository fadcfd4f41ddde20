package wasm_test

// A tiny encoder of the WebAssembly binary format, so that the tests of
// validation cover each refusal with a module of a few dozen bytes,
// compiled in microseconds, instead of a Go build each.

const (
	tI32 byte = 0x7f
	tI64 byte = 0x7e
)

// Import and export kinds.
const (
	kFunc   byte = 0
	kTable  byte = 1
	kMemory byte = 2
	kGlobal byte = 3
)

type funcType struct{ params, results []byte }

type modBuilder struct {
	types       []funcType
	imports     [][]byte
	importFuncs int
	funcs       []uint32 // type index of each defined function
	codes       [][]byte
	memory      []byte // encoded limits, nil for none
	exports     []export
}

// export is an export of the module; a function's index counts the
// defined functions only, the imported ones are added when encoding (the
// tests import functions after defining the exports).
type export struct {
	name  string
	kind  byte
	index uint32
}

func uleb(v uint64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			c |= 0x80
		}
		b = append(b, c)
		if v == 0 {
			return b
		}
	}
}

func name(s string) []byte { return append(uleb(uint64(len(s))), s...) }

func vec(items [][]byte) []byte {
	b := uleb(uint64(len(items)))
	for _, it := range items {
		b = append(b, it...)
	}
	return b
}

func (m *modBuilder) typeIndex(params, results []byte) uint32 {
	for i, t := range m.types {
		if string(t.params) == string(params) && string(t.results) == string(results) {
			return uint32(i)
		}
	}
	m.types = append(m.types, funcType{params, results})
	return uint32(len(m.types) - 1)
}

// importFunc imports a function and returns its index.
func (m *modBuilder) importFunc(module, field string, params, results []byte) uint32 {
	entry := append(append(name(module), name(field)...), kFunc)
	m.imports = append(m.imports, append(entry, uleb(uint64(m.typeIndex(params, results)))...))
	m.importFuncs++
	return uint32(m.importFuncs - 1)
}

// importOther imports something that is not a function; desc is its
// encoded type.
func (m *modBuilder) importOther(module, field string, kind byte, desc ...byte) {
	entry := append(append(name(module), name(field)...), kind)
	m.imports = append(m.imports, append(entry, desc...))
}

// fn defines a function without locals; expr is its code without the
// final end. It returns its index among the defined functions.
func (m *modBuilder) fn(params, results []byte, expr ...byte) uint32 {
	m.funcs = append(m.funcs, m.typeIndex(params, results))
	body := append([]byte{0}, expr...) // no locals
	body = append(body, 0x0b)
	m.codes = append(m.codes, append(uleb(uint64(len(body))), body...))
	return uint32(len(m.funcs) - 1)
}

func (m *modBuilder) exportFunc(field string, index uint32) {
	m.exports = append(m.exports, export{field, kFunc, index})
}

// mem defines the memory with a minimum of min pages (no maximum) and
// exports it as field, unless field is "".
func (m *modBuilder) mem(min uint32, field string) {
	m.memory = append([]byte{0}, uleb(uint64(min))...)
	if field != "" {
		m.exports = append(m.exports, export{field, kMemory, 0})
	}
}

func section(id byte, content []byte) []byte {
	return append(append([]byte{id}, uleb(uint64(len(content)))...), content...)
}

func (m *modBuilder) bytes() []byte {
	b := []byte("\x00asm\x01\x00\x00\x00")
	if len(m.types) > 0 {
		var ts [][]byte
		for _, t := range m.types {
			e := append([]byte{0x60}, uleb(uint64(len(t.params)))...)
			e = append(e, t.params...)
			e = append(e, uleb(uint64(len(t.results)))...)
			ts = append(ts, append(e, t.results...))
		}
		b = append(b, section(1, vec(ts))...)
	}
	if len(m.imports) > 0 {
		b = append(b, section(2, vec(m.imports))...)
	}
	if len(m.funcs) > 0 {
		var fs [][]byte
		for _, f := range m.funcs {
			fs = append(fs, uleb(uint64(f)))
		}
		b = append(b, section(3, vec(fs))...)
	}
	if m.memory != nil {
		b = append(b, section(5, vec([][]byte{m.memory}))...)
	}
	if len(m.exports) > 0 {
		var es [][]byte
		for _, e := range m.exports {
			index := e.index
			if e.kind == kFunc {
				index += uint32(m.importFuncs)
			}
			es = append(es, append(append(name(e.name), e.kind), uleb(uint64(index))...))
		}
		b = append(b, section(7, vec(es))...)
	}
	if len(m.codes) > 0 {
		b = append(b, section(10, vec(m.codes))...)
	}
	return b
}

// Instructions used by the tiny modules.
const (
	opLoop     = 0x03
	opBr       = 0x0c
	opEnd      = 0x0b
	opUnreach  = 0x00
	opLocalGet = 0x20
	opI32Const = 0x41
	opI64Const = 0x42
	opI64Shl   = 0x86
	opI64Or    = 0x84
	opI64ExtU  = 0xad // i64.extend_i32_u
	opMemGrow  = 0x40
	opDrop     = 0x1a
)

// echoHandle answers the input itself, which lintel_alloc put at 1024:
// (1024<<32 | len).
var echoHandle = []byte{
	opI64Const, 0x80, 0x08, // 1024 (signed LEB128)
	opI64Const, 32,
	opI64Shl,
	opLocalGet, 1,
	opI64ExtU,
	opI64Or,
}

// echo returns the builder of a module that follows the calling
// convention and answers its input, kept at 1024; the tests change one
// thing of it.
func echo() *modBuilder {
	m := &modBuilder{}
	m.mem(1, "memory")
	m.exportFunc("lintel_alloc", m.fn([]byte{tI32}, []byte{tI32}, opI32Const, 0x80, 0x08))
	m.exportFunc("lintel_handle", m.fn([]byte{tI32, tI32}, []byte{tI64}, echoHandle...))
	return m
}
