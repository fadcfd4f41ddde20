package wasm_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/hooks/wasm"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// buildDir holds the modules the tests build, once per run of the test
// binary, and compiledDir the machine code wazero compiled from them,
// shared by the tests' runtimes (see compilationCache).
var buildDir, compiledDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wasm-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir, compiledDir = dir, compilationCache(dir)
	code := m.Run()
	if sharedRuntime != nil {
		_ = sharedRuntime.Close(context.Background())
	}
	os.RemoveAll(dir)
	storetest.DropTemplate()
	os.Exit(code)
}

// compilationCache returns the directory of wazero's compilation cache
// for the tests. Compiling a Go module takes seconds, a minute under the
// race detector, so the cache outlives the run, in the user's cache
// directory as GOCACHE does: the race run of make test reuses what the
// plain run compiled, and a later run what it left. Entries unused for a
// week go, since every change of a test module leaves a new one of
// megabytes.
func compilationCache(tmp string) string {
	base, err := os.UserCacheDir()
	if err != nil {
		return filepath.Join(tmp, "compiled")
	}
	dir := filepath.Join(base, "lintel", "wasm-test-compiled")
	old := time.Now().Add(-7 * 24 * time.Hour)
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil && info.ModTime().Before(old) {
			_ = os.Remove(path)
		}
		return nil
	})
	return dir
}

// goModule is a Go program built to WebAssembly by the tests.
type goModule struct {
	name    string // file name in buildDir
	pkg     string // directory, relative to this package
	reactor bool   // -buildmode=c-shared
}

var (
	hookModule      = goModule{"hook.wasm", "./testdata/hook", true}
	badImportModule = goModule{"badimport.wasm", "./testdata/badimport", true}
	commandModule   = goModule{"noexports.wasm", "./testdata/noexports", false}
	docsGoModule    = goModule{"docs-go.wasm", "../../../docs/hooks/wasm-go", true}
	allGoModules    = []goModule{hookModule, badImportModule, commandModule, docsGoModule}
)

var (
	buildOnce sync.Once
	built     map[string][]byte
	buildErr  error
)

// load returns the bytes of a Go module. The first call builds them all
// at once, in parallel: linking is most of a build's cost and the
// standard library for wasip1 comes from GOCACHE after the first run.
func load(t testing.TB, m goModule) []byte {
	t.Helper()
	buildOnce.Do(func() {
		built = map[string][]byte{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, gm := range allGoModules {
			wg.Go(func() {
				b, err := build(gm)
				mu.Lock()
				defer mu.Unlock()
				if err != nil && buildErr == nil {
					buildErr = err
				}
				built[gm.name] = b
			})
		}
		wg.Wait()
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built[m.name]
}

func build(m goModule) ([]byte, error) {
	out := filepath.Join(buildDir, m.name)
	args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", out}
	if m.reactor {
		args = append(args, "-buildmode=c-shared")
	}
	cmd := exec.Command("go", append(args, m.pkg)...)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build %s: %v\n%s", m.pkg, err, msg)
	}
	return os.ReadFile(out)
}

// key is the cache key of a module, as package hooks computes it.
func key(module []byte) string {
	sum := sha256.Sum256(module)
	return hex.EncodeToString(sum[:])
}

var (
	sharedOnce    sync.Once
	sharedRuntime *wasm.Runtime
	sharedErr     error
)

// shared returns a Runtime with the default options, for the tests that
// need nothing else.
func shared(t testing.TB) *wasm.Runtime {
	t.Helper()
	sharedOnce.Do(func() {
		sharedRuntime, sharedErr = wasm.New(context.Background(), wasm.Options{Logger: quiet, CacheDir: compiledDir})
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedRuntime
}

// newRuntime returns a Runtime of its own, closed at the end of the test.
func newRuntime(t testing.TB, opts wasm.Options) *wasm.Runtime {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	if opts.CacheDir == "" {
		opts.CacheDir = compiledDir
	}
	r, err := wasm.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return r
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
