package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	_ "embed"
	"fmt"
	"html"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// The names the browser uses. Chromium maps each to its own loopback
// server (--host-resolver-rules), on port 443 as the browser sees it, so
// that origins have no port, as on the web. Each server has its own
// certificate for its one name, so that Chromium never coalesces their
// HTTP/2 connections: every origin costs its own TLS handshake.
const (
	lintelHost = "login.acme-test.com" // Lintel, through the bench's TLS front
	lintelShop = "shop.acme-test.com"  // the page that embeds Lintel's widget
	oktaShop   = "shop.acme-okta.test" // the page that bundles Okta's widget
	oktaOrgHos = "acme.okta-org.test"  // the Okta org the widget talks to
	issuerPath = "/oauth2/default"     // both issuers' authorization server
	lintelCSP  = "script-src 'self' https://" + lintelHost + " 'wasm-unsafe-eval'; style-src 'self' https://" + lintelHost
)

//go:embed bench.js
var benchJS string

// serveTLS starts an HTTPS server (HTTP/2 and HTTP/1.1) for host on a
// random loopback port, with a self-signed certificate for that name.
func serveTLS(host string, h http.Handler) (*httptest.Server, error) {
	cert, err := selfSigned(host)
	if err != nil {
		return nil, err
	}
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	return srv, nil
}

// selfSigned makes an ECDSA P-256 certificate for host, valid a day.
func selfSigned(host string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// portOf returns the loopback port a test server listens on.
func portOf(srv *httptest.Server) int {
	return srv.Listener.Addr().(*net.TCPAddr).Port
}

// lintelPage is the shop's page: the widget's three lines (the element,
// Lintel's loader, the shop's script, which mounts it), under the
// Content-Security-Policy of issue 12, after bench.js. The client ID
// travels in a data attribute: the CSP allows no inline script.
const lintelPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Shop</title>
<script src="/bench.js" data-wasm></script>
</head>
<body>
<h1>Acme Shop</h1>
<p>Sign in to see your orders.</p>
<div id="signin"></div>
<script src="https://` + lintelHost + `/widget/lintel.js"></script>
<script src="/app.js" data-issuer="https://` + lintelHost + issuerPath + `" data-client-id="{client}"></script>
</body>
</html>
`

const lintelApp = `(() => {
  const d = document.currentScript.dataset;
  window.__bench.mark("app");
  Lintel.mount(document.getElementById("signin"), {
    issuer: d.issuer, clientId: d.clientId, redirectUri: location.origin + "/callback",
    scopes: ["openid", "profile", "email"],
  });
})();
`

// oktaPage is the same shop with Okta's widget as its npm package is
// meant to be used: its CSS in the head, its bundle and the shop's script
// in the body, all served by the shop itself.
const oktaPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Shop</title>
<link rel="stylesheet" href="/okta/` + oktaCSS + `">
<script src="/bench.js"></script>
</head>
<body>
<h1>Acme Shop</h1>
<p>Sign in to see your orders.</p>
<div id="signin"></div>
<script src="/okta/` + oktaJS + `"></script>
<script src="/app.js" data-issuer="https://` + oktaOrgHos + issuerPath + `"></script>
</body>
</html>
`

const oktaApp = `(() => {
  const d = document.currentScript.dataset;
  window.__bench.mark("app");
  const widget = new OktaSignIn({
    issuer: d.issuer, clientId: "0oabenchshop0000000", redirectUri: location.origin + "/callback",
    useInteractionCodeFlow: true, useClassicEngine: false, scopes: ["openid", "profile", "email"],
  });
  widget.showSignIn({el: "#signin"}).catch(() => {});
})();
`

// shopHandler serves a shop page, bench.js and the page's app.js; files
// (Okta's unpacked package) are served under /okta/ from their brotli and
// gzip variants when the browser accepts them.
func shopHandler(page, app string, csp string, files *precompressed) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if csp != "" {
			w.Header().Set("Content-Security-Policy", csp)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = io.WriteString(w, page)
	})
	script := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			_, _ = io.WriteString(w, body)
		}
	}
	mux.HandleFunc("GET /bench.js", script(benchJS))
	mux.HandleFunc("GET /app.js", script(app))
	if files != nil {
		mux.Handle("GET /okta/", http.StripPrefix("/okta/", files))
	}
	return mux
}

// precompressed serves the files under dir with long-lived caching (as
// a CDN or a bundler's hashed names would), from brotli (q11) or gzip
// variants made once, as Lintel's edge serves its widget.
type precompressed struct {
	dir      string
	variants map[string]map[string][]byte // name → encoding → body
}

// newPrecompressed compresses the named files under dir; the others are
// served as they are.
func newPrecompressed(dir string, names ...string) (*precompressed, error) {
	p := &precompressed{dir: dir, variants: map[string]map[string][]byte{}}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n)))
		if err != nil {
			return nil, err
		}
		br, err := brotliSize(b)
		if err != nil {
			return nil, err
		}
		gz, err := gzipBytes(b)
		if err != nil {
			return nil, err
		}
		p.variants[n] = map[string][]byte{"br": br.body, "gzip": gz}
	}
	return p, nil
}

func (p *precompressed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := path.Clean(strings.TrimPrefix(r.URL.Path, "/"))
	if !filepath.IsLocal(name) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("Timing-Allow-Origin", "*")
	v := p.variants[name]
	if v != nil {
		w.Header().Set("Vary", "Accept-Encoding")
		accept := r.Header.Get("Accept-Encoding")
		for _, enc := range []string{"br", "gzip"} {
			if acceptsEncoding(accept, enc) {
				w.Header().Set("Content-Encoding", enc)
				w.Header().Set("Content-Type", mimeOf(name))
				w.Header().Set("Content-Length", fmt.Sprint(len(v[enc])))
				_, _ = w.Write(v[enc])
				return
			}
		}
	}
	w.Header().Set("Content-Type", mimeOf(name))
	http.ServeFile(w, r, filepath.Join(p.dir, filepath.FromSlash(name)))
}

// acceptsEncoding reports whether an Accept-Encoding header lists enc
// (without q=0).
func acceptsEncoding(header, enc string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), enc) {
			return !strings.Contains(strings.ReplaceAll(params, " ", ""), "q=0") || strings.Contains(params, "q=0.")
		}
	}
	return false
}

func mimeOf(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".woff":
		return "font/woff"
	case ".woff2":
		return "font/woff2"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	}
	return "application/octet-stream"
}

// withClient puts the client ID into the Lintel page.
func withClient(page, clientID string) string {
	return strings.ReplaceAll(page, "{client}", html.EscapeString(clientID))
}
