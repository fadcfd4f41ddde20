package locales

import (
	"strconv"
	"testing"
)

// TestCatalogExport checks that a client rendering with the exported
// Catalog (as the widget does) says what Text says: every message, and
// every plural message for counts inside and beyond the precomputed ones.
func TestCatalogExport(t *testing.T) {
	c, err := Load(FS())
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range c.Languages() {
		l := c.Localizer(tag)
		t.Run(l.Lang(), func(t *testing.T) {
			cat := l.Catalog()
			if cat.Lang != l.Lang() || cat.Dir != l.Dir() || cat.Isolate != (l.Dir() == "rtl") {
				t.Fatalf("catalog of %s: lang %q, dir %q, isolate %v", l.Lang(), cat.Lang, cat.Dir, cat.Isolate)
			}
			if len(cat.Messages)+len(cat.Plurals) != len(c.IDs()) {
				t.Fatalf("%d messages and %d plurals, want %d IDs", len(cat.Messages), len(cat.Plurals), len(c.IDs()))
			}
			render := func(text string, params ...string) string {
				tmpl, err := parseTemplate(text)
				if err != nil {
					t.Fatalf("exported template %q: %v", text, err)
				}
				return tmpl.render(cat.Isolate, params)
			}
			for id, text := range cat.Messages {
				if got, want := render(text, "name", "x", "count", "2"), l.Text(id, "name", "x", "count", "2"); got != want {
					t.Errorf("%s: client renders %q, Text %q", id, got, want)
				}
			}
			if len(cat.Plurals) > 0 && len(cat.Counts) < 200 {
				t.Fatalf("%d counts precomputed, want at least 200", len(cat.Counts))
			}
			for id, forms := range cat.Plurals {
				for _, n := range []int{0, 1, 2, 3, 5, 11, 19, 21, 99, 100, 101, 102, 111, 199, 200, 203, 1001, 123456} {
					category := ""
					if n < len(cat.Counts) {
						category = cat.Counts[n]
					} else {
						category = cat.Counts[100+n%100]
					}
					text, ok := forms[category]
					if !ok {
						text = forms["other"]
					}
					count := strconv.Itoa(n)
					if got, want := render(text, "count", count), l.Text(id, "count", count); got != want {
						t.Errorf("%s with count %d: client renders %q, Text %q", id, n, got, want)
					}
				}
			}
		})
	}
}

func TestTemplateString(t *testing.T) {
	for _, s := range []string{"", "plain", "{{literal} and {name}", "{a}{b}", "x {{{count}"} {
		tmpl, err := parseTemplate(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := tmpl.String(); got != s {
			t.Errorf("parse(%q).String() = %q", s, got)
		}
	}
}
