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
		{"accepts a text of MaxText bytes", "en", "identify.title", strings.Repeat("a", MaxText), true},
		{"accepts an Arabic text with its placeholder", "ar", "identify.heading", "سجّل الدخول إلى {app}", true},
		{"accepts escaped braces", "en", "identify.title", "Sign in {{here}", true},
		{"accepts a placeholder twice", "en", "identify.heading", "{app}, {app}!", true},
		{"refuses {count} on a message that is not plural", "en", "identify.heading", "{count} apps", false},
		{"refuses another message's placeholder", "en", "identify.heading", "Hello {user}", false},
		{"refuses a blank text", "en", "identify.title", "   ", false},
		{"refuses a tab", "en", "identify.title", "a\tb", false},
		{"refuses a line separator", "en", "identify.title", "a\u2028b", false},
		{"refuses a right-to-left override", "en", "identify.title", "Sign \u202ein", false},
		{"refuses an isolate", "ar", "identify.title", "\u2068x\u2069", false},
		{"refuses a bad placeholder name", "en", "identify.heading", "Hi {App}", false},
		{"refuses an empty placeholder", "en", "identify.heading", "Hi {}", false},
		{"refuses an overlong ID without quoting it in full", "en", strings.Repeat("a.", 1000), "x", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.CheckText(tc.lang, tc.id, tc.text)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrText)) {
				t.Fatalf("CheckText = %v, want ok %v", err, tc.ok)
			}
			if err != nil && (len(err.Error()) > 300 || (len(tc.text) > 3 && strings.Contains(err.Error(), tc.text))) {
				t.Fatalf("the error quotes the text or is too long: %v", err)
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

func TestWithTexts(t *testing.T) {
	c := mustLoad(t, FS())
	en := c.Localizer(language.English)
	tenant := en.WithTexts(map[string]string{"identify.title": "Tenant sign-in", "identify.heading": "Welcome to {app}"})
	app := tenant.WithTexts(map[string]string{"identify.title": "App sign-in", "done.title": "{{done}"})
	for _, tc := range []struct {
		name   string
		l      *Localizer
		id     string
		params []string
		want   string
	}{
		{"renders the tenant's text", tenant, "identify.title", nil, "Tenant sign-in"},
		{"fills the text's placeholders", tenant, "identify.heading", []string{"app", "Acme"}, "Welcome to Acme"},
		{"keeps the catalog's other messages", tenant, "done.title", nil, en.Text("done.title")},
		{"lays a level over the one above", app, "identify.title", nil, "App sign-in"},
		{"keeps the level above's other texts", app, "identify.heading", []string{"app", "Acme"}, "Welcome to Acme"},
		{"renders a later level's text", app, "done.title", nil, "{done}"},
		{"leaves the levels below alone", tenant, "done.title", nil, en.Text("done.title")},
		{"leaves the catalog alone", en, "identify.title", nil, "Sign in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.l.Text(tc.id, tc.params...); got != tc.want {
				t.Fatalf("Text(%s) = %q, want %q", tc.id, got, tc.want)
			}
		})
	}
	if en.WithTexts(nil) != en {
		t.Error("WithTexts(nil) is not the localizer itself")
	}
	if len(app.msgs) != len(en.msgs) || len(app.texts) != 3 {
		t.Errorf("app has %d messages and %d texts", len(app.msgs), len(app.texts))
	}
}

// The catalog a client downloads shows the texts too: a plural message
// replaced by a text becomes one message.
func TestWithTextsInTheWireCatalog(t *testing.T) {
	c := mustLoad(t, FS())
	l := c.Localizer(language.Arabic).WithTexts(map[string]string{"attempts.remaining": "بقي {count}", "identify.title": "أهلًا {{بك}"})
	w := l.Catalog()
	if w.Messages["attempts.remaining"] != "بقي {count}" || w.Messages["identify.title"] != "أهلًا {{بك}" {
		t.Errorf("messages: %q, %q", w.Messages["attempts.remaining"], w.Messages["identify.title"])
	}
	if _, ok := w.Plurals["attempts.remaining"]; ok {
		t.Error("the replaced plural message is still plural")
	}
	if orig := c.Localizer(language.Arabic).Catalog(); len(orig.Plurals["attempts.remaining"]) == 0 {
		t.Error("the catalog's own export changed")
	}
}

// FuzzCheckText checks random texts for random messages: CheckText never
// panics, refuses with ErrText, and a text it accepts renders through
// WithTexts exactly as its template, with no control character of its
// own, and round-trips through the wire catalog.
func FuzzCheckText(f *testing.F) {
	c := mustLoad(f, FS())
	for _, seed := range []struct{ lang, id, text string }{
		{"en", "identify.title", "Hi {count}"},
		{"en", "attempts.remaining", "{count} left {{"},
		{"ar", "identify.heading", "مرحبًا {app}"},
		{"fr", "error.reference", "Référence : {id}"},
		{"en", "identify.title", "a\u202eb"},
		{"en", "nope", "x"},
	} {
		f.Add(seed.lang, seed.id, seed.text)
	}
	f.Fuzz(func(t *testing.T, lang, id, text string) {
		err := c.CheckText(lang, id, text)
		if err != nil {
			if !errors.Is(err, ErrText) {
				t.Fatalf("err = %v, not ErrText", err)
			}
			return
		}
		tmpl, err := parseTemplate(text)
		if err != nil {
			t.Fatalf("accepted %q, which does not parse: %v", text, err)
		}
		for _, tag := range []language.Tag{language.English, language.Arabic} {
			l := c.Localizer(tag)
			w := l.WithTexts(map[string]string{id: text})
			params := []string{"count", "1", "app", "Acme", "id", "x"}
			got := w.Text(id, params...)
			if want := tmpl.render(l.isolate, params); got != want {
				t.Fatalf("Text = %q, want %q", got, want)
			}
			if strings.ContainsFunc(strings.NewReplacer(fsi, "", pdi, "").Replace(got), badTextRune) {
				t.Fatalf("Text = %q holds a control character", got)
			}
			if back, err := parseTemplate(w.Catalog().Messages[id]); err != nil || back.String() != tmpl.String() {
				t.Fatalf("the wire catalog has %q for %q", w.Catalog().Messages[id], text)
			}
		}
	})
}
