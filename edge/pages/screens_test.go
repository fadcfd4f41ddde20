package pages_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"golang.org/x/net/html"
	"golang.org/x/text/language"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/locales"
	"github.com/lintel-id/lintel/themes"
	"github.com/lintel-id/lintel/themes/pagetemplate"
)

var update = flag.Bool("update", false, "rewrite testdata/screens/*.golden")

// maxPage bounds a rendered screen: a hosted page is small, and a sample
// or a theme that bloats one should show here first.
const maxPage = 64 << 10

// langs are the languages every screen is rendered in: one of each
// direction.
var langs = []string{"en", "ar"}

// customLabels are the custom attributes' names the register screen
// shows as labels: no catalog names them, as in the engine.
var customLabels = []string{"employees", "plan", "newsletter"}

// checked is a localizer that records the message IDs its catalog does
// not have, so a screen that would show a raw ID fails its test.
type checked struct {
	*locales.Localizer
	missing map[string]bool
}

// Text records id when it is unknown, then renders it.
func (c checked) Text(id string, params ...string) string {
	if !c.Has(id) && !slices.Contains(customLabels, id) {
		c.missing[id] = true
	}
	return c.Localizer.Text(id, params...)
}

// localizer returns a checked localizer of lang.
func localizer(t testing.TB, lang string) checked {
	t.Helper()
	cat, err := locales.Load(locales.FS())
	if err != nil {
		t.Fatal(err)
	}
	return checked{Localizer: cat.Localizer(language.Make(lang)), missing: map[string]bool{}}
}

// builtinTheme is the Theme of a built-in theme, as the edge makes it.
func builtinTheme(t *testing.T, name string) pages.Theme {
	t.Helper()
	tokens, ok := themes.Builtin(name)
	if !ok {
		t.Fatalf("no built-in theme %s", name)
	}
	css, err := themes.CSS(tokens, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pages.Theme{CSS: css, Dark: name == "dark"}
}

// samplePage is the page every golden renders with: fixed tokens, the
// assets at their plain names, a brand with a name.
func samplePage(l pages.Localizer, theme pages.Theme) pages.Page {
	return pages.Page{L: l, CSRF: "CSRF", Nonce: "NONCE", Brand: pages.Brand{Name: "Acme Travel"}, Theme: theme}
}

// render renders c and checks what every screen must be: within
// maxPage, HTML with exactly one <main>, and no message ID shown raw.
func render(t *testing.T, l checked, c templ.Component) string {
	t.Helper()
	var b bytes.Buffer
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if b.Len() > maxPage {
		t.Errorf("%d bytes, more than %d", b.Len(), maxPage)
	}
	doc, err := html.Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("does not parse: %v", err)
	}
	if n := len(elements(doc, "main")); n != 1 {
		t.Errorf("%d <main> elements, want 1", n)
	}
	if len(l.missing) > 0 {
		t.Errorf("unknown message IDs shown raw: %v", l.missing)
	}
	return b.String()
}

// elements returns n's descendants named tag, in document order.
func elements(n *html.Node, tag string) []*html.Node {
	var out []*html.Node
	for c := range n.Descendants() {
		if c.Type == html.ElementNode && c.Data == tag {
			out = append(out, c)
		}
	}
	return out
}

// golden compares got, one tag a line, with testdata/screens/name, or
// writes it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	got = strings.ReplaceAll(got, "><", ">\n<") + "\n"
	path := filepath.Join("testdata", "screens", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\n%s", path, firstDiff(got, string(want)))
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return "line " + strconv.Itoa(i+1) + "\n got: " + g[i] + "\nwant: " + w[i]
		}
	}
	return "lengths differ: " + strconv.Itoa(len(g)) + " lines, want " + strconv.Itoa(len(w))
}

// TestScreensInEveryThemeAndLanguage renders every screen in each
// built-in theme, left to right and right to left, against its golden
// file.
func TestScreensInEveryThemeAndLanguage(t *testing.T) {
	for _, theme := range themes.BuiltinNames() {
		th := builtinTheme(t, theme)
		for _, lang := range langs {
			for _, s := range pages.Screens() {
				t.Run(s.Name+"/"+theme+"/"+lang, func(t *testing.T) {
					l := localizer(t, lang)
					got := render(t, l, s.Render(samplePage(l, th)))
					golden(t, s.Name+"."+theme+"."+lang+".golden", got)
				})
			}
		}
	}
}

// TestScreensOnABrandsPage renders two screens with a logo and a favicon,
// on Lintel's page and on the brand's own page template.
func TestScreensOnABrandsPage(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "acme-template.html"))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := pagetemplate.Compile(string(src), []string{"https://cdn.acme.example"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, variant := range []struct {
		name     string
		template *pagetemplate.Template
	}{{"logo", nil}, {"acme", tpl}} {
		th := builtinTheme(t, "light")
		th.Logo, th.Favicon, th.Template = "https://cdn.acme.example/logo.png", "https://cdn.acme.example/favicon.png", variant.template
		for _, name := range []string{"identify", "error-404"} {
			s, ok := pages.ScreenByName(name)
			if !ok {
				t.Fatalf("no screen %s", name)
			}
			for _, lang := range langs {
				t.Run(variant.name+"/"+name+"/"+lang, func(t *testing.T) {
					l := localizer(t, lang)
					got := render(t, l, s.Render(samplePage(l, th)))
					golden(t, name+"."+variant.name+"."+lang+".golden", got)
				})
			}
		}
	}
}
