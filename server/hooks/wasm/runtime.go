package wasm

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// Errors callers branch on; each comes wrapped with the reason.
var (
	// ErrInvalidModule: the module failed validation (Validate) or could
	// not be compiled for a call.
	ErrInvalidModule = errors.New("wasm: invalid module")
	// ErrDeadline: the call's deadline passed before the module answered;
	// errors.Is(err, context.DeadlineExceeded) holds as well.
	ErrDeadline = errors.New("wasm: deadline exceeded")
	// ErrMemory: the module ran out of its memory limit.
	ErrMemory = errors.New("wasm: out of memory")
	// ErrTrap: the module trapped, panicked or exited.
	ErrTrap = errors.New("wasm: module trapped")
	// ErrABI: the module broke the calling convention: a buffer outside
	// its memory, or an answer longer than MaxOutputBytes.
	ErrABI = errors.New("wasm: calling convention broken")
	// ErrInput: the input is longer than MaxInputBytes.
	ErrInput = errors.New("wasm: input too large")
	// ErrClosed: the Runtime was closed.
	ErrClosed = errors.New("wasm: runtime closed")
)

// Fixed limits of the calling convention.
const (
	// MaxTimeout caps the timeout of a call.
	MaxTimeout = 10 * time.Second
	// MaxInputBytes caps the input of a call.
	MaxInputBytes = 1 << 20
	// MaxOutputBytes caps the answer of a call.
	MaxOutputBytes = 256 << 10
)

// Defaults of Options.
const (
	DefaultMemoryLimitPages = 256 // 16 MiB of 64 KiB pages
	DefaultMaxModuleBytes   = 8 << 20
	DefaultCacheSize        = 64
	DefaultMaxIdle          = 16
)

// Options configure a Runtime; zero values take the defaults.
type Options struct {
	// MemoryLimitPages caps each instance's linear memory, in 64 KiB
	// pages (DefaultMemoryLimitPages).
	MemoryLimitPages uint32
	// MaxModuleBytes caps the size of a module (DefaultMaxModuleBytes).
	MaxModuleBytes int
	// CacheSize is how many compiled modules the node keeps, least
	// recently used evicted first (DefaultCacheSize).
	CacheSize int
	// MaxIdle caps the warm instances kept between calls, all modules
	// together (DefaultMaxIdle); each holds its linear memory.
	MaxIdle int
	// MaxConcurrent caps the calls running at once; more wait, within
	// their deadline (default twice GOMAXPROCS, at least 4).
	MaxConcurrent int
	// CacheDir, when set, keeps compiled machine code on disk (wazero's
	// compilation cache), so a restarted node does not compile every
	// module again: a Go module takes seconds. The directory holds code
	// the node runs: it must be writable by the server only.
	CacheDir string
	// Logger receives what modules write to stdout and stderr
	// (slog.Default() when nil).
	Logger *slog.Logger
}

// Runtime compiles, validates and calls hook modules. It is safe for
// concurrent use; calls of the same module run on separate instances.
type Runtime struct {
	opts Options
	wz   wazero.Runtime
	// compiled is the on-disk compilation cache, nil without CacheDir.
	compiled wazero.CompilationCache
	wasi     map[string]api.FunctionDefinition // the host functions modules may import
	cache    *cache
	slots    chan struct{}
	mu       sync.Mutex // guards closed and idle
	closed   bool
	idle     int // warm instances across all modules
}

// New starts a Runtime: a wazero runtime (its compiler where the platform
// has one) with the memory limit and close-on-deadline, and the WASI host
// module served with no file system.
func New(ctx context.Context, opts Options) (*Runtime, error) {
	if opts.MemoryLimitPages == 0 {
		opts.MemoryLimitPages = DefaultMemoryLimitPages
	}
	if opts.MemoryLimitPages > 65536 {
		return nil, fmt.Errorf("wasm: memory limit of %d pages is over 4 GiB", opts.MemoryLimitPages)
	}
	if opts.MaxModuleBytes <= 0 {
		opts.MaxModuleBytes = DefaultMaxModuleBytes
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = DefaultCacheSize
	}
	if opts.MaxIdle <= 0 {
		opts.MaxIdle = DefaultMaxIdle
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	cfg := wazero.NewRuntimeConfig().
		WithMemoryLimitPages(opts.MemoryLimitPages).
		// A deadline must stop a module spinning in its own code, which
		// never returns to the host otherwise.
		WithCloseOnContextDone(true)
	var compiled wazero.CompilationCache
	if opts.CacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(opts.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("wasm: compilation cache in %s: %w", opts.CacheDir, err)
		}
		compiled = c
		cfg = cfg.WithCompilationCache(c)
	}
	wz := wazero.NewRuntimeWithConfig(ctx, cfg)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, wz); err != nil {
		_ = wz.Close(ctx)
		if compiled != nil {
			_ = compiled.Close(ctx)
		}
		return nil, fmt.Errorf("wasm: instantiate WASI: %w", err)
	}
	host := wz.Module(wasi_snapshot_preview1.ModuleName)
	wasi := map[string]api.FunctionDefinition{}
	for name, def := range host.ExportedFunctionDefinitions() {
		if _, ok := allowedImports[name]; ok { // the rest of WASI stays out of reach
			wasi[name] = def
		}
	}
	r := &Runtime{
		opts:     opts,
		wz:       wz,
		compiled: compiled,
		wasi:     wasi,
		slots:    make(chan struct{}, opts.MaxConcurrent),
	}
	r.cache = newCache(opts.CacheSize, r.dropEntry)
	return r, nil
}

// Close closes every instance and compiled module and the wazero runtime;
// calls still running fail. Later calls return ErrClosed.
func (r *Runtime) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	r.cache.clear()
	err := r.wz.Close(ctx)
	if r.compiled != nil {
		err = errors.Join(err, r.compiled.Close(ctx))
	}
	if err != nil {
		return fmt.Errorf("wasm: close runtime: %w", err)
	}
	return nil
}

func (r *Runtime) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// moduleConfig is the sandbox of one instance: no file system, no
// arguments, no environment (wazero's defaults), real clocks, crypto
// randomness, stdout and stderr into bounded buffers.
func (r *Runtime) moduleConfig(stdout, stderr *outputBuffer) wazero.ModuleConfig {
	return wazero.NewModuleConfig().
		WithName("").         // anonymous: many instances of one module coexist
		WithStartFunctions(). // _initialize is called under the call's deadline
		WithStdout(stdout).
		WithStderr(stderr).
		WithRandSource(rand.Reader).
		WithSysWalltime().
		WithSysNanotime().
		WithNanosleep(shortSleep)
}

// maxSleep bounds one sleep of a module: the host cannot interrupt a
// sleep, so a long one is cut into short ones that return to the module,
// where the deadline can stop it.
const maxSleep = 5 * time.Millisecond

func shortSleep(ns int64) {
	time.Sleep(min(time.Duration(ns), maxSleep))
}
