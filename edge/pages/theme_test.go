package pages_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/themes/pagetemplate"
)

// attr returns n's attribute key, "" when it has none.
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// within returns the elements named tag inside the first element named
// in, or in the whole document when in is "".
func within(doc *html.Node, in, tag string) []*html.Node {
	if in != "" {
		outer := elements(doc, in)
		if len(outer) == 0 {
			return nil
		}
		doc = outer[0]
	}
	return elements(doc, tag)
}

// withAttr returns the nodes whose attribute key is val.
func withAttr(ns []*html.Node, key, val string) []*html.Node {
	var out []*html.Node
	for _, n := range ns {
		if attr(n, key) == val {
			out = append(out, n)
		}
	}
	return out
}

// text is the text inside n.
func text(n *html.Node) string {
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

// compile compiles a page template for a test.
func compile(t *testing.T, src string) *pagetemplate.Template {
	t.Helper()
	tpl, err := pagetemplate.Compile(src, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

const tokens = ":root, :host {\n  --lt-color-primary: #123456;\n}\n"

// TestThemeInTheLayout renders a page with a theme's parts one at a time
// and checks where each lands.
func TestThemeInTheLayout(t *testing.T) {
	everySlot := `<html><head><title>Acme</title><lintel-slot name="head"></lintel-slot></head><body><header><lintel-slot name="logo"></lintel-slot></header><div><lintel-slot name="form"></lintel-slot></div><footer><lintel-slot name="footer"></lintel-slot></footer></body></html>`
	formOnly := `<p>Acme</p><lintel-slot name="form"></lintel-slot>`
	cases := []struct {
		name  string
		theme func(t *testing.T) pages.Theme
		check func(t *testing.T, doc *html.Node)
	}{
		{"the zero theme writes no style, colour scheme, icon or logo", func(*testing.T) pages.Theme { return pages.Theme{} },
			func(t *testing.T, doc *html.Node) {
				if n := len(elements(doc, "style")) + len(withAttr(elements(doc, "meta"), "name", "color-scheme")) +
					len(withAttr(elements(doc, "link"), "rel", "icon")) + len(elements(doc, "img")); n != 0 {
					t.Errorf("%d theme elements", n)
				}
				if b := withAttr(within(doc, "main", "p"), "class", "lt-brand"); len(b) != 1 || text(b[0]) != "Acme Travel" {
					t.Error("the brand's name is not shown")
				}
			}},
		{"tokens go after lintel.css in a style with the nonce", func(*testing.T) pages.Theme { return pages.Theme{CSS: tokens} },
			func(t *testing.T, doc *html.Node) {
				s := elements(doc, "style")
				if len(s) != 1 || text(s[0]) != tokens || attr(s[0], "nonce") != "NONCE" {
					t.Fatalf("style elements: %d", len(s))
				}
				if prev := s[0].PrevSibling; prev == nil || attr(prev, "href") != "/assets/lintel.css" {
					t.Error("the style does not follow lintel.css")
				}
				if m := withAttr(elements(doc, "meta"), "name", "color-scheme"); len(m) != 1 || attr(m[0], "content") != "light" {
					t.Error("a light theme does not say light")
				}
			}},
		{"a CSS that could close its element is not written", func(*testing.T) pages.Theme {
			return pages.Theme{CSS: ":root{}</style><script>alert(1)</script><style>"}
		}, func(t *testing.T, doc *html.Node) {
			if n := len(elements(doc, "style")) + len(elements(doc, "script")); n != 0 {
				t.Errorf("%d style or script elements", n)
			}
		}},
		{"a dark theme says so to the browser", func(*testing.T) pages.Theme { return pages.Theme{CSS: tokens, Dark: true} },
			func(t *testing.T, doc *html.Node) {
				if m := withAttr(elements(doc, "meta"), "name", "color-scheme"); len(m) != 1 || attr(m[0], "content") != "dark" {
					t.Error("no dark color-scheme")
				}
			}},
		{"the logo tops the card and carries the brand's name", func(*testing.T) pages.Theme {
			return pages.Theme{Logo: "https://cdn.acme.example/logo.png", Favicon: "/assets/icon.png"}
		}, func(t *testing.T, doc *html.Node) {
			img := within(doc, "main", "img")
			if len(img) != 1 || attr(img[0], "class") != "lt-logo" || attr(img[0], "alt") != "Acme Travel" || attr(img[0], "src") != "https://cdn.acme.example/logo.png" {
				t.Fatal("no logo in the card")
			}
			if len(withAttr(within(doc, "main", "p"), "class", "lt-brand")) != 0 {
				t.Error("the brand's name is repeated under its logo")
			}
			if l := withAttr(elements(doc, "link"), "rel", "icon"); len(l) != 1 || attr(l[0], "href") != "/assets/icon.png" {
				t.Error("no favicon")
			}
		}},
		{"a brand's page gets Lintel's parts in its slots", func(t *testing.T) pages.Theme {
			return pages.Theme{CSS: tokens, Logo: "/logo.png", Template: compile(t, everySlot)}
		}, func(t *testing.T, doc *html.Node) {
			html := elements(doc, "html")[0]
			if attr(html, "lang") != "ar" || attr(html, "dir") != "rtl" {
				t.Error("the page is not in the person's language")
			}
			if len(withAttr(within(doc, "head", "link"), "href", "/assets/lintel.css")) != 1 || len(within(doc, "head", "style")) != 1 {
				t.Error("Lintel's head elements are not in the head")
			}
			if len(within(doc, "div", "main")) != 1 || len(within(doc, "main", "img")) != 0 {
				t.Error("the card is not in the form slot, or holds the logo")
			}
			if len(within(doc, "header", "img")) != 1 {
				t.Error("the logo is not in its slot")
			}
			if f := withAttr(within(doc, "footer", "p"), "class", "lt-footer"); len(f) != 1 {
				t.Error("no footer line in the footer slot")
			}
		}},
		{"a brand's page without a logo slot shows the logo in the card", func(t *testing.T) pages.Theme {
			return pages.Theme{Logo: "/logo.png", Template: compile(t, formOnly)}
		}, func(t *testing.T, doc *html.Node) {
			if len(within(doc, "main", "img")) != 1 {
				t.Error("the logo is lost")
			}
			if len(elements(doc, "footer"))+len(withAttr(elements(doc, "p"), "class", "lt-footer")) != 0 {
				t.Error("a footer line without a footer slot")
			}
			if len(withAttr(within(doc, "head", "link"), "href", "/assets/lintel.css")) != 1 {
				t.Error("no stylesheet in a page without a head slot")
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := localizer(t, "ar")
			p := samplePage(l, c.theme(t))
			p.Title = "logout.done"
			c.check(t, parseRendered(t, render(t, l, pages.LoggedOutPage(p))))
		})
	}
}

// parseRendered parses a page render checked already.
func parseRendered(t *testing.T, s string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// parsedText is s as the HTML parser reads raw text: line breaks
// normalised, NUL replaced.
func parsedText(s string) string {
	return strings.NewReplacer("\r\n", "\n", "\r", "\n", "\x00", "\ufffd").Replace(s)
}

// FuzzThemeInTheLayout renders a page with any theme strings and checks
// that none of them adds an element: the CSS is written whole in one
// <style> or not at all, URLs stay attribute values.
func FuzzThemeInTheLayout(f *testing.F) {
	f.Add(tokens, "https://cdn.acme.example/logo.png", "/favicon.ico", false)
	f.Add("</style><script>x</script>", `"><script>x</script>`, `javascript:alert(1)`, true)
	f.Add(":root{--x:'</STYLE >'}", "", "", false)
	l := localizer(f, "en").Localizer
	f.Fuzz(func(t *testing.T, css, logo, favicon string, dark bool) {
		p := pages.Page{L: l, Title: "logout.done", Nonce: "NONCE", Brand: pages.Brand{Name: "Acme"},
			Theme: pages.Theme{CSS: css, Logo: logo, Favicon: favicon, Dark: dark}}
		var b bytes.Buffer
		if err := pages.LoggedOutPage(p).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		doc, err := html.Parse(&b)
		if err != nil {
			t.Fatal(err)
		}
		styles := elements(doc, "style")
		switch {
		case len(styles) > 1:
			t.Fatalf("%d style elements", len(styles))
		case len(styles) == 1 && text(styles[0]) != parsedText(css):
			t.Fatalf("style holds %q, not %q", text(styles[0]), css)
		case len(styles) == 0 && css != "" && !strings.Contains(css, "<"):
			t.Fatalf("CSS %q not written", css)
		}
		if n := len(elements(doc, "script")); n != 0 {
			t.Fatalf("%d scripts", n)
		}
		if n := len(elements(doc, "main")); n != 1 {
			t.Fatalf("%d main elements", n)
		}
		if n := len(elements(doc, "img")); (logo != "") != (n == 1) || n > 1 {
			t.Fatalf("%d images for logo %q", n, logo)
		}
	})
}
