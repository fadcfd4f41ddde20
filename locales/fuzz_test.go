package locales

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// FuzzText renders random templates with random params: parsing either
// refuses the template or yields one that renders without panicking, and
// a few laws hold.
func FuzzText(f *testing.F) {
	for _, seed := range []struct{ tmpl, name, value, count string }{
		{"Hello {name}", "name", "Alice", "1"},
		{"{{name}} {count}", "count", "3", "3"},
		{"{{{", "", "", ""},
		{"{", "x", "{x}", "-0.50"},
		{"}{a}{", "a", "\u2068", "1e3"},
		{"{a_1}{b}", "a_1", "{b}", "99999999999999999999.1"},
		{"مرحبًا {name}", "name", "alice@example.com", "11"},
	} {
		f.Add(seed.tmpl, seed.name, seed.value, seed.count)
	}
	tags := []language.Tag{language.English, language.Arabic, language.Russian, language.MustParse("cy")}
	f.Fuzz(func(t *testing.T, tmpl, name, value, count string) {
		// Escaping any text gives a template that renders back to it.
		esc, err := parseTemplate(escapeTemplate(tmpl))
		if err != nil {
			t.Fatalf("escaped text %q does not parse: %v", tmpl, err)
		}
		if got := esc.render(false, []string{name, value}); got != tmpl {
			t.Fatalf("escaped %q renders as %q", tmpl, got)
		}
		for _, tag := range tags {
			countForm(tag, count) // must not panic
		}
		parsed, err := parseTemplate(tmpl)
		if err != nil {
			return
		}
		for _, isolate := range []bool{false, true} {
			out := parsed.render(isolate, []string{name, value, "count", count, "odd"})
			if utf8.ValidString(tmpl) && utf8.ValidString(value) && utf8.ValidString(count) && !utf8.ValidString(out) {
				t.Fatalf("render(%q) made invalid UTF-8 %q", tmpl, out)
			}
			if !strings.Contains(tmpl, "{") && out != tmpl {
				t.Fatalf("text without braces %q renders as %q", tmpl, out)
			}
		}
		// Without params, rendering and re-parsing reaches a fixed point:
		// every placeholder is left as {name}, every {{ became {.
		if again := parsed.render(false, nil); strings.Count(again, "{") < len(parsed.params()) {
			t.Fatalf("render(%q) lost placeholders: %q", tmpl, again)
		}
	})
}

// FuzzMatch feeds random ui_locales, profile locales and Accept-Language
// headers to Match: it never panics and always answers a catalog language.
func FuzzMatch(f *testing.F) {
	for _, seed := range []string{
		"", "ar", "ar-EG", "en-US,en;q=0.9,ar;q=0.8", "*", "fr;q=0", "pt-BR, pt;q=0.9",
		"en;q=abc", "x-private", "zh-Hant-TW;q=0.5, ,,", "ar-u-nu-latn-ca-islamic", "en;q=1.0000001",
		"i-klingon", "sgn-BE-FR", "de-DE-1996", strings.Repeat("a-", 600),
	} {
		f.Add(seed, seed, seed)
	}
	c := mustLoad(f, catalogFS(nil))
	langs := c.Languages()
	f.Fuzz(func(t *testing.T, ui, profile, accept string) {
		got := c.Match(ui, profile, accept)
		for _, l := range langs {
			if l == got {
				l := c.Localizer(got)
				if l.Tag() != got || (l.Dir() != "ltr" && l.Dir() != "rtl") {
					t.Fatalf("Localizer(%s) = %s %s", got, l.Tag(), l.Dir())
				}
				return
			}
		}
		t.Fatalf("Match(%q, %q, %q) = %s, not a catalog language", ui, profile, accept, got)
	})
}
