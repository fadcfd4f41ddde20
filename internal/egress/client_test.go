package egress_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/egress"
)

// redirectTo answers every request with a 302 to target.
func redirectTo(target func() string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target(), http.StatusFound)
	}
}

// redirectLoop redirects /n to /n+1, forever when limit is 0, else until
// n reaches limit, which answers 200.
func redirectLoop(limit int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if limit > 0 && n >= limit {
			return
		}
		http.Redirect(w, r, "/"+strconv.Itoa(n+1), http.StatusFound)
	}
}

var loopback8 = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

func TestClientRedirects(t *testing.T) {
	other := startServer(t, "127.0.0.2:0", false, func(w http.ResponseWriter, r *http.Request) {})
	plain := startServer(t, "127.0.0.1:0", false, func(w http.ResponseWriter, r *http.Request) {})
	tlsTarget := startServer(t, "127.0.0.1:0", true, func(w http.ResponseWriter, r *http.Request) {})
	roots := x509.NewCertPool()
	roots.AddCert(tlsTarget.Certificate())

	tests := []struct {
		name         string
		allow        []netip.Prefix
		maxRedirects int
		tls          bool
		handler      http.HandlerFunc
		wantErr      error
		wantStatus   int
		wantRequests int32 // requests the first server sees
		target       *countingServer
		targetSees   int32 // requests the redirect target sees
	}{
		{
			name: "refuses a redirect to an address outside the allowlist", allow: loopback4,
			handler: redirectTo(func() string { return other.URL }),
			wantErr: egress.ErrForbidden, wantRequests: 1, target: other, targetSees: 0,
		},
		{
			name: "follows the same redirect when the allowlist covers it", allow: loopback8,
			handler:    redirectTo(func() string { return other.URL }),
			wantStatus: http.StatusOK, wantRequests: 1, target: other, targetSees: 1,
		},
		{
			name: "refuses a redirect from https to http", allow: loopback4, tls: true,
			handler: redirectTo(func() string { return plain.URL }),
			wantErr: egress.ErrForbidden, wantRequests: 1, target: plain, targetSees: 0,
		},
		{
			name: "follows a redirect from https to https", allow: loopback4, tls: true,
			handler:    redirectTo(func() string { return tlsTarget.URL }),
			wantStatus: http.StatusOK, wantRequests: 1, target: tlsTarget, targetSees: 1,
		},
		{
			name: "follows a redirect from http to https", allow: loopback4,
			handler:    redirectTo(func() string { return tlsTarget.URL }),
			wantStatus: http.StatusOK, wantRequests: 1, target: tlsTarget, targetSees: 1,
		},
		{
			name: "refuses a redirect to another scheme", allow: loopback4,
			handler: redirectTo(func() string { return "ftp://127.0.0.1/x" }),
			wantErr: egress.ErrForbidden, wantRequests: 1,
		},
		{
			name: "refuses more redirects than MaxRedirects", allow: loopback4, maxRedirects: 2,
			handler: redirectLoop(0),
			wantErr: egress.ErrForbidden, wantRequests: 3,
		},
		{
			name: "follows exactly MaxRedirects redirects", allow: loopback4, maxRedirects: 2,
			handler:    redirectLoop(2),
			wantStatus: http.StatusOK, wantRequests: 3,
		},
		{
			name: "follows five redirects by default", allow: loopback4,
			handler: redirectLoop(0),
			wantErr: egress.ErrForbidden, wantRequests: 6,
		},
		{
			name: "returns the redirect itself when MaxRedirects is negative", allow: loopback4, maxRedirects: -1,
			handler:    redirectLoop(0),
			wantStatus: http.StatusFound, wantRequests: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before int32
			if tt.target != nil {
				before = tt.target.requests.Load()
			}
			first := startServer(t, "127.0.0.1:0", tt.tls, tt.handler)
			d := egress.New(egress.Options{
				Allow:        tt.allow,
				MaxRedirects: tt.maxRedirects,
				TLS:          &tls.Config{RootCAs: roots},
			})
			resp, err := d.Client().Get(first.URL + "/0")
			if err == nil {
				resp.Body.Close()
			}
			switch {
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			case tt.wantErr == nil && err != nil:
				t.Fatalf("err = %v, want none", err)
			case tt.wantErr == nil && resp.StatusCode != tt.wantStatus:
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if n := first.requests.Load(); n != tt.wantRequests {
				t.Errorf("first server saw %d requests, want %d", n, tt.wantRequests)
			}
			if tt.target != nil {
				if n := tt.target.requests.Load() - before; n != tt.targetSees {
					t.Errorf("redirect target saw %d requests, want %d", n, tt.targetSees)
				}
			}
		})
	}
}
