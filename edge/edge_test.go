package edge

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lintel-id/lintel/internal/clock"
)

func TestNewValidatesConfig(t *testing.T) {
	full := func() Config {
		return newTestConfig(&fakePinger{}, &logBuffer{}, prometheus.NewRegistry(), clock.NewFake(testStart))
	}
	tests := []struct {
		name     string
		edit     func(*Config)
		wantName []string // field names the error must mention; none means success
	}{
		{"accepts a complete config", func(*Config) {}, nil},
		{"accepts an empty version", func(c *Config) { c.Version = "" }, nil},
		{"names a missing store", func(c *Config) { c.Store = nil }, []string{"Config.Store"}},
		{"names a missing logger", func(c *Config) { c.Logger = nil }, []string{"Config.Logger"}},
		{"names a missing registry", func(c *Config) { c.Registry = nil }, []string{"Config.Registry"}},
		{"names a missing clock", func(c *Config) { c.Clock = nil }, []string{"Config.Clock"}},
		{"names every missing dependency at once", func(c *Config) { *c = Config{} },
			[]string{"Config.Store", "Config.Logger", "Config.Registry", "Config.Clock"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := full()
			tt.edit(&cfg)
			h, err := New(cfg)
			if len(tt.wantName) == 0 {
				if err != nil || h == nil {
					t.Fatalf("New = %v, %v; want a handler", h, err)
				}
				return
			}
			if err == nil {
				t.Fatal("New succeeded; want an error")
			}
			for _, name := range tt.wantName {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not name %s", err, name)
				}
			}
		})
	}
}

func TestNewRefusesARegistryAlreadyInUse(t *testing.T) {
	te := newTestEdge(t)
	cfg := newTestConfig(&fakePinger{}, &logBuffer{}, te.reg, te.clock)
	if _, err := New(cfg); err == nil {
		t.Fatal("second New on the same registry succeeded; want an error")
	}
	// The failed New must leave the first edge's metrics in place.
	te.get(t, "/healthz")
	if body := te.scrape(t); !strings.Contains(body, `lintel_http_requests_total{code="200",method="GET",route="GET /healthz"} 1`) {
		t.Errorf("first edge's metrics lost after a failed New:\n%s", body)
	}
}

func TestUnknownPathsGetNotFound(t *testing.T) {
	te := newTestEdge(t)
	tests := []struct {
		name   string
		method string
		target string
		want   int
	}{
		{"unknown path is 404", http.MethodGet, "/nope", http.StatusNotFound},
		{"wrong method on a known path is 405", http.MethodPost, "/healthz", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			if w := te.do(t, r); w.Code != tt.want {
				t.Errorf("%s %s = %d, want %d", tt.method, tt.target, w.Code, tt.want)
			}
		})
	}
}

func TestServesOverARealConnection(t *testing.T) {
	te := newTestEdge(t)
	srv := httptest.NewServer(te.handler)
	t.Cleanup(srv.Close)

	tests := []struct {
		name     string
		path     string
		wantCode int
	}{
		{"healthz", "/healthz", http.StatusOK},
		{"readyz", "/readyz", http.StatusOK},
		{"metrics", "/metrics", http.StatusOK},
		{"unknown path", "/nope", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := srv.Client().Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			_, _ = io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != tt.wantCode {
				t.Errorf("GET %s = %d, want %d", tt.path, resp.StatusCode, tt.wantCode)
			}
			if resp.Header.Get(requestIDHeader) == "" {
				t.Errorf("GET %s: no X-Request-Id", tt.path)
			}
		})
	}
}
