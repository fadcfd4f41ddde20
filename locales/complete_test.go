package locales

import (
	"slices"
	"strings"
	"testing"
	"unicode"
)

// TestLanguages: at least thirty languages ship, right-to-left ones
// among them, each written in the direction of its script. Load has
// already checked that every language has every ID, with English's
// placeholders and the plural categories the language needs.
func TestLanguages(t *testing.T) {
	c := mustLoad(t, FS())
	langs := c.Languages()
	if len(langs) < 30 {
		t.Errorf("%d languages, want at least 30: %v", len(langs), langs)
	}
	for lang, dir := range map[string]string{"ar": "rtl", "he": "rtl", "fa": "rtl", "en": "ltr", "de": "ltr", "ja": "ltr"} {
		found := false
		for _, tag := range langs {
			if tag.String() == lang {
				found = true
				if got := c.Localizer(tag).Dir(); got != dir {
					t.Errorf("%s is written %s, want %s", lang, got, dir)
				}
			}
		}
		if !found {
			t.Errorf("no %s catalog", lang)
		}
	}
}

// maxSameAsEnglish is the share of a translation's texts that may be
// identical to English: a few words are the same in many languages
// ("OK", "Passkey"), many more mean texts were left untranslated.
const maxSameAsEnglish = 0.05

// sameAnywhere are words a text may keep in every language: names and
// codes. A text made of them, placeholders and punctuation alone is not
// counted as untranslated.
var sameAnywhere = []string{"Lintel", "OTP", "SMS", "TOTP", "QR", "ID", "IP", "URL"}

// TestTranslationsDifferFromEnglish: no more than 5% of a language's
// texts are identical to English's.
func TestTranslationsDifferFromEnglish(t *testing.T) {
	c := mustLoad(t, FS())
	en := c.Localizer(c.Languages()[0])
	for _, tag := range c.Languages()[1:] {
		l := c.Localizer(tag)
		var same []string
		for _, id := range c.IDs() {
			e, o := en.msgs[id].forms[0], l.msgs[id].forms[0] // the "other" category
			if e.String() == o.String() && !exempt(e) {
				same = append(same, id)
			}
		}
		if share := float64(len(same)) / float64(len(c.IDs())); share > maxSameAsEnglish {
			t.Errorf("%s: %d of %d texts (%.1f%%) are identical to English, at most %.0f%% may be: %v",
				tag, len(same), len(c.IDs()), 100*share, 100*maxSameAsEnglish, same)
		}
	}
}

// exempt reports whether a text needs no translation: only placeholders,
// punctuation, digits and words of sameAnywhere.
func exempt(t template) bool {
	for _, s := range t {
		words := strings.FieldsFunc(s.text, func(r rune) bool { return !unicode.IsLetter(r) })
		for _, w := range words {
			if !slices.Contains(sameAnywhere, w) {
				return false
			}
		}
	}
	return true
}
