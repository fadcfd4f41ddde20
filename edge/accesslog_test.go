package edge

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestAccessLog(t *testing.T) {
	tests := []struct {
		name  string
		check func(t *testing.T, te *testEdge)
	}{
		{"logs one line per request with what happened", func(t *testing.T, te *testEdge) {
			w := te.get(t, "/healthz")
			lines := te.logs.withMsg(t, "http request")
			if len(lines) != 1 {
				t.Fatalf("got %d access log lines, want 1", len(lines))
			}
			rec := lines[0]
			want := map[string]any{
				"level":      "INFO",
				"method":     "GET",
				"path":       "/healthz",
				"route":      "GET /healthz",
				"status":     float64(200),
				"bytes":      float64(w.Body.Len()),
				"duration":   float64(0), // the fake clock stood still
				"request_id": w.Header().Get(requestIDHeader),
			}
			for k, v := range want {
				if rec[k] != v {
					t.Errorf("%s = %v (%T), want %v", k, rec[k], rec[k], v)
				}
			}
		}},
		{"never logs the query string, headers or body", func(t *testing.T, te *testEdge) {
			r := httptest.NewRequest(http.MethodPost, "/readyz?code=CANARY123&state=CANARY456", strings.NewReader("password=CANARY789"))
			r.Header.Set("Authorization", "Bearer CANARYAUTH")
			r.Header.Set("Cookie", "sid=CANARYCOOKIE")
			r.Header.Set("User-Agent", "CANARYAGENT")
			te.do(t, r)
			te.get(t, "/healthz?code=CANARY123")
			te.get(t, "/no-such-page?code=CANARY123")
			log := te.logs.String()
			if log == "" {
				t.Fatal("nothing logged")
			}
			for _, canary := range []string{"CANARY123", "CANARY456", "CANARY789", "CANARYAUTH", "CANARYCOOKIE", "CANARYAGENT", "code="} {
				if strings.Contains(log, canary) {
					t.Errorf("log contains %q:\n%s", canary, log)
				}
			}
		}},
		{"truncates a very long path", func(t *testing.T, te *testEdge) {
			te.get(t, "/"+strings.Repeat("x", 4000))
			path, _ := te.logs.withMsg(t, "http request")[0]["path"].(string)
			if len(path) > maxLoggedPathLen+len("…") {
				t.Errorf("logged path is %d bytes, want at most %d", len(path), maxLoggedPathLen+len("…"))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, newTestEdge(t))
		})
	}
}

func TestAccessLogMeasuresDurationOnTheInjectedClock(t *testing.T) {
	mux := http.NewServeMux()
	var te *testEdge
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		te.clock.Advance(1500 * time.Millisecond)
	})
	te = newTestWrapped(t, mux)
	te.get(t, "/slow")
	if got := te.logs.withMsg(t, "http request")[0]["duration"]; got != float64(1500*time.Millisecond) {
		t.Errorf("duration = %v, want %d", got, 1500*time.Millisecond)
	}
}

func TestResponseRecorder(t *testing.T) {
	tests := []struct {
		name       string
		handler    func(w http.ResponseWriter)
		wantStatus int
		wantBytes  int64
	}{
		{"a handler that writes nothing is a 200", func(http.ResponseWriter) {}, 200, 0},
		{"a write without a header is a 200", func(w http.ResponseWriter) { _, _ = w.Write([]byte("hello")) }, 200, 5},
		{"records an explicit status", func(w http.ResponseWriter) { w.WriteHeader(http.StatusTeapot) }, http.StatusTeapot, 0},
		{"ignores informational headers before the final one", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte("ok"))
		}, http.StatusCreated, 2},
		{"keeps the first final status", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusAccepted)
			w.WriteHeader(http.StatusInternalServerError)
		}, http.StatusAccepted, 0},
		{"a flush commits a 200", func(w http.ResponseWriter) { w.(http.Flusher).Flush() }, 200, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not httptest.ResponseRecorder: it takes a 1xx status as final.
			rec := &responseRecorder{ResponseWriter: discardWriter{http.Header{}}}
			tt.handler(rec)
			if got := rec.statusCode(); got != tt.wantStatus {
				t.Errorf("status = %d, want %d", got, tt.wantStatus)
			}
			if rec.bytes != tt.wantBytes {
				t.Errorf("bytes = %d, want %d", rec.bytes, tt.wantBytes)
			}
		})
	}
}

// discardWriter is a ResponseWriter that accepts anything.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}
