package wasm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// instance is one instantiated module, used by one call at a time.
type instance struct {
	mod            api.Module
	mem            api.Memory
	alloc, handle  api.Function
	stdout, stderr *outputBuffer
}

func (inst *instance) close() { _ = inst.mod.Close(context.Background()) }

// Call runs a module on input and returns its answer. key is the hex
// SHA-256 of module: on a cache miss the module is checked against it,
// validated and compiled, later calls with the same key reuse the
// compiled module (and module is not read). timeout (at most MaxTimeout;
// zero or less means MaxTimeout) bounds instantiation and the call, not
// the compilation, and ends earlier if ctx does.
//
// Errors wrap ErrInvalidModule, ErrDeadline, ErrMemory, ErrTrap, ErrABI,
// ErrInput or ErrClosed; a cancelled ctx gives context.Canceled. Whatever
// failed, the instance that ran is closed, never reused.
func (r *Runtime) Call(ctx context.Context, key string, module []byte, input []byte, timeout time.Duration) ([]byte, error) {
	if len(input) > MaxInputBytes {
		return nil, fmt.Errorf("%w: %d bytes, over %d", ErrInput, len(input), MaxInputBytes)
	}
	if timeout <= 0 || timeout > MaxTimeout {
		timeout = MaxTimeout
	}
	if r.isClosed() {
		return nil, ErrClosed
	}
	e, err := r.entry(ctx, key, module)
	if err != nil {
		return nil, err
	}

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	select {
	case r.slots <- struct{}{}:
		defer func() { <-r.slots }()
	case <-ctx.Done():
		return nil, r.contextError(ctx, "waiting for a free slot")
	}

	inst, err := r.take(ctx, e)
	if err != nil && e.isEvicted() && ctx.Err() == nil {
		// Calls of other modules evicted this one between the lookup and
		// the instantiation: compile it again, once.
		if e, err = r.entry(ctx, key, module); err == nil {
			inst, err = r.take(ctx, e)
		}
	}
	if err != nil {
		return nil, err
	}
	out, err := r.invoke(ctx, inst, input)
	stderr := r.logOutput(ctx, e.key, inst)
	if err != nil {
		inst.close()
		return nil, r.classify(ctx, err, stderr)
	}
	r.put(e, inst)
	return out, nil
}

// entry returns the cached compiled module of key, compiling module on a
// miss.
func (r *Runtime) entry(ctx context.Context, key string, module []byte) (*entry, error) {
	e, err := r.cache.get(ctx, key, func() (wazero.CompiledModule, error) {
		sum := sha256.Sum256(module)
		if hex.EncodeToString(sum[:]) != key {
			return nil, fmt.Errorf("%w: key %s is not the SHA-256 of the module", ErrInvalidModule, shortKey(key))
		}
		// Compilation is shared by the callers waiting for it and cached:
		// one caller leaving must not cancel it.
		return r.compile(context.WithoutCancel(ctx), module)
	})
	if err != nil && ctx.Err() != nil {
		return nil, r.contextError(ctx, "waiting for compilation")
	}
	return e, err
}

// invoke runs one call of the calling convention on inst.
func (r *Runtime) invoke(ctx context.Context, inst *instance, input []byte) ([]byte, error) {
	res, err := inst.alloc.Call(ctx, uint64(len(input)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", exportAlloc, err)
	}
	ptr := uint32(res[0])
	if !inst.mem.Write(ptr, input) {
		return nil, fmt.Errorf("%w: the buffer of %d bytes at %#x from %s lies outside memory", ErrABI, len(input), ptr, exportAlloc)
	}
	res, err = inst.handle.Call(ctx, uint64(ptr), uint64(len(input)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", exportHandle, err)
	}
	outPtr, outLen := uint32(res[0]>>32), uint32(res[0])
	if outLen > MaxOutputBytes {
		return nil, fmt.Errorf("%w: answer of %d bytes, over %d", ErrABI, outLen, MaxOutputBytes)
	}
	out, ok := inst.mem.Read(outPtr, outLen)
	if !ok {
		return nil, fmt.Errorf("%w: answer of %d bytes at %#x, outside memory", ErrABI, outLen, outPtr)
	}
	// Read gives a view of the module's memory, which the next call
	// overwrites.
	return bytes.Clone(out), nil
}

// take returns a warm instance of e, or makes one: instantiate, then
// _initialize once, under the call's deadline (package initialisers are
// the tenant's code too).
func (r *Runtime) take(ctx context.Context, e *entry) (*instance, error) {
	e.mu.Lock()
	if n := len(e.idle); n > 0 {
		inst := e.idle[n-1]
		e.idle = e.idle[:n-1]
		e.mu.Unlock()
		r.mu.Lock()
		r.idle--
		r.mu.Unlock()
		return inst, nil
	}
	e.mu.Unlock()

	inst := &instance{stdout: &outputBuffer{}, stderr: &outputBuffer{}}
	mod, err := r.wz.InstantiateModule(ctx, e.cm, r.moduleConfig(inst.stdout, inst.stderr))
	if err != nil {
		stderr := r.logOutput(ctx, e.key, inst)
		if mod != nil {
			_ = mod.Close(context.Background())
		}
		return nil, fmt.Errorf("instantiate: %w", r.classify(ctx, err, stderr))
	}
	inst.mod, inst.mem = mod, mod.Memory()
	inst.alloc, inst.handle = mod.ExportedFunction(exportAlloc), mod.ExportedFunction(exportHandle)
	if inst.mem == nil || inst.alloc == nil || inst.handle == nil { // checked when compiled
		inst.close()
		return nil, fmt.Errorf("%w: exports missing after instantiation", ErrInvalidModule)
	}
	if init := mod.ExportedFunction(exportInitialize); init != nil {
		_, err := init.Call(ctx)
		stderr := r.logOutput(ctx, e.key, inst)
		if err != nil {
			inst.close()
			return nil, fmt.Errorf("%s: %w", exportInitialize, r.classify(ctx, err, stderr))
		}
	}
	return inst, nil
}

// put keeps a healthy instance warm, unless enough are.
func (r *Runtime) put(e *entry, inst *instance) {
	r.mu.Lock()
	if r.closed || r.idle >= r.opts.MaxIdle {
		r.mu.Unlock()
		inst.close()
		return
	}
	e.mu.Lock()
	if e.evicted {
		e.mu.Unlock()
		r.mu.Unlock()
		inst.close()
		return
	}
	e.idle = append(e.idle, inst)
	e.mu.Unlock()
	r.idle++
	r.mu.Unlock()
}

// dropEntry closes an entry evicted from the cache. Instances in use
// are closed when their call ends (put sees evicted).
func (r *Runtime) dropEntry(e *entry) {
	e.mu.Lock()
	e.evicted = true
	idle := e.idle
	e.idle = nil
	e.mu.Unlock()
	r.mu.Lock()
	r.idle -= len(idle)
	r.mu.Unlock()
	for _, inst := range idle {
		inst.close()
	}
	_ = e.cm.Close(context.Background())
}

// classify turns what wazero returned into the package's errors. stderr
// is what the module wrote there during the call: a Go module that runs
// out of memory says so before it exits.
func (r *Runtime) classify(ctx context.Context, err error, stderr string) error {
	if errors.Is(err, ErrABI) || errors.Is(err, ErrInvalidModule) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || ctx.Err() != nil {
		return r.contextError(ctx, "running")
	}
	memory := strings.Contains(stderr, "out of memory")
	var exit *sys.ExitError
	switch {
	case errors.As(err, &exit) && memory:
		return fmt.Errorf("%w: the module exited with code %d", ErrMemory, exit.ExitCode())
	case errors.As(err, &exit):
		return fmt.Errorf("%w: the module exited with code %d", ErrTrap, exit.ExitCode())
	case memory:
		return fmt.Errorf("%w: %w", ErrMemory, firstLine{err})
	}
	if r.isClosed() {
		return fmt.Errorf("%w: %w", ErrClosed, firstLine{err})
	}
	return fmt.Errorf("%w: %w", ErrTrap, firstLine{err})
}

// firstLine prints the first line of a trap, without the wasm stack
// trace that follows: function indexes of the tenant's code, too long for
// a log line and of use to no one here.
type firstLine struct{ err error }

func (f firstLine) Error() string {
	s, _, _ := strings.Cut(f.err.Error(), "\n")
	return s
}

func (f firstLine) Unwrap() error { return f.err }

// contextError says why ctx ended: its deadline (ErrDeadline, which is
// context.DeadlineExceeded too, as callers of any slow call check) or a
// cancellation.
func (r *Runtime) contextError(ctx context.Context, while string) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("wasm: call cancelled while %s: %w", while, context.Canceled)
	}
	return fmt.Errorf("%w while %s: %w", ErrDeadline, while, context.DeadlineExceeded)
}
