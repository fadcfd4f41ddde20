package emailtemplates

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// htmlDoc is what the tests read from a rendered HTML body.
type htmlDoc struct {
	lang, dir string   // of <html>
	title     string   // text of <title>
	preheader string   // text of the first element of <body>, if hidden
	hrefs     []string // every href, unescaped
	texts     []string // every text node, unescaped and trimmed
	scripts   int      // <script> elements
	problems  []string // what makes it unfriendly to email clients
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
	var d htmlDoc
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
			case "style", "link", "img", "iframe", "object", "embed", "form", "base", "svg", "video", "audio":
				d.problems = append(d.problems, "<"+name+">")
			case "meta":
				if _, ok := attrs["http-equiv"]; ok {
					d.problems = append(d.problems, "<meta http-equiv>")
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
			if inBody && name != "br" && name != "tr" && attrs["style"] == "" {
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
// only, no scripts, stylesheets, images or other external resources, a
// hidden preheader, a title, and the language and direction on <html>.
func TestHTMLIsEmailFriendly(t *testing.T) {
	s := mustNew(t)
	for _, lang := range s.Languages() {
		for _, k := range kinds() {
			for i, v := range samples(k) {
				r, err := renderView(s, lang, v)
				if err != nil {
					t.Fatal(err)
				}
				d := parseHTML(t, r.HTML)
				if !strings.HasPrefix(r.HTML, "<!DOCTYPE html>\n") {
					t.Errorf("%s %s sample %d: no doctype", lang, k, i)
				}
				if d.lang != lang || (d.dir != "ltr" && d.dir != "rtl") {
					t.Errorf("%s %s sample %d: <html lang=%q dir=%q>", lang, k, i, d.lang, d.dir)
				}
				if d.title == "" {
					t.Errorf("%s %s sample %d: no title", lang, k, i)
				}
				if d.preheader == "" {
					t.Errorf("%s %s sample %d: no preheader", lang, k, i)
				}
				for _, p := range d.problems {
					t.Errorf("%s %s sample %d: %s", lang, k, i, p)
				}
			}
		}
	}
}

// The checker itself finds what it looks for.
func TestParseHTMLFindsProblems(t *testing.T) {
	d := parseHTML(t, `<!DOCTYPE html><html lang="en" dir="ltr"><head><style>p{}</style><title>T</title></head>`+
		`<body style="x"><div style="color:red">visible</div><table style="x"><tr><td style="x">`+
		`<img style="x" src="https://tracker.example/p.gif"><p class="c" style="x" onclick="x()">a</p><script style="x">x()</script>`+
		`<span>no style</span><a style="background:url(https://x.example/)" href="https://a.example/?a=1&amp;b=2">l</a></td></tr></table></body>`)
	want := []string{
		"<style>", `a visible <div> where the preheader goes`, `<table> without role="presentation"`,
		"<img>", "external resource src", "styling that relies on a stylesheet: class", "event handler onclick",
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
}
