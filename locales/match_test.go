package locales

import (
	"strings"
	"sync"
	"testing"

	"golang.org/x/text/language"
)

func TestMatch(t *testing.T) {
	embedded := mustLoad(t, catalogFS(map[string]string{"pt.json": ""})) // en, ar
	withPT := mustLoad(t, catalogFS(nil))                                // en, ar, pt
	cases := []struct {
		name                string
		c                   *Catalog
		ui, profile, accept string
		want                string
	}{
		{"English when nothing is asked", embedded, "", "", "", "en"},
		{"ui_locales beats the profile", embedded, "ar", "en", "", "ar"},
		{"ui_locales beats Accept-Language", embedded, "en", "", "ar", "en"},
		{"the profile beats Accept-Language", embedded, "", "ar", "en", "ar"},
		{"ui_locales in order of preference", embedded, "fr ar en", "", "", "ar"},
		{"ui_locales without a match passes on to the profile", embedded, "fr de", "ar", "en", "ar"},
		{"a profile without a match passes on to Accept-Language", embedded, "", "fr", "ar", "ar"},
		{"a regional tag falls back to its language", embedded, "", "", "ar-EG", "ar"},
		{"a regional English is English", embedded, "", "", "en-GB,ar;q=0.5", "en"},
		{"a language absent from the catalog gives English", embedded, "", "", "fr", "en"},
		{"pt-BR gives English when pt is absent", embedded, "pt-BR", "", "", "en"},
		{"pt-BR falls back to pt", withPT, "pt-BR", "", "", "pt"},
		{"pt-PT falls back to pt", withPT, "", "", "pt-PT", "pt"},
		{"q-values outrank header order", embedded, "", "", "en;q=0.1, ar;q=0.9", "ar"},
		{"equal q-values keep header order", embedded, "", "", "ar;q=0.5, en;q=0.5", "ar"},
		{"q=0 refuses a language", embedded, "", "", "ar;q=0, en;q=0.1", "en"},
		{"a malformed entry is skipped, not fatal", embedded, "", "", "xx-yy-zz-!!;q=0.9, ar;q=0.8", "ar"},
		{"a malformed q-value is skipped", embedded, "", "", "en;q=abc, ar;q=0.2", "ar"},
		{"a wildcard alone gives English", embedded, "", "", "*", "en"},
		{"malformed ui_locales are skipped", embedded, "!!! ar", "", "", "ar"},
		{"a language with unicode extensions still matches", embedded, "ar-u-nu-latn", "", "", "ar"},
		{"an oversized header is read only in part", embedded, "", "", strings.Repeat("fr-FR;q=0.9, ", 500) + "ar", "en"},
		{"more than maxPrefs ui_locales are ignored past the limit", embedded, strings.Repeat("fr ", maxPrefs) + "ar", "", "", "en"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.c.Match(tc.ui, tc.profile, tc.accept)
			if got.String() != tc.want {
				t.Errorf("Match(%q, %q, %.40q) = %s, want %s", tc.ui, tc.profile, tc.accept, got, tc.want)
			}
		})
	}
}

func TestMatchReturnsOnlyCatalogLanguages(t *testing.T) {
	c := mustLoad(t, catalogFS(nil))
	for _, header := range []string{"ar-EG", "pt-BR", "en-US", "de", "ar-u-nu-latn", "sr-Latn, ar;q=0.1"} {
		got := c.Match("", "", header)
		found := false
		for _, l := range c.Languages() {
			found = found || l == got
		}
		if !found {
			t.Errorf("Match(%q) = %s, not one of %v", header, got, c.Languages())
		}
	}
}

func TestLocalizerFallsBackLikeMatch(t *testing.T) {
	c := mustLoad(t, FS())
	cases := []struct {
		tag           string
		lang, dir     string
		heading, name string
	}{
		{"ar", "ar", "rtl", "تسجيل الدخول إلى \u2068Acme\u2069", "العربية"},
		{"ar-EG", "ar", "rtl", "تسجيل الدخول إلى \u2068Acme\u2069", "العربية"},
		{"en", "en", "ltr", "Sign in to Acme", "English"},
		{"en-AU", "en", "ltr", "Sign in to Acme", "English"},
		{"sw", "en", "ltr", "Sign in to Acme", "English"},
		{"und", "en", "ltr", "Sign in to Acme", "English"},
	}
	for _, tc := range cases {
		t.Run(tc.tag, func(t *testing.T) {
			l := c.Localizer(language.MustParse(tc.tag))
			if l.Lang() != tc.lang || l.Tag().String() != tc.lang || l.Dir() != tc.dir || l.Name() != tc.name {
				t.Errorf("Localizer(%s): lang %s tag %s dir %s name %s, want %s %s %s", tc.tag, l.Lang(), l.Tag(), l.Dir(), l.Name(), tc.lang, tc.dir, tc.name)
			}
			if got := l.Text("identify.heading", "app", "Acme"); got != tc.heading {
				t.Errorf("heading = %q, want %q", got, tc.heading)
			}
			if l.MachineTranslated() != (tc.lang != "en") {
				t.Errorf("MachineTranslated() = %v: manifest.json marks every translation machine-made until a person reviews it", l.MachineTranslated())
			}
		})
	}
}

func TestCatalogIsSafeForConcurrentUse(t *testing.T) {
	c := mustLoad(t, catalogFS(nil))
	headers := []string{"ar-EG", "pt-BR, en;q=0.5", "fr", "en-GB", "ar;q=0, pt"}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				h := headers[(i+j)%len(headers)]
				l := c.Localizer(c.Match("", "", h))
				l.Text("attempts.remaining", "count", "3")
				l.Text("identify.heading", "app", "Acme")
			}
		})
	}
	wg.Wait()
}

func TestLookup(t *testing.T) {
	c := mustLoad(t, catalogFS(nil)) // en, ar, pt
	cases := []struct {
		tags string
		want string
		ok   bool
	}{
		{"ar", "ar", true},
		{"pt-BR", "pt", true},
		{"fr ar", "ar", true},
		{"en-GB", "en", true},
		{"fr", "und", false},
		{"", "und", false},
		{"!!!", "und", false},
	}
	for _, tc := range cases {
		got, ok := c.Lookup(tc.tags)
		if got.String() != tc.want || ok != tc.ok {
			t.Errorf("Lookup(%q) = %s, %v; want %s, %v", tc.tags, got, ok, tc.want, tc.ok)
		}
	}
}

// TestMatchEmbedded: the shipped languages serve their regional and
// script variants.
func TestMatchEmbedded(t *testing.T) {
	c := mustLoad(t, FS())
	for _, tc := range []struct{ accept, want string }{
		{"zh-TW", "zh-Hant"},
		{"zh-HK", "zh-Hant"},
		{"zh-CN", "zh"},
		{"zh-Hans-SG", "zh"},
		{"pt-BR", "pt"},
		{"pt-PT", "pt"},
		{"no", "nb"},
		{"nb-NO", "nb"},
		{"fa-IR", "fa"},
		{"he-IL", "he"},
		{"es-MX", "es"},
		{"fr-CA", "fr"},
		{"de-AT", "de"},
		{"sw, de;q=0.5", "de"},
		{"sw", "en"},
	} {
		if got := c.Match("", "", tc.accept); got.String() != tc.want {
			t.Errorf("Match(Accept-Language %q) = %s, want %s", tc.accept, got, tc.want)
		}
	}
}
