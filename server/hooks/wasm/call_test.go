package wasm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/hooks/wasm"
)

// request is the document package hooks sends, with data.do choosing the
// test module's behaviour.
func request(subject, do string) []byte {
	return fmt.Appendf(nil, `{"version":"1","id":"hinv_1","point":"token","tenant_id":"ten_1","subject":%q,"data":{"do":%q,"claims":{"email":"ada@example.com"}}}`, subject, do)
}

// calls asks the test module how many calls its instance answered.
func calls(t *testing.T, r *wasm.Runtime, module []byte) int {
	t.Helper()
	out, err := r.Call(context.Background(), key(module), module, request("usr_1", "count"), time.Second)
	if err != nil {
		t.Fatalf("count: %v", err)
	}
	var answer struct{ Calls int }
	if err := json.Unmarshal(out, &answer); err != nil {
		t.Fatalf("count answered %q: %v", out, err)
	}
	return answer.Calls
}

func TestCallAnswers(t *testing.T) {
	module := load(t, hookModule)
	tests := []struct {
		name    string
		subject string
		want    string
	}{
		{"adds a claim for a user", "usr_1",
			`{"commands":[{"type":"token.claims.set","value":{"target":"access","claims":{"tier":"gold"}}}]}`},
		{"changes nothing without a user", "", `{"commands":[]}`},
	}
	r := shared(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := r.Call(context.Background(), key(module), module, request(tt.subject, ""), time.Second)
			if err != nil {
				t.Fatal(err)
			}
			assertJSON(t, out, tt.want)
		})
	}
}

func TestCallKeepsTheInstanceWarm(t *testing.T) {
	r := newRuntime(t, wasm.Options{})
	module := load(t, hookModule)
	first := calls(t, r, module)
	if second := calls(t, r, module); second != first+1 {
		t.Fatalf("second call answered by an instance that counted %d calls, want %d: not the same instance", second, first+1)
	}
}

func TestCallStopsAModuleThatFails(t *testing.T) {
	module := load(t, hookModule)
	tests := []struct {
		name    string
		do      string
		timeout time.Duration
		want    error
	}{
		{"stops a module looping forever at its deadline", "loop", 200 * time.Millisecond, wasm.ErrDeadline},
		{"stops a module sleeping past its deadline", "sleep", 200 * time.Millisecond, wasm.ErrDeadline},
		{"stops a module allocating too much", "alloc", 5 * time.Second, wasm.ErrMemory},
		{"reports a panic as a trap", "panic", 5 * time.Second, wasm.ErrTrap},
		{"reports proc_exit as a trap", "exit", 5 * time.Second, wasm.ErrTrap},
		{"refuses an answer outside memory", "badptr", 5 * time.Second, wasm.ErrABI},
		{"refuses an answer over 256 KiB", "big", 5 * time.Second, wasm.ErrABI},
	}
	r := newRuntime(t, wasm.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Warm an instance up, so the failure happens on a reused one.
			calls(t, r, module)
			start := time.Now()
			_, err := r.Call(context.Background(), key(module), module, request("usr_1", tt.do), tt.timeout)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Call = %v, want %v", err, tt.want)
			}
			if errors.Is(err, context.DeadlineExceeded) != (tt.want == wasm.ErrDeadline) {
				t.Fatalf("Call = %v: context.DeadlineExceeded must match exactly when the deadline passed", err)
			}
			if took := time.Since(start); took > tt.timeout+2*time.Second {
				t.Fatalf("the call took %v with a timeout of %v", took, tt.timeout)
			}
			// The failed instance is gone: the next call on the same key
			// works, on a fresh instance.
			if n := calls(t, r, module); n != 1 {
				t.Fatalf("the call after the failure was the instance's call %d, want a fresh instance", n)
			}
		})
	}
}

func TestCallRefuses(t *testing.T) {
	module := echo().bytes()
	tests := []struct {
		name   string
		key    string
		module []byte
		input  []byte
		want   error
	}{
		{"a key that is not the module's hash", key([]byte("another module")), module, []byte("{}"), wasm.ErrInvalidModule},
		{"an invalid module", key([]byte("junk")), []byte("junk"), []byte("{}"), wasm.ErrInvalidModule},
		{"an input over the limit", key(module), module, make([]byte, wasm.MaxInputBytes+1), wasm.ErrInput},
		{"an input outside the buffer the module gave", key(module), module, make([]byte, 64<<10), wasm.ErrABI},
	}
	r := shared(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := r.Call(context.Background(), tt.key, tt.module, tt.input, time.Second); !errors.Is(err, tt.want) {
				t.Fatalf("Call = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCallStopsATightLoop(t *testing.T) {
	// A module of a few bytes whose lintel_handle never returns: the
	// deadline must stop code that never calls the host.
	m := &modBuilder{}
	m.mem(1, "memory")
	m.exportFunc("lintel_alloc", m.fn([]byte{tI32}, []byte{tI32}, opI32Const, 0))
	m.exportFunc("lintel_handle", m.fn([]byte{tI32, tI32}, []byte{tI64}, opLoop, 0x40, opBr, 0, opEnd, opUnreach))
	module := m.bytes()
	r := shared(t)
	start := time.Now()
	_, err := r.Call(context.Background(), key(module), module, []byte("{}"), 100*time.Millisecond)
	if !errors.Is(err, wasm.ErrDeadline) {
		t.Fatalf("Call = %v, want ErrDeadline", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("stopped after %v", took)
	}
}

func TestCallCancelled(t *testing.T) {
	module := load(t, hookModule)
	r := shared(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := r.Call(ctx, key(module), module, request("usr_1", "loop"), 5*time.Second)
	if !errors.Is(err, context.Canceled) || errors.Is(err, wasm.ErrDeadline) {
		t.Fatalf("Call = %v, want context.Canceled", err)
	}
}

func TestCallConcurrently(t *testing.T) {
	module := load(t, hookModule)
	echoModule := echo().bytes()
	r := shared(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 8 {
		wg.Go(func() {
			for j := range 8 {
				in := []byte(fmt.Sprintf(`{"n":%d}`, i*8+j))
				out, err := r.Call(context.Background(), key(echoModule), echoModule, in, time.Second)
				if err == nil && !bytes.Equal(out, in) {
					err = fmt.Errorf("echo answered %q to %q", out, in)
				}
				if err == nil && j%4 == 0 {
					out, err = r.Call(context.Background(), key(module), module, request("usr_1", ""), 5*time.Second)
					if err == nil && !strings.Contains(string(out), `"tier":"gold"`) {
						err = fmt.Errorf("hook answered %q", out)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCallEvictsTheLeastRecentlyUsed(t *testing.T) {
	r := newRuntime(t, wasm.Options{CacheSize: 2})
	var modules [][]byte
	for i := range 3 {
		m := echo()
		m.fn(nil, nil, opI32Const, byte(i), opDrop) // makes each module different
		modules = append(modules, m.bytes())
	}
	// Each call past the cache's size evicts one; an evicted module is
	// compiled again from the bytes the caller passes.
	for _, i := range []int{0, 1, 2, 0, 1, 2} {
		in := []byte{'a' + byte(i)}
		out, err := r.Call(context.Background(), key(modules[i]), modules[i], in, time.Second)
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("module %d: Call = %q, %v", i, out, err)
		}
	}
}

func TestCallAfterClose(t *testing.T) {
	r, err := wasm.New(context.Background(), wasm.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	module := echo().bytes()
	if _, err := r.Call(context.Background(), key(module), module, []byte("x"), time.Second); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Call(context.Background(), key(module), module, []byte("x"), time.Second); !errors.Is(err, wasm.ErrClosed) {
		t.Fatalf("Call after Close = %v, want ErrClosed", err)
	}
	if err := r.Validate(context.Background(), module); !errors.Is(err, wasm.ErrClosed) {
		t.Fatalf("Validate after Close = %v, want ErrClosed", err)
	}
}

// syncBuffer is a log destination the runtime may write from any
// goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestCallLogsWhatTheModuleWrites(t *testing.T) {
	var logs syncBuffer
	r := newRuntime(t, wasm.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	module := load(t, hookModule)
	if _, err := r.Call(context.Background(), key(module), module, request("usr_1", "log"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr map[string]any
	for line := range strings.Lines(logs.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		switch rec["stream"] {
		case "stdout":
			stdout = rec
		case "stderr":
			stderr = rec
		}
	}
	if stdout == nil || stdout["text"] != "hello from the hook\n" || stdout["module"] != key(module)[:12] {
		t.Errorf("stdout logged as %v", stdout)
	}
	// The module wrote 10 KiB to stderr: the log keeps 4 KiB and counts
	// the rest.
	if text, _ := stderr["text"].(string); len(text) != 4<<10 || stderr["dropped_bytes"] != float64(10<<10+1-4<<10) {
		t.Errorf("stderr logged with %d bytes of text and %v dropped", len(text), stderr["dropped_bytes"])
	}
	if strings.Contains(logs.String(), "ada@example.com") || strings.Contains(logs.String(), "tier") {
		t.Error("the log holds the input or the answer")
	}
}

func assertJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("answer %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Fatalf("answer %s, want %s", gb, wb)
	}
}
