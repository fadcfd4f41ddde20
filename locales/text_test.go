package locales

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/text/language"
)

// textFS holds templates that exercise the template grammar.
var textFS = fstest.MapFS{
	"en.json": {Data: []byte(`{
  "$meta": {"language": "en", "dir": "ltr", "name": "English"},
  "text.plain": "Sign in",
  "text.greeting": "Hello {name}, welcome to {app}.",
  "text.twice": "{name} and {name} again",
  "text.escape": "Write {{name} for a placeholder, {{{{ for two braces, } alone.",
  "text.escaped_param": "{{{name}}"
}`)},
	"ar.json": {Data: []byte(`{
  "$meta": {"language": "ar", "dir": "rtl", "name": "العربية"},
  "text.plain": "تسجيل الدخول",
  "text.greeting": "مرحبًا {name}، أهلًا بك في {app}.",
  "text.twice": "{name} ثم {name} مرة أخرى",
  "text.escape": "اكتب {{name} للعنصر النائب، و{{{{ لقوسين، و} وحده.",
  "text.escaped_param": "{{{name}}"
}`)},
}

func TestText(t *testing.T) {
	c := mustLoad(t, textFS)
	en, ar := c.Localizer(language.English), c.Localizer(language.Arabic)
	cases := []struct {
		name   string
		l      *Localizer
		id     string
		params []string
		want   string
	}{
		{"renders a text without placeholders as it is", en, "text.plain", nil, "Sign in"},
		{"fills placeholders", en, "text.greeting", []string{"name", "Alice", "app", "Acme"}, "Hello Alice, welcome to Acme."},
		{"takes params in any order", en, "text.greeting", []string{"app", "Acme", "name", "Alice"}, "Hello Alice, welcome to Acme."},
		{"fills a placeholder used twice", en, "text.twice", []string{"name", "Bo"}, "Bo and Bo again"},
		{"leaves a missing param as {name}", en, "text.greeting", []string{"app", "Acme"}, "Hello {name}, welcome to Acme."},
		{"ignores params the text does not use", en, "text.plain", []string{"name", "Alice"}, "Sign in"},
		{"ignores an odd trailing name", en, "text.greeting", []string{"name", "Alice", "app"}, "Hello Alice, welcome to {app}."},
		{"takes the first of repeated params", en, "text.twice", []string{"name", "first", "name", "second"}, "first and first again"},
		{"never expands placeholders inside values", en, "text.greeting", []string{"name", "{app}", "app", "{{x}"}, "Hello {app}, welcome to {{x}."},
		{"inserts an empty value as empty", en, "text.greeting", []string{"name", "", "app", "Acme"}, "Hello , welcome to Acme."},
		{"turns {{ into { and keeps a lone }", en, "text.escape", nil, "Write {name} for a placeholder, {{ for two braces, } alone."},
		{"fills a placeholder between escapes", en, "text.escaped_param", []string{"name", "x"}, "{x}"},
		{"renders an unknown ID as the ID", en, "text.nope", []string{"name", "x"}, "text.nope"},
		{"isolates values in right-to-left text", ar, "text.greeting", []string{"name", "alice@example.com", "app", "Acme"},
			"مرحبًا \u2068alice@example.com\u2069، أهلًا بك في \u2068Acme\u2069."},
		{"does not isolate a missing param", ar, "text.greeting", []string{"app", "Acme"}, "مرحبًا {name}، أهلًا بك في \u2068Acme\u2069."},
		{"escapes in Arabic too", ar, "text.escape", nil, "اكتب {name} للعنصر النائب، و{{ لقوسين، و} وحده."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.l.Text(tc.id, tc.params...); got != tc.want {
				t.Errorf("Text(%q, %q) = %q, want %q", tc.id, tc.params, got, tc.want)
			}
		})
	}
}

func TestHasKnowsEveryIDAndNothingElse(t *testing.T) {
	c := mustLoad(t, textFS)
	for _, l := range []*Localizer{c.Localizer(language.English), c.Localizer(language.Arabic)} {
		for _, id := range c.IDs() {
			if !l.Has(id) {
				t.Errorf("%s: Has(%q) = false", l.Lang(), id)
			}
		}
		for _, id := range []string{"", "text", "text.nope", "$meta", "TEXT.PLAIN"} {
			if l.Has(id) {
				t.Errorf("%s: Has(%q) = true", l.Lang(), id)
			}
		}
	}
}

func TestDirectionFollowsTheLanguage(t *testing.T) {
	c := mustLoad(t, FS())
	if d := c.Localizer(language.Arabic).Dir(); d != "rtl" {
		t.Errorf("ar Dir() = %q, want rtl", d)
	}
	if d := c.Localizer(language.English).Dir(); d != "ltr" {
		t.Errorf("en Dir() = %q, want ltr", d)
	}
}

func TestCatalogAccessorsReturnCopies(t *testing.T) {
	c := mustLoad(t, FS())
	ids, langs := c.IDs(), c.Languages()
	ids[0], langs[0] = "changed", language.French
	if c.IDs()[0] == "changed" || c.Languages()[0] == language.French {
		t.Error("IDs or Languages exposes the catalog's own slice")
	}
}

func TestTemplateParamsAreSortedAndUnique(t *testing.T) {
	tmpl, err := parseTemplate("{b} {a} {b} {{c}")
	if err != nil {
		t.Fatal(err)
	}
	if got := tmpl.params(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("params() = %q, want [a b]", got)
	}
}

func TestParseTemplateRefusesBadBraces(t *testing.T) {
	for _, s := range []string{"{", "a {", "{}", "{ name }", "{Name}", "{1st}", "{na-me}", "{name", "{a{b}", "{{{", "{" + strings.Repeat("a", 70) + "}"} {
		if _, err := parseTemplate(s); err == nil {
			t.Errorf("parseTemplate(%q) accepted a bad brace", s)
		}
	}
}

func BenchmarkLoadEmbedded(b *testing.B) {
	for b.Loop() {
		if _, err := Load(FS()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkText(b *testing.B) {
	ar := mustLoad(b, FS()).Localizer(language.Arabic)
	b.ReportAllocs()
	for b.Loop() {
		ar.Text("attempts.remaining", "count", "11")
	}
}
