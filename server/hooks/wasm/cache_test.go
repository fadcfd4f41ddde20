package wasm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"testing"
	"time"
)

// echoModule is a valid module that answers its input; extra makes
// modules that differ (a custom section).
func echoModule(extra byte) []byte {
	b := []byte("\x00asm\x01\x00\x00\x00" +
		"\x01\x0c\x02\x60\x01\x7f\x01\x7f\x60\x02\x7f\x7f\x01\x7e" + // types: (i32)->i32, (i32,i32)->i64
		"\x03\x03\x02\x00\x01" + // functions
		"\x05\x03\x01\x00\x01" + // memory: 1 page
		"\x07\x29\x03\x06memory\x02\x00\x0clintel_alloc\x00\x00\x0dlintel_handle\x00\x01" +
		"\x0a\x14\x02" +
		"\x05\x00\x41\x80\x08\x0b" + // lintel_alloc: 1024
		"\x0c\x00\x42\x80\x08\x42\x20\x86\x20\x01\xad\x84\x0b") // lintel_handle: 1024<<32 | len
	return append(b, 0, 3, 1, 'x', extra)
}

func hexKey(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func newTestRuntime(t *testing.T, opts Options) *Runtime {
	t.Helper()
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	r, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

func TestValidateCachesTheCompiledModule(t *testing.T) {
	r := newTestRuntime(t, Options{})
	module := echoModule(0)
	if err := r.Validate(context.Background(), module); err != nil {
		t.Fatal(err)
	}
	if n := r.cache.len(); n != 1 {
		t.Fatalf("%d modules cached after Validate, want 1", n)
	}
	// A call with the module's key uses the cached module: it does not
	// even read the bytes.
	out, err := r.Call(context.Background(), hexKey(module), nil, []byte("hi"), time.Second)
	if err != nil || string(out) != "hi" {
		t.Fatalf("Call = %q, %v", out, err)
	}
}

func TestCacheAndPoolStayBounded(t *testing.T) {
	r := newTestRuntime(t, Options{CacheSize: 3, MaxIdle: 2})
	for i := range 10 {
		module := echoModule(byte(i))
		if _, err := r.Call(context.Background(), hexKey(module), module, []byte("x"), time.Second); err != nil {
			t.Fatal(err)
		}
		if n := r.cache.len(); n > 3 {
			t.Fatalf("%d modules cached, over the size of 3", n)
		}
		r.mu.Lock()
		idle := r.idle
		r.mu.Unlock()
		if idle > 2 || idle < 1 {
			t.Fatalf("%d warm instances, want 1 or 2", idle)
		}
	}
}
