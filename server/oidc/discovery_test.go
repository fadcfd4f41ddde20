package oidc_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update after checking):\n got %s\nwant %s", path, got, want)
	}
}

func TestDiscovery(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		t.Run(method, func(t *testing.T) {
			r := httptest.NewRequest(method, w.iss.URL+oidc.PathDiscovery, nil)
			rec := httptest.NewRecorder()
			w.p.Discovery().ServeHTTP(rec, r.WithContext(oidc.WithIssuer(r.Context(), w.iss)))
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
			}
			if rec.Header().Get("Cache-Control") == "" {
				t.Error("discovery without Cache-Control")
			}
			if method == http.MethodHead {
				return
			}
			var doc bytes.Buffer
			if err := json.Indent(&doc, rec.Body.Bytes(), "", "  "); err != nil {
				t.Fatal(err)
			}
			golden(t, "discovery.golden", doc.Bytes())
		})
	}
}

func TestDiscoveryRefusesAnUnknownServer(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	iss := w.iss
	iss.Server = "custom"
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	rec := httptest.NewRecorder()
	w.p.Discovery().ServeHTTP(rec, r.WithContext(oidc.WithIssuer(r.Context(), iss)))
	if rec.Code != http.StatusNotFound {
		t.Errorf("status %d, want 404", rec.Code)
	}
}
