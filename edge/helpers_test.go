package edge

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lintel-id/lintel/internal/clock"
)

// testStart is the fake clock's time at the start of every test.
var testStart = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fakePinger is a Pinger whose answer the test chooses. It records the
// calls it gets.
type fakePinger struct {
	mu       sync.Mutex
	err      error
	calls    int
	deadline time.Time
	block    bool // wait for ctx to be done, then return its error
}

func (p *fakePinger) Ping(ctx context.Context) error {
	p.mu.Lock()
	p.calls++
	p.deadline, _ = ctx.Deadline()
	block, err := p.block, p.err
	p.mu.Unlock()
	if block {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

func (p *fakePinger) callCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// logBuffer is a goroutine-safe log sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records parses the JSON log lines written so far.
func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, rec)
	}
	return out
}

// withMsg returns the log records whose message is msg.
func (b *logBuffer) withMsg(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, rec := range b.records(t) {
		if rec[slog.MessageKey] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// testEdge is an edge built from fakes, with its log and registry at hand.
type testEdge struct {
	handler http.Handler
	reg     *prometheus.Registry
	logs    *logBuffer
	store   *fakePinger
	clock   *clock.Fake
}

func newTestConfig(store Pinger, logs *logBuffer, reg *prometheus.Registry, clk clock.Clock) Config {
	return Config{
		Store:    store,
		Logger:   slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registry: reg,
		Clock:    clk,
		Version:  "v0.0.0-test",
	}
}

// newTestEdge builds the edge with New.
func newTestEdge(t *testing.T) *testEdge {
	t.Helper()
	te := &testEdge{
		reg:   prometheus.NewRegistry(),
		logs:  &logBuffer{},
		store: &fakePinger{},
		clock: clock.NewFake(testStart),
	}
	h, err := New(newTestConfig(te.store, te.logs, te.reg, te.clock))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	te.handler = h
	return te
}

// newTestWrapped wraps mux in the edge's middleware, for tests that need
// routes New does not register.
func newTestWrapped(t *testing.T, mux *http.ServeMux) *testEdge {
	t.Helper()
	te := &testEdge{
		reg:   prometheus.NewRegistry(),
		logs:  &logBuffer{},
		store: &fakePinger{},
		clock: clock.NewFake(testStart),
	}
	cfg := newTestConfig(te.store, te.logs, te.reg, te.clock)
	m, err := newMetrics(te.reg, cfg.Version)
	if err != nil {
		t.Fatalf("newMetrics: %v", err)
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(te.reg, promhttp.HandlerOpts{}))
	te.handler = wrap(mux, cfg.Logger, te.clock, m)
	return te
}

// do serves one request and returns the recorded response.
func (te *testEdge) do(t *testing.T, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	te.handler.ServeHTTP(w, r)
	return w
}

// get serves a GET of target.
func (te *testEdge) get(t *testing.T, target string) *httptest.ResponseRecorder {
	t.Helper()
	return te.do(t, httptest.NewRequest(http.MethodGet, target, nil))
}

// scrape returns the text exposition of /metrics.
func (te *testEdge) scrape(t *testing.T) string {
	t.Helper()
	w := te.get(t, "/metrics")
	if w.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", w.Code)
	}
	b, _ := io.ReadAll(w.Body)
	return string(b)
}
