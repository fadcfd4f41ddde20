package edge

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHealthEndpoints(t *testing.T) {
	storeDown := errors.New("dial tcp: connect to postgres://lintel:S3CRETPW@db.internal:5432 refused")
	tests := []struct {
		name      string
		target    string
		pingErr   error
		wantCode  int
		wantBody  string
		wantPings int
	}{
		{
			name: "healthz answers ok", target: "/healthz",
			wantCode: http.StatusOK, wantBody: `{"status":"ok"}`,
		},
		{
			name: "healthz answers ok without touching a failing store", target: "/healthz", pingErr: storeDown,
			wantCode: http.StatusOK, wantBody: `{"status":"ok"}`,
		},
		{
			name: "readyz answers ready when the store pings", target: "/readyz",
			wantCode: http.StatusOK, wantBody: `{"status":"ready"}`, wantPings: 1,
		},
		{
			name: "readyz answers unavailable when the store fails", target: "/readyz", pingErr: storeDown,
			wantCode: http.StatusServiceUnavailable, wantBody: `{"status":"unavailable","checks":{"store":"unavailable"}}`, wantPings: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := newTestEdge(t)
			te.store.err = tt.pingErr
			w := te.get(t, tt.target)
			if w.Code != tt.wantCode {
				t.Errorf("status = %d, want %d", w.Code, tt.wantCode)
			}
			if got := strings.TrimSpace(w.Body.String()); got != tt.wantBody {
				t.Errorf("body = %s, want %s", got, tt.wantBody)
			}
			if got := w.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if got := w.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			if got := te.store.callCount(); got != tt.wantPings {
				t.Errorf("store pinged %d times, want %d", got, tt.wantPings)
			}
		})
	}
}

func TestReadyzLogsTheStoreErrorInsteadOfReturningIt(t *testing.T) {
	te := newTestEdge(t)
	te.store.err = errors.New("connect to postgres://lintel:S3CRETPW@db.internal refused")
	w := te.get(t, "/readyz")

	if strings.Contains(w.Body.String(), "S3CRETPW") || strings.Contains(w.Body.String(), "db.internal") {
		t.Errorf("response body leaks the store error: %s", w.Body)
	}
	failures := te.logs.withMsg(t, "readiness check failed")
	if len(failures) != 1 {
		t.Fatalf("got %d readiness failure log lines, want 1; log:\n%s", len(failures), te.logs)
	}
	rec := failures[0]
	if got, _ := rec["error"].(string); !strings.Contains(got, "db.internal") {
		t.Errorf("logged error = %q, want the store error", got)
	}
	if got := rec["request_id"]; got != w.Header().Get(requestIDHeader) {
		t.Errorf("logged request_id = %v, want %s", got, w.Header().Get(requestIDHeader))
	}
}

func TestReadyzBoundsThePing(t *testing.T) {
	tests := []struct {
		name  string
		check func(t *testing.T, te *testEdge)
	}{
		{"gives the ping a two-second deadline", func(t *testing.T, te *testEdge) {
			before := time.Now()
			te.get(t, "/readyz")
			after := time.Now()
			dl := te.store.deadline
			if dl.IsZero() {
				t.Fatal("ping context has no deadline")
			}
			if dl.Before(before.Add(readyTimeout)) || dl.After(after.Add(readyTimeout)) {
				t.Errorf("ping deadline %v after the request started, want %v", dl.Sub(before), readyTimeout)
			}
		}},
		{"answers unavailable when the request is cancelled mid-ping", func(t *testing.T, te *testEdge) {
			te.store.block = true
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			w := te.do(t, httptest.NewRequestWithContext(ctx, http.MethodGet, "/readyz", nil))
			if w.Code != http.StatusServiceUnavailable {
				t.Errorf("status = %d, want 503", w.Code)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, newTestEdge(t))
		})
	}
}
