package federation

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestFetchSAMLMetadata(t *testing.T) {
	w := newSAMLWorld(t, storetest.SQLite())
	md, err := xml.Marshal(w.cidp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/metadata":
			rw.Header().Set("Content-Type", "application/samlmetadata+xml")
			_, _ = rw.Write(md)
		case "/garbage":
			_, _ = rw.Write([]byte("<html>not metadata</html>"))
		case "/huge":
			_, _ = rw.Write([]byte(strings.Repeat(" ", MaxSAMLMetadataLen+1)))
		default:
			http.NotFound(rw, r)
		}
	}))
	t.Cleanup(srv.Close)
	got, err := w.svc.FetchSAMLMetadata(context.Background(), srv.URL+"/metadata")
	if err != nil || got != string(md) {
		t.Fatalf("fetch: %v (%d bytes)", err, len(got))
	}
	for _, c := range []struct {
		name, url string
		want      error
	}{
		{"not found", srv.URL + "/missing", ErrUpstream},
		{"not metadata", srv.URL + "/garbage", ErrConfig},
		{"too large", srv.URL + "/huge", ErrConfig},
		{"plain http off loopback", "http://idp.example.com/metadata", ErrConfig},
		{"not a URL", "metadata.xml", ErrConfig},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := w.svc.FetchSAMLMetadata(context.Background(), c.url); !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
		})
	}
}
