package wasm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"slices"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// Names of the calling convention.
const (
	exportMemory     = "memory"
	exportAlloc      = "lintel_alloc"
	exportHandle     = "lintel_handle"
	exportInitialize = "_initialize"
)

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// signature is a function type of the calling convention.
type signature struct{ params, results []api.ValueType }

// requiredExports and optionalExports are the functions the runtime calls.
var (
	requiredExports = map[string]signature{
		exportAlloc:  {[]api.ValueType{i32}, []api.ValueType{i32}},
		exportHandle: {[]api.ValueType{i32, i32}, []api.ValueType{i64}},
	}
	optionalExports = map[string]signature{
		exportInitialize: {nil, nil},
	}
)

// Validate checks a module a tenant uploads (see the package doc for what
// it must look like); a refusal wraps ErrInvalidModule and names the
// reason. A valid module stays compiled in the node's cache, so its first
// call does not compile it again.
func (r *Runtime) Validate(ctx context.Context, module []byte) error {
	cm, err := r.compile(ctx, module)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(module)
	r.cache.add(hex.EncodeToString(sum[:]), cm)
	return nil
}

// compile validates and compiles a module.
func (r *Runtime) compile(ctx context.Context, module []byte) (wazero.CompiledModule, error) {
	if r.isClosed() {
		return nil, ErrClosed
	}
	if len(module) > r.opts.MaxModuleBytes {
		return nil, fmt.Errorf("%w: %d bytes, over the limit of %d", ErrInvalidModule, len(module), r.opts.MaxModuleBytes)
	}
	imps, exps, err := readInterface(module)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidModule, err)
	}
	if err := r.checkInterface(imps, exps); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidModule, err)
	}
	// A Go module is megabytes of code: compile its functions on every
	// core (still an experimental knob of wazero).
	ctx = experimental.WithCompilationWorkers(ctx, runtime.GOMAXPROCS(0))
	cm, err := r.wz.CompileModule(ctx, module)
	if err != nil {
		return nil, fmt.Errorf("%w: compile: %w", ErrInvalidModule, err)
	}
	if err := r.checkCompiled(cm); err != nil {
		_ = cm.Close(context.Background())
		return nil, fmt.Errorf("%w: %w", ErrInvalidModule, err)
	}
	return cm, nil
}

// checkInterface refuses, before compiling, a module that imports what no
// host provides or lacks an export of the calling convention.
func (r *Runtime) checkInterface(imps []wasmImport, exps []wasmExport) error {
	for _, imp := range imps {
		if err := r.checkImport(imp); err != nil {
			return err
		}
	}
	for _, want := range []wasmExport{{exportMemory, kindMemory}, {exportAlloc, kindFunc}, {exportHandle, kindFunc}} {
		i := slices.IndexFunc(exps, func(e wasmExport) bool { return e.name == want.name })
		switch {
		case i < 0:
			return fmt.Errorf("export %q is missing", want.name)
		case exps[i].kind != want.kind:
			return fmt.Errorf("export %q is a %s, not a %s", want.name, exps[i].kind, want.kind)
		}
	}
	return nil
}

func (r *Runtime) checkImport(imp wasmImport) error {
	if imp.kind != kindFunc {
		return fmt.Errorf("import %s.%s is a %s: only functions of %s may be imported", imp.module, imp.name, imp.kind, wasiModule)
	}
	if imp.module != wasiModule {
		return fmt.Errorf("import %s.%s is not allowed: only functions of %s may be imported", imp.module, imp.name, wasiModule)
	}
	if _, ok := r.wasi[imp.name]; !ok {
		return fmt.Errorf("import %s.%s is not allowed", imp.module, imp.name)
	}
	return nil
}

// checkCompiled checks the signatures of the imports and the exports of
// the calling convention.
func (r *Runtime) checkCompiled(cm wazero.CompiledModule) error {
	for _, f := range cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		host, ok := r.wasi[name]
		if mod != wasiModule || !ok {
			return fmt.Errorf("import %s.%s is not allowed", mod, name)
		}
		if !sameSignature(f, signature{host.ParamTypes(), host.ResultTypes()}) {
			return fmt.Errorf("import %s.%s has the wrong signature %s", mod, name, describe(f))
		}
	}
	if len(cm.ImportedMemories()) > 0 {
		return fmt.Errorf("a module may not import its memory")
	}
	mem, ok := cm.ExportedMemories()[exportMemory]
	if !ok {
		return fmt.Errorf("export %q (the module's memory) is missing", exportMemory)
	}
	if mem.Min() > r.opts.MemoryLimitPages {
		return fmt.Errorf("memory needs %d pages at least, over the limit of %d", mem.Min(), r.opts.MemoryLimitPages)
	}
	funcs := cm.ExportedFunctions()
	for name, sig := range requiredExports {
		f, ok := funcs[name]
		if !ok {
			return fmt.Errorf("export %q is missing", name)
		}
		if !sameSignature(f, sig) {
			return fmt.Errorf("export %q has the wrong signature %s", name, describe(f))
		}
	}
	for name, sig := range optionalExports {
		if f, ok := funcs[name]; ok && !sameSignature(f, sig) {
			return fmt.Errorf("export %q has the wrong signature %s", name, describe(f))
		}
	}
	return nil
}

func sameSignature(f api.FunctionDefinition, sig signature) bool {
	return slices.Equal(f.ParamTypes(), sig.params) && slices.Equal(f.ResultTypes(), sig.results)
}

func describe(f api.FunctionDefinition) string {
	name := func(ts []api.ValueType) []string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return s
	}
	return fmt.Sprintf("%v -> %v", name(f.ParamTypes()), name(f.ResultTypes()))
}
