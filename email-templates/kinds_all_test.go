package emailtemplates

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lintel-id/lintel/locales"
)

// catalog loads the embedded catalogs once per test binary, and
// builtin the built-in set with them: both are immutable, and loading
// them for every test would cost seconds.
var (
	catalog = sync.OnceValues(func() (*locales.Catalog, error) { return locales.Load(locales.FS()) })
	builtin = sync.OnceValues(func() (*Set, error) {
		cat, err := catalog()
		if err != nil {
			return nil, err
		}
		return New(cat)
	})
)

// mustCatalog returns the embedded catalogs.
func mustCatalog(t testing.TB) *locales.Catalog {
	t.Helper()
	cat, err := catalog()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// mustNew returns the built-in set with the embedded catalogs.
func mustNew(t testing.TB) *Set {
	t.Helper()
	s, err := builtin()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// messageID matches a mail message ID, which a part shows when a
// message is missing.
var messageID = regexp.MustCompile(`\bmail\.[a-z_]+\.[a-z_]+`)

func TestEveryKindRendersEveryLanguage(t *testing.T) {
	s := mustNew(t)
	for _, lang := range testLanguages(s) {
		for _, k := range Kinds() {
			for i, v := range samples(k) {
				r, err := s.send(lang, v)
				if err != nil {
					t.Fatalf("%s %s sample %d: %v", k, lang, i, err)
				}
				for _, part := range []string{r.Subject, r.Text, r.HTML} {
					if messageID.MatchString(part) || strings.TrimSpace(part) == "" {
						t.Errorf("%s %s sample %d: a part is blank or shows a message ID:\n%s", k, lang, i, part)
					}
				}
				if strings.Contains(r.HTML, "class=") || strings.Contains(r.HTML, "<style") {
					t.Errorf("%s %s: CSS left to inline:\n%s", k, lang, r.HTML)
				}
			}
		}
	}
}

// testLanguages are the languages the exhaustive tests render: every
// language of s, or under the race detector a sample of scripts,
// directions and plural rules (the full run covers the rest).
func testLanguages(s *Set) []string {
	if !raceDetector {
		return s.Languages()
	}
	return slices.DeleteFunc([]string{"en", "ar", "de", "he", "ja", "ru", "zh-Hant"}, func(l string) bool { return !slices.Contains(s.Languages(), l) })
}
