package emailtemplates

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// htmlDoc is what the tests read from a rendered HTML body.
type htmlDoc struct {
	lang, dir string              // of <html>
	title     string              // text of <title>
	preheader string              // text of the first element of <body>, if hidden
	hrefs     []string            // every href, unescaped
	texts     []string            // every text node, unescaped and trimmed
	scripts   int                 // <script> elements
	images    []map[string]string // attributes of every <img>
	meta      map[string]string   // content of every <meta name>
	problems  []string            // what makes it unfriendly to email clients
}

// isVoid tells whether an element has no end tag.
func isVoid(name string) bool {
	switch name {
	case "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr":
		return true
	}
	return false
}

// parseHTML tokenizes an HTML body and records what tests check.
func parseHTML(t *testing.T, src string) htmlDoc {
	t.Helper()
	d := htmlDoc{meta: map[string]string{}}
	z := html.NewTokenizer(strings.NewReader(src))
	var stack []string
	inBody := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if len(stack) > 0 {
				d.problems = append(d.problems, "unclosed <"+strings.Join(stack, "> <")+">")
			}
			return d
		case html.TextToken:
			text := strings.TrimSpace(string(z.Text()))
			if text == "" {
				continue
			}
			d.texts = append(d.texts, text)
			if len(stack) > 0 {
				switch stack[len(stack)-1] {
				case "title":
					d.title = text
				case "div":
					if len(stack) == 3 && stack[1] == "body" {
						d.preheader = text
					}
				}
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			tok := z.Token()
			name := tok.Data
			if tt == html.EndTagToken {
				if len(stack) == 0 || stack[len(stack)-1] != name {
					d.problems = append(d.problems, "mismatched </"+name+">")
					continue
				}
				stack = stack[:len(stack)-1]
				continue
			}
			attrs := map[string]string{}
			for _, a := range tok.Attr {
				attrs[a.Key] = a.Val
				switch {
				case strings.HasPrefix(a.Key, "on"):
					d.problems = append(d.problems, "event handler "+a.Key)
				case a.Key == "src" && name == "img":
					// The brand's logo: TestThemes checks it is the only image.
				case a.Key == "src" || a.Key == "srcset" || a.Key == "background" || a.Key == "action":
					d.problems = append(d.problems, "external resource "+a.Key)
				case a.Key == "class" || a.Key == "id":
					d.problems = append(d.problems, "styling that relies on a stylesheet: "+a.Key)
				case a.Key == "href":
					d.hrefs = append(d.hrefs, a.Val)
				case a.Key == "style" && strings.Contains(a.Val, "url("):
					d.problems = append(d.problems, "url() in a style")
				}
			}
			switch name {
			case "script":
				d.scripts++
				d.problems = append(d.problems, "<script>")
			case "img":
				d.images = append(d.images, attrs)
			case "style", "link", "iframe", "object", "embed", "form", "base", "svg", "video", "audio":
				d.problems = append(d.problems, "<"+name+">")
			case "meta":
				if _, ok := attrs["http-equiv"]; ok {
					d.problems = append(d.problems, "<meta http-equiv>")
				}
				if n, ok := attrs["name"]; ok {
					d.meta[n] = attrs["content"]
				}
			case "html":
				d.lang, d.dir = attrs["lang"], attrs["dir"]
			case "body":
				inBody = true
			case "table":
				if attrs["role"] != "presentation" {
					d.problems = append(d.problems, `<table> without role="presentation"`)
				}
			case "div":
				if inBody && len(stack) == 2 && !strings.Contains(attrs["style"], "display:none") {
					d.problems = append(d.problems, "a visible <div> where the preheader goes")
				}
			}
			// tbody: the HTML parser behind the CSS inliner adds it.
			if inBody && name != "br" && name != "tr" && name != "tbody" && attrs["style"] == "" {
				d.problems = append(d.problems, "<"+name+"> without an inline style")
			}
			if tt == html.StartTagToken && !isVoid(name) {
				stack = append(stack, name)
			}
		}
	}
}

// TestHTMLIsEmailFriendly checks every HTML body against what email
// clients support: table layout marked presentational, inline styles
// only, no scripts, stylesheets or other external resources, no image
// but the theme's logo, a hidden preheader, a title, and the language
// and direction on <html>; in every sample theme.
func TestHTMLIsEmailFriendly(t *testing.T) {
	base := mustNew(t)
	for name, theme := range sampleThemesByName() {
		s := base.With(theme, Overrides{})
		for _, lang := range testLanguages(s) {
			for _, k := range Kinds() {
				for i, v := range samples(k) {
					if i > 0 && !everySample(lang) {
						break
					}
					r, err := renderView(s, lang, v)
					if err != nil {
						t.Fatal(err)
					}
					checkFriendly(t, fmt.Sprintf("%s %s sample %d, %s theme", lang, k, i, name), lang, r.HTML, theme)
				}
			}
		}
	}
}

// sampleThemesByName are the sample themes, by a name for test output.
func sampleThemesByName() map[string]Theme {
	return map[string]Theme{"default": DefaultTheme(), "light": sampleBrandTheme(), "dark": sampleDarkTheme()}
}

// checkFriendly asserts what TestHTMLIsEmailFriendly checks of one
// HTML body in language lang, rendered with theme.
func checkFriendly(t *testing.T, what, lang, body string, theme Theme) {
	t.Helper()
	d := parseHTML(t, body)
	if !strings.HasPrefix(body, "<!DOCTYPE html>") {
		t.Errorf("%s: no doctype", what)
	}
	if d.lang != lang || (d.dir != "ltr" && d.dir != "rtl") {
		t.Errorf("%s: <html lang=%q dir=%q>", what, d.lang, d.dir)
	}
	if d.title == "" {
		t.Errorf("%s: no title", what)
	}
	if d.preheader == "" {
		t.Errorf("%s: no preheader", what)
	}
	for _, p := range d.problems {
		t.Errorf("%s: %s", what, p)
	}
	switch {
	case theme.Logo == "" && len(d.images) > 0:
		t.Errorf("%s: images without a logo: %v", what, d.images)
	case theme.Logo != "" && len(d.images) != 1:
		t.Errorf("%s: %d images, want the logo only", what, len(d.images))
	case theme.Logo != "":
		img := d.images[0]
		if img["src"] != theme.Logo || img["alt"] != theme.LogoAlt || img["height"] == "" || !strings.Contains(img["style"], "max-height:48px") {
			t.Errorf("%s: logo %v", what, img)
		}
	}
	scheme := "light"
	if theme.Dark {
		scheme = "dark"
	}
	if d.meta["color-scheme"] != scheme || (theme.Dark != (d.meta["supported-color-schemes"] == "dark")) {
		t.Errorf("%s: colour scheme meta tags %v, want %s", what, d.meta, scheme)
	}
}

// The checker itself finds what it looks for.
func TestParseHTMLFindsProblems(t *testing.T) {
	d := parseHTML(t, `<!DOCTYPE html><html lang="en" dir="ltr"><head><style>p{}</style><title>T</title></head>`+
		`<body style="x"><div style="color:red">visible</div><table style="x"><tr><td style="x">`+
		`<img style="x" src="https://tracker.example/p.gif"><iframe style="x" src="https://x.example/"></iframe><p class="c" style="x" onclick="x()">a</p><script style="x">x()</script>`+
		`<span>no style</span><a style="background:url(https://x.example/)" href="https://a.example/?a=1&amp;b=2">l</a></td></tr></table></body>`)
	want := []string{
		"<style>", `a visible <div> where the preheader goes`, `<table> without role="presentation"`,
		"<iframe>", "external resource src", "styling that relies on a stylesheet: class", "event handler onclick",
		"<script>", "<span> without an inline style", "url() in a style", "unclosed <html>",
	}
	for _, w := range want {
		found := false
		for _, p := range d.problems {
			found = found || p == w
		}
		if !found {
			t.Errorf("problem %q not found in %q", w, d.problems)
		}
	}
	if len(d.hrefs) != 1 || d.hrefs[0] != "https://a.example/?a=1&b=2" || d.title != "T" || d.scripts != 1 {
		t.Errorf("hrefs %q, title %q, scripts %d", d.hrefs, d.title, d.scripts)
	}
	if len(d.images) != 1 || d.images[0]["src"] != "https://tracker.example/p.gif" {
		t.Errorf("images %v", d.images)
	}
}
