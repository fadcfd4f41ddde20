package wasm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/hooks/wasm"
)

func TestValidate(t *testing.T) {
	// Each case changes one thing of the echo module, which is valid.
	tests := []struct {
		name   string
		module func() []byte
		// reason is what the refusal must name; "" when the module is
		// valid.
		reason string
	}{
		{"accepts a module that follows the calling convention", func() []byte { return echo().bytes() }, ""},
		{"accepts a reactor's _initialize", func() []byte {
			m := echo()
			m.exportFunc("_initialize", m.fn(nil, nil))
			return m.bytes()
		}, ""},
		{"accepts the WASI functions a Go program imports", func() []byte {
			m := echo()
			m.importFunc("wasi_snapshot_preview1", "fd_write", []byte{tI32, tI32, tI32, tI32}, []byte{tI32})
			m.importFunc("wasi_snapshot_preview1", "random_get", []byte{tI32, tI32}, []byte{tI32})
			m.importFunc("wasi_snapshot_preview1", "proc_exit", []byte{tI32}, nil)
			return m.bytes()
		}, ""},
		{"accepts a Go reactor", func() []byte { return load(t, hookModule) }, ""},
		{"refuses bytes that are not WebAssembly", func() []byte { return []byte("#!/bin/sh\necho hello\n") }, "not a WebAssembly"},
		{"refuses an empty module", func() []byte { return nil }, "not a WebAssembly"},
		{"refuses a truncated module", func() []byte { b := echo().bytes(); return b[:len(b)-3] }, "truncated"},
		{"refuses a module over the size limit", func() []byte {
			return append(echo().bytes(), make([]byte, wasm.DefaultMaxModuleBytes)...)
		}, "over the limit"},
		{"refuses a module without lintel_alloc", func() []byte {
			m := echo()
			m.exports = m.exports[:1]
			m.exportFunc("lintel_handle", 1)
			return m.bytes()
		}, `"lintel_alloc"`},
		{"refuses a module without lintel_handle", func() []byte {
			m := echo()
			m.exports = m.exports[:2]
			return m.bytes()
		}, `"lintel_handle"`},
		{"refuses a module that keeps its memory to itself", func() []byte {
			m := echo()
			m.exports = m.exports[1:]
			return m.bytes()
		}, `"memory"`},
		{"refuses lintel_handle with the wrong signature", func() []byte {
			m := &modBuilder{}
			m.mem(1, "memory")
			m.exportFunc("lintel_alloc", m.fn([]byte{tI32}, []byte{tI32}, opI32Const, 0))
			m.exportFunc("lintel_handle", m.fn([]byte{tI32, tI32}, []byte{tI32}, opI32Const, 0))
			return m.bytes()
		}, `"lintel_handle" has the wrong signature`},
		{"refuses _initialize with the wrong signature", func() []byte {
			m := echo()
			m.exportFunc("_initialize", m.fn([]byte{tI32}, nil))
			return m.bytes()
		}, `"_initialize" has the wrong signature`},
		{"refuses a memory over the limit", func() []byte {
			m := echo()
			m.mem(wasm.DefaultMemoryLimitPages+1, "")
			return m.bytes()
		}, "pages"},
		{"refuses an import from a module of its own", func() []byte {
			m := echo()
			m.importFunc("env", "forbidden", nil, []byte{tI32})
			return m.bytes()
		}, "env.forbidden"},
		{"refuses a WASI function that opens files", func() []byte {
			m := echo()
			m.importFunc("wasi_snapshot_preview1", "path_open",
				[]byte{tI32, tI32, tI32, tI32, tI32, tI64, tI64, tI32, tI32}, []byte{tI32})
			return m.bytes()
		}, "wasi_snapshot_preview1.path_open"},
		{"refuses an allowed WASI function with the wrong signature", func() []byte {
			m := echo()
			m.importFunc("wasi_snapshot_preview1", "fd_write", nil, nil)
			return m.bytes()
		}, "wasi_snapshot_preview1.fd_write has the wrong signature"},
		{"refuses an imported memory", func() []byte {
			m := echo()
			m.importOther("wasi_snapshot_preview1", "memory", kMemory, 0, 1)
			return m.bytes()
		}, "wasi_snapshot_preview1.memory is a memory"},
		{"refuses an imported global", func() []byte {
			m := echo()
			m.importOther("env", "secret", kGlobal, tI32, 0)
			return m.bytes()
		}, "env.secret is a global"},
		{"refuses an imported table", func() []byte {
			m := echo()
			m.importOther("env", "table", kTable, 0x70, 0, 1)
			return m.bytes()
		}, "env.table is a table"},
		{"refuses a Go module importing a host function outside the allowlist", func() []byte { return load(t, badImportModule) }, "env.forbidden"},
		{"refuses a Go command without the exports", func() []byte { return load(t, commandModule) }, `"lintel_alloc" is missing`},
	}
	r := shared(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.Validate(context.Background(), tt.module())
			switch {
			case tt.reason == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.reason == "":
				return
			case !errors.Is(err, wasm.ErrInvalidModule):
				t.Fatalf("Validate = %v, want ErrInvalidModule", err)
			case !strings.Contains(err.Error(), tt.reason):
				// The tenant must learn what to fix.
				t.Fatalf("Validate = %v, want the reason to name %s", err, tt.reason)
			}
		})
	}
}

func TestAllowedImportsAreWASIFunctions(t *testing.T) {
	// Every name of the allowlist must be a function wazero's WASI host
	// serves, or a module importing it would pass Validate and fail to
	// instantiate.
	r := shared(t)
	for _, name := range wasm.AllowedImports() {
		m := echo()
		switch name {
		case "proc_exit":
			m.importFunc("wasi_snapshot_preview1", name, []byte{tI32}, nil)
		case "sched_yield":
			m.importFunc("wasi_snapshot_preview1", name, nil, []byte{tI32})
		default:
			// Any other signature: the refusal must be about the
			// signature, not the name.
			m.importFunc("wasi_snapshot_preview1", name, []byte{tI64}, nil)
		}
		err := r.Validate(context.Background(), m.bytes())
		if name == "proc_exit" || name == "sched_yield" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if !errors.Is(err, wasm.ErrInvalidModule) || !strings.Contains(err.Error(), "wrong signature") {
			t.Errorf("%s with a wrong signature: Validate = %v, want a refusal of the signature", name, err)
		}
	}
}
