package autotls_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHTTPHandler(t *testing.T) {
	d := newFakeDomains("login.acme.test")
	tests := []struct {
		name     string
		tlsPort  int
		public   int // Config.PublicTLSPort
		next     http.Handler
		target   string // request target
		host     string // Host header, when not the target's
		wantCode int
		wantLoc  string
	}{
		{
			name: "redirects an allowed host to https keeping path and query", tlsPort: 443,
			target: "http://login.acme.test/oauth2/v1/authorize?client_id=a&state=x%20y", wantCode: http.StatusPermanentRedirect,
			wantLoc: "https://login.acme.test/oauth2/v1/authorize?client_id=a&state=x%20y",
		},
		{
			name: "names the TLS port when it is not 443", tlsPort: 8443,
			target: "http://login.acme.test/signin", wantCode: http.StatusPermanentRedirect,
			wantLoc: "https://login.acme.test:8443/signin",
		},
		{
			name: "names the public port when the TLS port is forwarded", tlsPort: 8443, public: 443,
			target: "http://login.acme.test/signin", wantCode: http.StatusPermanentRedirect,
			wantLoc: "https://login.acme.test/signin",
		},
		{
			name: "redirects a Host with a port and upper case to the canonical host", tlsPort: 443,
			target: "/x", host: "LOGIN.acme.test:80", wantCode: http.StatusPermanentRedirect,
			wantLoc: "https://login.acme.test/x",
		},
		{
			name: "redirects a configured host without asking Domains", tlsPort: 443,
			target: "http://id.lintel.test/", wantCode: http.StatusPermanentRedirect,
			wantLoc: "https://id.lintel.test/",
		},
		{
			name: "keeps a path that looks like another host on our host", tlsPort: 443,
			target: "//evil.test/x", host: "login.acme.test", wantCode: http.StatusPermanentRedirect,
			wantLoc: "https://login.acme.test//evil.test/x",
		},
		{
			name: "answers 404 for an unknown host", tlsPort: 443,
			target: "http://evil.test/", wantCode: http.StatusNotFound,
		},
		{
			name: "answers 404 for an IP address", tlsPort: 443,
			target: "http://192.0.2.1/", wantCode: http.StatusNotFound,
		},
		{
			name: "answers 404 for an empty Host", tlsPort: 443,
			target: "/", host: " ", wantCode: http.StatusNotFound,
		},
		{
			name: "answers 404 for a challenge nobody started", tlsPort: 443,
			target: "http://login.acme.test/.well-known/acme-challenge/dG9rZW4", wantCode: http.StatusNotFound,
		},
		{
			name: "passes an unknown host to next", tlsPort: 443,
			next:   http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }),
			target: "http://192.0.2.1/healthz", wantCode: http.StatusTeapot,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := baseConfig(t, d, "https://ca.invalid/dir")
			cfg.TLSPort, cfg.PublicTLSPort = tc.tlsPort, tc.public
			cfg.Hosts = []string{"id.lintel.test"}
			m := newManager(t, cfg)

			r := httptest.NewRequest(http.MethodGet, tc.target, nil)
			if tc.host != "" {
				r.Host = tc.host
			}
			w := httptest.NewRecorder()
			m.HTTPHandler(tc.next).ServeHTTP(w, r)
			if w.Code != tc.wantCode {
				t.Fatalf("status %d, want %d", w.Code, tc.wantCode)
			}
			if got := w.Header().Get("Location"); got != tc.wantLoc {
				t.Fatalf("Location %q, want %q", got, tc.wantLoc)
			}
		})
	}
	if n := d.timesAsked("id.lintel.test"); n != 0 {
		t.Errorf("Domains was asked about a configured host %d times", n)
	}
	if n := d.timesAsked("192.0.2.1"); n != 0 {
		t.Errorf("Domains was asked about an IP address %d times", n)
	}
}
