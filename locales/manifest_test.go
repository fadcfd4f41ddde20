package locales

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/language"
)

func TestManifest(t *testing.T) {
	cases := []struct {
		name     string
		manifest string
		// want is the status of identify.title and identify.heading in
		// ar and pt, "" when Load must fail with ErrManifest.
		want map[string][2]Status
	}{
		{"without a manifest every translation is machine-made", "",
			map[string][2]Status{"ar": {Machine, Machine}, "pt": {Machine, Machine}}},
		{"a reviewed language", `{"languages": {"ar": {"status": "reviewed", "reviewer": "Lina"}}}`,
			map[string][2]Status{"ar": {Reviewed, Reviewed}, "pt": {Machine, Machine}}},
		{"a reviewed language with a new, machine-made text", `{"languages": {"ar": {"status": "reviewed", "machine": ["identify.heading"]}}}`,
			map[string][2]Status{"ar": {Reviewed, Machine}, "pt": {Machine, Machine}}},
		{"a machine language with one reviewed text", `{"languages": {"pt": {"status": "machine", "reviewed": ["identify.title"]}}}`,
			map[string][2]Status{"ar": {Machine, Machine}, "pt": {Reviewed, Machine}}},
		{"a language without a catalog", `{"languages": {"fr": {"status": "machine"}}}`, nil},
		{"English is the source", `{"languages": {"en": {"status": "reviewed"}}}`, nil},
		{"an unknown status", `{"languages": {"ar": {"status": "done"}}}`, nil},
		{"an unknown ID", `{"languages": {"ar": {"status": "reviewed", "machine": ["nope.nope"]}}}`, nil},
		{"exceptions of the language's own status", `{"languages": {"ar": {"status": "machine", "machine": ["identify.title"]}}}`, nil},
		{"an unknown field", `{"languages": {"ar": {"status": "machine", "by": "x"}}}`, nil},
		{"not JSON", `{"languages": `, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(catalogFS(map[string]string{manifestFile: tc.manifest}))
			if tc.want == nil {
				if !errors.Is(err, ErrManifest) {
					t.Fatalf("Load = %v, want ErrManifest", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if s := c.Localizer(language.English).Status("identify.title"); s != Source {
				t.Errorf("English is %s, want source", s)
			}
			for lang, want := range tc.want {
				l := c.Localizer(language.MustParse(lang))
				got := [2]Status{l.Status("identify.title"), l.Status("identify.heading")}
				if got != want {
					t.Errorf("%s: statuses %v, want %v", lang, got, want)
				}
				if l.MachineTranslated() != (tc.manifest == "" || !strings.Contains(tc.manifest, `"`+lang+`": {"status": "reviewed"`)) {
					t.Errorf("%s: MachineTranslated() = %v", lang, l.MachineTranslated())
				}
			}
		})
	}
}

// TestEmbeddedManifestListsEveryLanguage: every shipped translation says
// who made it.
func TestEmbeddedManifestListsEveryLanguage(t *testing.T) {
	var ps problems
	m := readManifest(FS(), &ps)
	if err := ps.err(); err != nil || m == nil {
		t.Fatalf("manifest.json: %v", err)
	}
	c := mustLoad(t, FS())
	for _, tag := range c.Languages()[1:] {
		if _, ok := m.Languages[tag.String()]; !ok {
			t.Errorf("manifest.json does not list %s", tag)
		}
	}
}
