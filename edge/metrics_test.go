package edge

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsExposition(t *testing.T) {
	tests := []struct {
		name     string
		requests func(t *testing.T, te *testEdge)
		want     []string // lines the /metrics body must contain
		notWant  []string // substrings it must not contain
	}{
		{
			name:     "counts a request by code, method and matched route",
			requests: func(t *testing.T, te *testEdge) { te.get(t, "/healthz") },
			want: []string{
				`lintel_http_requests_total{code="200",method="GET",route="GET /healthz"} 1`,
				`lintel_http_request_duration_seconds_count{method="GET",route="GET /healthz"} 1`,
			},
		},
		{
			name: "counts failed readiness as 503",
			requests: func(t *testing.T, te *testEdge) {
				te.store.err = errTest
				te.get(t, "/readyz")
				te.get(t, "/readyz")
			},
			want: []string{`lintel_http_requests_total{code="503",method="GET",route="GET /readyz"} 2`},
		},
		{
			name:     "labels a path no pattern matched as unmatched",
			requests: func(t *testing.T, te *testEdge) { te.get(t, "/users/8c1f0e/secret-ish") },
			want:     []string{`lintel_http_requests_total{code="404",method="GET",route="unmatched"} 1`},
			notWant:  []string{"8c1f0e", "secret-ish"},
		},
		{
			name: "maps a non-standard method to OTHER",
			requests: func(t *testing.T, te *testEdge) {
				te.do(t, httptest.NewRequest("BREW", "/healthz", nil))
			},
			want:    []string{`lintel_http_requests_total{code="405",method="OTHER",route="unmatched"} 1`},
			notWant: []string{"BREW"},
		},
		{
			name:     "exports the build version",
			requests: func(*testing.T, *testEdge) {},
			want:     []string{`lintel_build_info{version="v0.0.0-test"} 1`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := newTestEdge(t)
			tt.requests(t, te)
			body := te.scrape(t)
			for _, line := range tt.want {
				if !containsLine(body, line) {
					t.Errorf("/metrics lacks %s\n%s", line, body)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(body, s) {
					t.Errorf("/metrics contains %q", s)
				}
			}
		})
	}
}

func TestMetricsPassLint(t *testing.T) {
	te := newTestEdge(t)
	te.get(t, "/healthz")
	problems, err := testutil.GatherAndLint(te.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

func TestMethodLabel(t *testing.T) {
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace} {
		if got := methodLabel(m); got != m {
			t.Errorf("methodLabel(%s) = %s, want it kept", m, got)
		}
	}
	for _, m := range []string{"get", "PROPFIND", strings.Repeat("X", 100)} {
		if got := methodLabel(m); got != "OTHER" {
			t.Errorf("methodLabel(%s) = %s, want OTHER", m, got)
		}
	}
}

// containsLine reports whether body has line as a whole line.
func containsLine(body, line string) bool {
	for l := range strings.Lines(body) {
		if strings.TrimSuffix(l, "\n") == line {
			return true
		}
	}
	return false
}
