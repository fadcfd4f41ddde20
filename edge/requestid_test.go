package edge

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/useragent"
)

func TestRequestIDs(t *testing.T) {
	idFormat := regexp.MustCompile(`^[A-Z2-7]{26}$`) // 130 bits of base32 (RFC 4648)
	tests := []struct {
		name  string
		check func(t *testing.T, te *testEdge)
	}{
		{"every response carries a well-formed id", func(t *testing.T, te *testEdge) {
			for _, target := range []string{"/healthz", "/readyz", "/metrics", "/no-such-page"} {
				id := te.get(t, target).Header().Get(requestIDHeader)
				if !idFormat.MatchString(id) {
					t.Errorf("GET %s: X-Request-Id = %q, want 26 base32 characters", target, id)
				}
			}
		}},
		{"ids are unique", func(t *testing.T, te *testEdge) {
			seen := make(map[string]bool)
			for range 200 {
				id := te.get(t, "/healthz").Header().Get(requestIDHeader)
				if seen[id] {
					t.Fatalf("id %q given twice", id)
				}
				seen[id] = true
			}
		}},
		{"an inbound id is not echoed as ours", func(t *testing.T, te *testEdge) {
			r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			r.Header.Set(requestIDHeader, "FORGED-ID-1")
			w := te.do(t, r)
			if got := w.Header().Get(requestIDHeader); got == "FORGED-ID-1" || !idFormat.MatchString(got) {
				t.Errorf("X-Request-Id = %q, want a fresh id of our own", got)
			}
			if n := len(w.Header().Values(requestIDHeader)); n != 1 {
				t.Errorf("response has %d X-Request-Id headers, want 1", n)
			}
			for _, rec := range te.logs.withMsg(t, "http request") {
				if rec["request_id"] == "FORGED-ID-1" {
					t.Error("access log uses the inbound id as request_id")
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, newTestEdge(t))
		})
	}
}

func TestRequestIDIsInTheHandlerContext(t *testing.T) {
	var seen string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /id", func(w http.ResponseWriter, r *http.Request) {
		seen = RequestID(r.Context())
	})
	te := newTestWrapped(t, mux)
	w := te.get(t, "/id")
	if seen == "" || seen != w.Header().Get(requestIDHeader) {
		t.Errorf("RequestID in handler = %q, response header = %q; want the same non-empty id", seen, w.Header().Get(requestIDHeader))
	}
}

func TestUserAgentIsInTheHandlerContext(t *testing.T) {
	var seen string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ua", func(w http.ResponseWriter, r *http.Request) {
		seen = useragent.From(r.Context())
	})
	te := newTestWrapped(t, mux)
	r := httptest.NewRequest(http.MethodGet, "/ua", nil)
	r.Header.Set("User-Agent", "Agent/1.0")
	te.do(t, r)
	if seen != "Agent/1.0" {
		t.Errorf("User-Agent in handler = %q, want the request's", seen)
	}
}

func TestRequestIDOutsideAnEdgeRequestIsEmpty(t *testing.T) {
	if got := RequestID(context.Background()); got != "" {
		t.Errorf("RequestID(background) = %q, want empty", got)
	}
}

func TestUpstreamRequestIDIsLoggedOnlyWhenSafe(t *testing.T) {
	tests := []struct {
		name    string
		inbound string
		want    string // "" means not logged
	}{
		{"keeps a plain id", "req-01.AB_cd", "req-01.AB_cd"},
		{"keeps an id of exactly 64 characters", strings.Repeat("a", 64), strings.Repeat("a", 64)},
		{"drops an id over 64 characters", strings.Repeat("a", 65), ""},
		{"drops an id with a space", "abc def", ""},
		{"drops an id with a newline", "abc\nlevel=ERROR msg=forged", ""},
		{"drops an id with quotes", `abc"def`, ""},
		{"drops an id with non-ASCII letters", "idé", ""},
		{"logs nothing when there is no inbound id", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := newTestEdge(t)
			r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			if tt.inbound != "" {
				r.Header[requestIDHeader] = []string{tt.inbound}
			}
			te.do(t, r)
			lines := te.logs.withMsg(t, "http request")
			if len(lines) != 1 {
				t.Fatalf("got %d access log lines, want 1", len(lines))
			}
			got, present := lines[0]["upstream_request_id"]
			switch {
			case tt.want == "" && present:
				t.Errorf("upstream_request_id = %q logged, want it dropped", got)
			case tt.want != "" && got != tt.want:
				t.Errorf("upstream_request_id = %v, want %q", got, tt.want)
			}
		})
	}
}
