package edge

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/lintel-id/lintel/edge/assets"
	"github.com/lintel-id/lintel/themes"
)

// studioFiles builds the real asset set once per test: brotli at its
// best takes a while.
func studioFiles(t *testing.T) *fileSet {
	t.Helper()
	files, err := newPageAssets()
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// getStudio renders /studio with files and parses it.
func getStudio(t *testing.T, files *fileSet, method string) (*httptest.ResponseRecorder, *html.Node) {
	t.Helper()
	rec := httptest.NewRecorder()
	studioHandler(files).ServeHTTP(rec, httptest.NewRequest(method, "/studio", nil))
	doc, err := html.Parse(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	return rec, doc
}

func studioAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// elements returns every element of doc for which keep is true.
func studioElements(doc *html.Node, keep func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && keep(n) {
			out = append(out, n)
		}
	}
	return out
}

var studioNonce = regexp.MustCompile(`script-src 'nonce-([A-Za-z0-9_-]{20,})' 'strict-dynamic';`)

func TestStudioHeaders(t *testing.T) {
	files := studioFiles(t)
	rec, _ := getStudio(t, files, http.MethodGet)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	csp := rec.Header().Get("Content-Security-Policy")
	m := studioNonce.FindStringSubmatch(csp)
	if m == nil {
		t.Fatalf("CSP has no nonce: %q", csp)
	}
	tests := []struct {
		name, header, want string
	}{
		{"allows exactly the brief's policy", "Content-Security-Policy", "default-src 'none'; script-src 'nonce-" + m[1] + "' 'strict-dynamic'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"},
		{"is HTML", "Content-Type", "text/html; charset=utf-8"},
		{"forbids sniffing", "X-Content-Type-Options", "nosniff"},
		{"sends no referrer", "Referrer-Policy", "no-referrer"},
		{"is never cached", "Cache-Control", "no-store"},
		{"is never framed", "X-Frame-Options", "DENY"},
		{"keeps its window to itself", "Cross-Origin-Opener-Policy", "same-origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rec.Header().Get(tt.header); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
	t.Run("allows nothing unsafe", func(t *testing.T) {
		if strings.Contains(csp, "unsafe-") {
			t.Errorf("CSP %q", csp)
		}
	})
	t.Run("draws a fresh nonce per response", func(t *testing.T) {
		again, _ := getStudio(t, files, http.MethodGet)
		if again.Header().Get("Content-Security-Policy") == csp {
			t.Error("two responses share a nonce")
		}
	})
	t.Run("answers HEAD with the headers and no body", func(t *testing.T) {
		head, _ := getStudio(t, files, http.MethodHead)
		if head.Body.Len() != 0 || !studioNonce.MatchString(head.Header().Get("Content-Security-Policy")) {
			t.Errorf("HEAD: %d bytes, CSP %q", head.Body.Len(), head.Header().Get("Content-Security-Policy"))
		}
	})
}

func TestStudioPage(t *testing.T) {
	files := studioFiles(t)
	rec, doc := getStudio(t, files, http.MethodGet)
	nonce := studioNonce.FindStringSubmatch(rec.Header().Get("Content-Security-Policy"))[1]
	byTag := func(tag string) []*html.Node {
		return studioElements(doc, func(n *html.Node) bool { return n.Data == tag })
	}

	t.Run("loads only studio.js, by its hashed URL and with the nonce", func(t *testing.T) {
		scripts := byTag("script")
		if len(scripts) != 1 {
			t.Fatalf("%d scripts", len(scripts))
		}
		src, _ := studioAttr(scripts[0], "src")
		got, _ := studioAttr(scripts[0], "nonce")
		if src != files.URL("studio.js") || src == assetsPrefix+"studio.js" || got != nonce {
			t.Errorf("script src %q nonce %q, want %q nonce %q", src, got, files.URL("studio.js"), nonce)
		}
		if !files.has(strings.TrimPrefix(src, assetsPrefix)) {
			t.Errorf("the asset set does not serve %s", src)
		}
	})
	t.Run("styles only with studio.css, by its hashed URL", func(t *testing.T) {
		links := byTag("link")
		if len(links) != 1 {
			t.Fatalf("%d links", len(links))
		}
		href, _ := studioAttr(links[0], "href")
		if href != files.URL("studio.css") || !files.has(strings.TrimPrefix(href, assetsPrefix)) {
			t.Errorf("stylesheet %q, want %q", href, files.URL("studio.css"))
		}
		if n := len(byTag("style")) + len(studioElements(doc, func(n *html.Node) bool { _, ok := studioAttr(n, "style"); return ok })); n != 0 {
			t.Errorf("%d inline styles; the CSP would block them", n)
		}
	})
	t.Run("gives every design token a labelled control", func(t *testing.T) {
		labels := map[string]bool{}
		for _, l := range byTag("label") {
			if f, ok := studioAttr(l, "for"); ok {
				labels[f] = true
			}
		}
		for _, d := range themes.Defs() {
			controls := studioElements(doc, func(n *html.Node) bool { v, ok := studioAttr(n, "data-token"); return ok && v == d.Name })
			if len(controls) != 1 {
				t.Errorf("token %s: %d controls", d.Name, len(controls))
				continue
			}
			id, _ := studioAttr(controls[0], "id")
			if !labels[id] {
				t.Errorf("token %s: control %q has no label", d.Name, id)
			}
			if kind, _ := studioAttr(controls[0], "data-kind"); kind != d.Kind.String() {
				t.Errorf("token %s: control of kind %q, want %q", d.Name, kind, d.Kind)
			}
		}
	})
	t.Run("edits a colour with a picker and a hex field", func(t *testing.T) {
		for _, d := range themes.Defs() {
			if d.Kind != themes.KindColor {
				continue
			}
			pick := studioElements(doc, func(n *html.Node) bool { v, _ := studioAttr(n, "data-pick"); return v == d.Name })
			if len(pick) != 1 {
				t.Errorf("token %s: %d pickers", d.Name, len(pick))
				continue
			}
			if typ, _ := studioAttr(pick[0], "type"); typ != "color" {
				t.Errorf("token %s: picker of type %q", d.Name, typ)
			}
		}
	})
	t.Run("labels every form control", func(t *testing.T) {
		labels := map[string]bool{}
		for _, l := range byTag("label") {
			f, _ := studioAttr(l, "for")
			labels[f] = true
		}
		for _, n := range studioElements(doc, func(n *html.Node) bool {
			return n.Data == "input" || n.Data == "select" || n.Data == "textarea"
		}) {
			id, _ := studioAttr(n, "id")
			_, named := studioAttr(n, "aria-label")
			if !named && (id == "" || !labels[id]) {
				t.Errorf("<%s id=%q> has no label", n.Data, id)
			}
		}
	})
	t.Run("offers every built-in base theme", func(t *testing.T) {
		base := studioElements(doc, func(n *html.Node) bool { id, _ := studioAttr(n, "id"); return id == "st-base" })
		if len(base) != 1 {
			t.Fatal("no base select")
		}
		var got []string
		for n := range base[0].Descendants() {
			if n.Type == html.ElementNode && n.Data == "option" {
				v, _ := studioAttr(n, "value")
				got = append(got, v)
			}
		}
		want := append([]string{""}, themes.BuiltinNames()...)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("base options %q, want %q", got, want)
		}
	})
	t.Run("has landmarks and a live status", func(t *testing.T) {
		for _, tag := range []string{"header", "main"} {
			if len(byTag(tag)) != 1 {
				t.Errorf("%d <%s>", len(byTag(tag)), tag)
			}
		}
		live := studioElements(doc, func(n *html.Node) bool { v, _ := studioAttr(n, "aria-live"); return v == "polite" })
		if len(live) == 0 {
			t.Error("no aria-live region")
		}
	})
}

func TestStudioScript(t *testing.T) {
	js, err := fs.ReadFile(assets.FS(), "studio.js")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, banned string }{
		{"builds no markup from strings", "innerHTML"},
		{"builds no markup next to elements", "insertAdjacentHTML"},
		{"evaluates no code", "eval("},
		{"compiles no functions", "new Function"},
		{"writes no document", "document.write"},
		{"sets no style attribute", `"style"`},
		{"passes no style attribute to el", `style:`},
		{"writes no CSS text", `cssText`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(string(js), tt.banned) {
				t.Errorf("studio.js contains %q", tt.banned)
			}
		})
	}
	t.Run("stays small", func(t *testing.T) {
		if n := strings.Count(string(js), "\n"); n > 650 {
			t.Errorf("studio.js has %d lines", n)
		}
	})
}
