package edge

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/lintel-id/lintel/edge/assets"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/themes"
)

func TestEncodingFollowsQValues(t *testing.T) {
	for _, tc := range []struct{ accept, want string }{
		{"", ""},
		{"gzip", "gzip"},
		{"br", "br"},
		{"gzip, deflate, br, zstd", "br"},
		{"br;q=0, gzip", "gzip"},
		{"br;q=0.5, gzip;q=1", "gzip"},
		{"gzip;q=0.5, br;q=0.5", "br"},
		{"GZIP", "gzip"},
		{"gzip;q=0", ""},
		{"*", "br"},
		{"*;q=0", ""},
		{"br;q=0, *", "gzip"},
		{"identity", ""},
		{"zstd, deflate", ""},
		{"br;q=bogus", "br"},
	} {
		if got := encoding(tc.accept); got != tc.want {
			t.Errorf("Accept-Encoding %q: %q, want %q", tc.accept, got, tc.want)
		}
	}
}

// TestPageAssets follows the pages' references to their static files:
// content-hashed names served for ever, typed, with ETags, in brotli or
// gzip compressed once at start-up; plain names briefly; forged hashes
// not at all.
func TestPageAssets(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	c := w.browser(t)
	fetch := func(t *testing.T, path, acceptEncoding string, header ...string) (int, http.Header, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, w.srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Set by hand, so that the transport neither asks for gzip nor
		// decodes the answer.
		req.Header.Set("Accept-Encoding", acceptEncoding)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		status, h, body := do(t, c, req)
		return status, h, []byte(body)
	}
	_, _, page := get(t, c, w.srv.URL+w.startPage(t, c))
	css := regexp.MustCompile(`<link rel="stylesheet" href="(/assets/lintel\.[0-9a-f]{12}\.css)">`).FindStringSubmatch(page)
	if css == nil {
		t.Fatalf("the page does not reference a hashed stylesheet:\n%s", page)
	}
	_, _, notFound := get(t, c, w.srv.URL+"/no/such/page")
	if !strings.Contains(notFound, css[1]) {
		t.Fatalf("the error page does not reference %s:\n%s", css[1], notFound)
	}
	js := w.handlers(t).assets.URL("passkey.js")

	for _, tc := range []struct {
		name, path, contentType string
	}{
		{"the stylesheet", css[1], "text/css; charset=utf-8"},
		{"a script", js, "text/javascript; charset=utf-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, h, identity := fetch(t, tc.path, "identity")
			if status != http.StatusOK || h.Get("Content-Type") != tc.contentType || h.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
				h.Get("ETag") == "" || h.Get("Vary") != "Accept-Encoding" || h.Get("X-Content-Type-Options") != "nosniff" ||
				h.Get("Content-Encoding") != "" || len(identity) == 0 {
				t.Fatalf("%d %v", status, h)
			}
			for _, enc := range []struct {
				accept, want string
				decode       func(io.Reader) (io.Reader, error)
			}{
				{"br", "br", func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil }},
				{"gzip, deflate, br", "br", func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil }},
				{"gzip", "gzip", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
				{"br;q=0, gzip", "gzip", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
			} {
				status, h, body := fetch(t, tc.path, enc.accept)
				if status != http.StatusOK || h.Get("Content-Encoding") != enc.want || h.Get("Content-Type") != tc.contentType {
					t.Fatalf("Accept-Encoding %q: %d %v", enc.accept, status, h)
				}
				r, err := enc.decode(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, identity) || len(body) >= len(identity) {
					t.Fatalf("%s: %d bytes decode to %d (%v), not the %d of the file", enc.want, len(body), len(got), err, len(identity))
				}
				if again, _, _ := fetch(t, tc.path, enc.accept, "If-None-Match", h.Get("ETag")); again != http.StatusNotModified {
					t.Fatalf("If-None-Match %s: %d", h.Get("ETag"), again)
				}
			}
			plain := regexp.MustCompile(`\.[0-9a-f]{12}\.`).ReplaceAllString(tc.path, ".")
			status, h, body := fetch(t, plain, "")
			if status != http.StatusOK || h.Get("Cache-Control") != "public, max-age=300" || !bytes.Equal(body, identity) {
				t.Fatalf("plain name %s: %d %v", plain, status, h)
			}
		})
	}
	t.Run("a wrong hash is not found", func(t *testing.T) {
		wrong := regexp.MustCompile(`[0-9a-f]{12}`).ReplaceAllString(css[1], "000000000000")
		for _, p := range []string{wrong, "/assets/lintel.css.br", "/assets/embed.go", "/assets/"} {
			if status, h, _ := fetch(t, p, "br"); status != http.StatusNotFound || h.Get("Cache-Control") == hashedCache {
				t.Errorf("%s: %d %v", p, status, h)
			}
		}
	})
}

// TestTokensCSSIsTheLightTheme keeps the stylesheet's default tokens equal
// to the built-in light theme: a page without a theme looks like a page
// with the light one.
func TestTokensCSSIsTheLightTheme(t *testing.T) {
	light, _ := themes.Builtin("light")
	want, err := themes.CSS(light, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := fs.ReadFile(assets.FS(), "tokens.css")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(got), want) {
		t.Fatalf("edge/assets/tokens.css does not end with the light theme's CSS:\n%s", want)
	}
}
