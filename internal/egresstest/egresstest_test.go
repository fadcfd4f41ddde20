package egresstest

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestLoopbackReachesAnHTTPTestServer(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	defer srv.Close()
	for name, c := range map[string]*http.Client{"its certificate": Loopback(srv.Certificate()), "the built-in one": Loopback()} {
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTeapot {
			t.Fatalf("%s: status %d", name, resp.StatusCode)
		}
	}
}
