package emailtemplates

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestThemedGolden renders every kind in English with a brand's light
// theme (accent colour, quoted font family, logo) and with a dark
// theme, into testdata/themed/<kind>.<light|dark>.en.html.golden. The
// subject and the text body do not depend on the theme, which
// TestThemesChangeOnlyTheHTML checks, so they have no golden of their
// own. Regenerate with go test ./email-templates -run TestThemedGolden
// -update.
func TestThemedGolden(t *testing.T) {
	base := mustNew(t)
	want := map[string]bool{}
	for _, theme := range []struct {
		name  string
		theme Theme
	}{{"light", sampleBrandTheme()}, {"dark", sampleDarkTheme()}} {
		s := base.With(theme.theme, Overrides{})
		for _, k := range Kinds() {
			file := filepath.Join("themed", fmt.Sprintf("%s.%s.en.html.golden", k, theme.name))
			want[file] = true
			t.Run(file, func(t *testing.T) {
				r, err := renderView(s, "en", sampleView(k))
				if err != nil {
					t.Fatal(err)
				}
				checkGolden(t, file, r.HTML)
			})
		}
	}
	checkNoStrayGoldens(t, "themed", want)
}

// checkNoStrayGoldens fails for a golden file under testdata/dir that
// no case wrote (want holds paths relative to testdata), or removes it
// with -update.
func checkNoStrayGoldens(t *testing.T, dir string, want map[string]bool) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if rel, _ := filepath.Rel("testdata", f); !want[rel] {
			if *update {
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
				continue
			}
			t.Errorf("%s belongs to no golden case (run with -update to remove it)", f)
		}
	}
}

// A theme changes the HTML only: subjects and text bodies are the same
// in every theme, in every language, for every sample view.
func TestThemesChangeOnlyTheHTML(t *testing.T) {
	base := mustNew(t)
	for name, theme := range sampleThemesByName() {
		s := base.With(theme, Overrides{})
		for _, lang := range s.Languages() {
			for _, k := range Kinds() {
				for i, v := range samples(k) {
					if i > 0 && !everySample(lang) {
						break
					}
					want, err := renderView(base, lang, v)
					if err != nil {
						t.Fatal(err)
					}
					got, err := renderView(s, lang, v)
					if err != nil {
						t.Fatal(err)
					}
					if got.Subject != want.Subject || got.Text != want.Text {
						t.Errorf("%s %s sample %d: the %s theme changes the subject or the text", lang, k, i, name)
					}
					colours := []string{theme.Background, theme.Surface, theme.Border, theme.Text, "font-family:" + strings.ReplaceAll(theme.Font, `"`, "&#34;") + ";", "border-radius:" + theme.Radius}
					if field(v, "Brand") != "" {
						colours = append(colours, theme.Muted) // the brand line and the footer
					}
					for _, c := range colours {
						if !strings.Contains(got.HTML, c) {
							t.Errorf("%s %s sample %d, %s theme: no %s in the HTML", lang, k, i, name, c)
						}
					}
					if hasField(v, "Link") && field(v, "Link") != "" && (!strings.Contains(got.HTML, "background-color:"+theme.Accent) ||
						!strings.Contains(got.HTML, "color:"+theme.OnAccent) || !strings.Contains(got.HTML, "color:"+theme.Link+";word-break")) {
						t.Errorf("%s %s sample %d, %s theme: the button or the link lacks the theme's colours", lang, k, i, name)
					}
				}
			}
		}
	}
}

// With returns a view: the original set renders as before, both can be
// used at once, and the view's own rendering is its theme's.
func TestWithLeavesTheSetAlone(t *testing.T) {
	base := mustNew(t)
	before, err := base.Passwordless("en", samplePasswordless())
	if err != nil {
		t.Fatal(err)
	}
	o, err := base.ParseOverrides(map[string]map[string]Override{"en": {"passwordless": {Subject: "Your Acme code"}}})
	if err != nil {
		t.Fatal(err)
	}
	themed := base.With(sampleBrandTheme(), o)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			s, brand := base, false
			if i%2 == 1 {
				s, brand = themed, true
			}
			for _, k := range Kinds() {
				for _, lang := range []string{"en", "ar"} {
					r, err := renderView(s, lang, sampleView(k))
					if err != nil {
						t.Error(err)
						return
					}
					if strings.Contains(r.HTML, sampleBrandTheme().Logo) != brand {
						t.Errorf("%s %s: the logo is shown: %v, want %v", lang, k, !brand, brand)
					}
				}
			}
		})
	}
	wg.Wait()
	after, err := base.Passwordless("en", samplePasswordless())
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Fatal("With changed the original set")
	}
	r, err := themed.Passwordless("en", samplePasswordless())
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "Your Acme code" || r.Text != before.Text {
		t.Fatalf("view: subject %q, text changed: %v", r.Subject, r.Text != before.Text)
	}
	// With on a view replaces its theme and overrides.
	again, err := themed.With(DefaultTheme(), Overrides{}).Passwordless("en", samplePasswordless())
	if err != nil {
		t.Fatal(err)
	}
	if again != before {
		t.Fatal("With on a view kept the view's theme or overrides")
	}
}

// Every view type has its data type, and no view has a field named
// like the environment's (Theme, Locale, Dir, L) that would hide it.
func TestDataCoversEveryView(t *testing.T) {
	for _, k := range Kinds() {
		v := sampleView(k)
		d := withEnv(v, env{Theme: DefaultTheme().data()})
		if !hasField(d, "Theme") || hasField(v, "Theme") || hasField(v, "Locale") || hasField(v, "Dir") || hasField(v, "L") {
			t.Errorf("%s: data %T", k, d)
		}
		for _, name := range []string{"Brand", "Link", "Code", "AppID", "Profile", "Locale", "Dir"} {
			if hasField(v, name) && !hasField(d, name) {
				t.Errorf("%s: data %T lacks %s", k, d, name)
			}
		}
	}
}
