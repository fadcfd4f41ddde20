package edge

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

var errTest = errors.New("test error")

func TestPanicRecovery(t *testing.T) {
	tests := []struct {
		name        string
		handler     http.HandlerFunc
		wantCode    int  // status the client gets
		wantAbort   bool // ServeHTTP re-panics with http.ErrAbortHandler
		wantLogged  bool // an ERROR "handler panicked" line with the request id
		wantPanics  string
		wantCounted string // line in /metrics
	}{
		{
			name: "a panic before the response gives a plain 500",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Set-Cookie", "sid=HALFDONE")
				w.Header().Set("Content-Type", "application/json")
				panic("boom")
			},
			wantCode: http.StatusInternalServerError, wantLogged: true,
			wantPanics:  "lintel_http_panics_total 1",
			wantCounted: `lintel_http_requests_total{code="500",method="GET",route="GET /boom"} 1`,
		},
		{
			name: "a panic with an error value gives a 500",
			handler: func(http.ResponseWriter, *http.Request) {
				panic(errTest)
			},
			wantCode: http.StatusInternalServerError, wantLogged: true,
			wantPanics:  "lintel_http_panics_total 1",
			wantCounted: `lintel_http_requests_total{code="500",method="GET",route="GET /boom"} 1`,
		},
		{
			name: "a panic after the response started aborts the connection",
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte("partial"))
				panic("boom")
			},
			wantCode: http.StatusOK, wantAbort: true, wantLogged: true,
			wantPanics:  "lintel_http_panics_total 1",
			wantCounted: `lintel_http_requests_total{code="200",method="GET",route="GET /boom"} 1`,
		},
		{
			name: "a deliberate abort passes through without a panic log",
			handler: func(http.ResponseWriter, *http.Request) {
				panic(http.ErrAbortHandler)
			},
			wantCode: http.StatusOK /* recorder default: nothing was written */, wantAbort: true,
			wantPanics:  "lintel_http_panics_total 0",
			wantCounted: `lintel_http_requests_total{code="500",method="GET",route="GET /boom"} 1`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.Handle("GET /boom", tt.handler)
			te := newTestWrapped(t, mux)

			var repanic any
			w := httptest.NewRecorder()
			func() {
				defer func() { repanic = recover() }()
				te.handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/boom", nil))
			}()
			hdr := w.Result().Header // as sent, not as the handler left the map

			if tt.wantAbort {
				if err, ok := repanic.(error); !ok || !errors.Is(err, http.ErrAbortHandler) {
					t.Errorf("re-panicked with %v, want http.ErrAbortHandler", repanic)
				}
			} else if repanic != nil {
				t.Errorf("panic escaped: %v", repanic)
			}
			if w.Code != tt.wantCode {
				t.Errorf("status = %d, want %d", w.Code, tt.wantCode)
			}
			id := hdr.Get(requestIDHeader)
			if id == "" {
				t.Error("response lacks X-Request-Id")
			}
			if tt.wantCode == http.StatusInternalServerError {
				if got := hdr.Get("Set-Cookie"); got != "" {
					t.Errorf("500 response keeps the handler's Set-Cookie %q", got)
				}
				if got := hdr.Get("Content-Type"); !strings.HasPrefix(got, "text/plain") {
					t.Errorf("500 response Content-Type = %q, want text/plain", got)
				}
				if strings.Contains(w.Body.String(), "boom") || strings.Contains(w.Body.String(), errTest.Error()) {
					t.Errorf("500 body leaks the panic value: %q", w.Body)
				}
			}

			panics := te.logs.withMsg(t, "handler panicked")
			switch {
			case tt.wantLogged && len(panics) != 1:
				t.Errorf("got %d panic log lines, want 1:\n%s", len(panics), te.logs)
			case tt.wantLogged:
				if panics[0]["level"] != "ERROR" || panics[0]["request_id"] != id {
					t.Errorf("panic log = %v, want level ERROR and request_id %s", panics[0], id)
				}
				if stack, _ := panics[0]["stack"].(string); !strings.Contains(stack, "panic_test.go") {
					t.Errorf("panic log stack does not show the panicking handler:\n%s", stack)
				}
			case len(panics) != 0:
				t.Errorf("got %d panic log lines, want none", len(panics))
			}
			if n := len(te.logs.withMsg(t, "http request")); n != 1 {
				t.Errorf("got %d access log lines, want 1", n)
			}

			body := te.scrape(t)
			for _, line := range []string{tt.wantPanics, tt.wantCounted} {
				if !containsLine(body, line) {
					t.Errorf("/metrics lacks %s\n%s", line, body)
				}
			}
		})
	}
}
