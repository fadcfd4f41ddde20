package wasm

import (
	"context"
	"log/slog"
	"sync"
)

// maxOutputLog bounds what a module's stdout or stderr sends to the log
// per call; the rest is counted, not kept.
const maxOutputLog = 4 << 10

// outputBuffer collects what a module writes to one stream during a call.
// It never fails a write: a module must not trip over its own logging.
type outputBuffer struct {
	mu      sync.Mutex
	buf     []byte
	dropped int
}

func (b *outputBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	keep := min(len(p), maxOutputLog-len(b.buf))
	b.buf = append(b.buf, p[:keep]...)
	b.dropped += len(p) - keep
	return len(p), nil
}

// take returns what was written since the last take and forgets it.
func (b *outputBuffer) take() (text string, dropped int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	text, dropped = string(b.buf), b.dropped
	b.buf, b.dropped = b.buf[:0], 0
	return text, dropped
}

// logOutput sends what an instance wrote to the log and returns its
// stderr, which tells an exit for want of memory from another.
func (r *Runtime) logOutput(ctx context.Context, key string, inst *instance) (stderr string) {
	for _, s := range []struct {
		name string
		buf  *outputBuffer
	}{{"stdout", inst.stdout}, {"stderr", inst.stderr}} {
		text, dropped := s.buf.take()
		if text == "" && dropped == 0 {
			continue
		}
		if s.name == "stderr" {
			stderr = text
		}
		r.opts.Logger.LogAttrs(ctx, slog.LevelInfo, "wasm hook output",
			slog.String("module", shortKey(key)),
			slog.String("stream", s.name),
			slog.String("text", text),
			slog.Int("dropped_bytes", dropped))
	}
	return stderr
}

// shortKey names a module in the log by the start of its hash.
func shortKey(key string) string {
	if len(key) > 12 {
		return key[:12]
	}
	return key
}
