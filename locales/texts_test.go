package locales

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/language"
)

func TestCheckText(t *testing.T) {
	c, err := Load(FS())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, lang, id, text string
		ok                   bool
	}{
		{"accepts a plain text", "en", "identify.title", "Welcome back", true},
		{"accepts a text for a language the catalog lacks", "fr", "identify.title", "Bon retour", true},
		{"accepts a known placeholder", "en", "attempts.remaining", "{count} tries left", true},
		{"accepts leaving placeholders out", "en", "attempts.remaining", "Careful now", true},
		{"refuses an unknown message ID", "en", "no.such.message", "x", false},
		{"refuses an unknown placeholder", "en", "identify.title", "Hello {name}", false},
		{"refuses an unclosed brace", "en", "identify.title", "Hello {", false},
		{"refuses control characters", "en", "identify.title", "a\nb", false},
		{"refuses invalid UTF-8", "en", "identify.title", "a\xffb", false},
		{"refuses an empty text", "en", "identify.title", "", false},
		{"refuses a long text", "en", "identify.title", strings.Repeat("a", MaxText+1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.CheckText(tc.lang, tc.id, tc.text)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrText)) {
				t.Fatalf("CheckText = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestWithTextsOverridesOnlyWhatItHas(t *testing.T) {
	c, err := Load(FS())
	if err != nil {
		t.Fatal(err)
	}
	ar := c.Localizer(language.Arabic)
	before := ar.Text("identify.title")
	over := ar.WithTexts(map[string]string{"identify.title": "أهلًا {{بك}", "attempts.remaining": "بقي {count}", "no.such": "x", "footer.powered_by": "{"})
	if got := over.Text("identify.title"); got != "أهلًا {بك}" {
		t.Errorf("identify.title = %q", got)
	}
	if got := over.Text("attempts.remaining", "count", "2"); got != "بقي \u20682\u2069" {
		t.Errorf("attempts.remaining = %q (one form for every category, values isolated)", got)
	}
	if over.Has("no.such") || over.Text("footer.powered_by") != ar.Text("footer.powered_by") {
		t.Error("an unknown ID or a text that does not parse changed the localizer")
	}
	if ar.Text("identify.title") != before || over.Lang() != "ar" || over.Dir() != "rtl" {
		t.Error("WithTexts changed the original or lost the language")
	}
}

func FuzzCheckText(f *testing.F) {
	c, err := Load(FS())
	if err != nil {
		f.Fatal(err)
	}
	f.Add("identify.title", "Hi {count}")
	f.Add("attempts.remaining", "{count} left {{")
	f.Fuzz(func(t *testing.T, id, text string) {
		if c.CheckText("en", id, text) == nil {
			// Accepted texts render without placeholders of their own.
			l := c.Localizer(language.English).WithTexts(map[string]string{id: text})
			_ = l.Text(id, "count", "1")
		}
	})
}
