package locales

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"

	"golang.org/x/text/language"
)

// Small catalogs for the refusal tests; each case changes one file.
const (
	enSmall = `{
  "$meta": {"language": "en", "dir": "ltr", "name": "English"},
  "identify.title": "Sign in",
  "identify.heading": "Sign in to {app}",
  "attempts.remaining": {"one": "{count} attempt left", "other": "{count} attempts left"}
}`
	arSmall = `{
  "$meta": {"language": "ar", "dir": "rtl", "name": "العربية"},
  "identify.title": "تسجيل الدخول",
  "identify.heading": "تسجيل الدخول إلى {app}",
  "attempts.remaining": {"zero": "لا توجد محاولات متبقية", "one": "محاولة واحدة متبقية", "two": "محاولتان متبقيتان",
    "few": "{count} محاولات متبقية", "many": "{count} محاولة متبقية", "other": "{count} محاولة متبقية"}
}`
	ptSmall = `{
  "$meta": {"language": "pt", "dir": "ltr", "name": "Português"},
  "identify.title": "Entrar",
  "identify.heading": "Entrar em {app}",
  "attempts.remaining": {"one": "{count} tentativa restante", "other": "{count} tentativas restantes"}
}`
)

// catalogFS returns en, ar and pt small catalogs with the given files
// replaced; an empty content removes the file.
func catalogFS(replace map[string]string) fstest.MapFS {
	files := map[string]string{"en.json": enSmall, "ar.json": arSmall, "pt.json": ptSmall}
	for name, content := range replace {
		files[name] = content
	}
	fsys := fstest.MapFS{}
	for name, content := range files {
		if content != "" {
			fsys[name] = &fstest.MapFile{Data: []byte(content)}
		}
	}
	return fsys
}

func mustLoad(t testing.TB, fsys fs.FS) *Catalog {
	t.Helper()
	c, err := Load(fsys)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestEmbeddedCatalogsLoad(t *testing.T) {
	c := mustLoad(t, FS())
	if got := c.Languages(); len(got) < 30 || got[0] != language.English || got[1] != language.Arabic {
		t.Fatalf("Languages() = %v, want English first, then Arabic and the other languages by tag, at least 30 in all", got)
	}
	ids := c.IDs()
	if len(ids) < 40 || !slices.IsSorted(ids) {
		t.Fatalf("IDs() has %d IDs (sorted: %v), want ≥ 40 sorted", len(ids), slices.IsSorted(ids))
	}
	ar := c.Localizer(language.Arabic)
	for _, id := range ids {
		if !ar.Has(id) {
			t.Errorf("ar lacks %s", id)
		}
		if text := ar.Text(id, "count", "3"); !strings.ContainsFunc(text, func(r rune) bool { return unicode.Is(unicode.Arabic, r) }) {
			t.Errorf("ar %s = %q: no Arabic letter, is it translated?", id, text)
		}
	}
}

func TestReadmeListsEveryID(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range mustLoad(t, FS()).IDs() {
		if !strings.Contains(string(readme), "`"+id+"`") {
			t.Errorf("README.md does not list `%s`", id)
		}
	}
}

func TestLoadAcceptsTheSmallCatalogs(t *testing.T) {
	c := mustLoad(t, catalogFS(nil))
	want := []language.Tag{language.English, language.Arabic, language.Portuguese}
	if got := c.Languages(); !slices.Equal(got, want) {
		t.Fatalf("Languages() = %v, want %v", got, want)
	}
}

// problem is what a refusal test expects: a file, an ID and a kind.
type problem struct {
	file, id string
	kind     error
}

func (p problem) String() string { return p.file + " " + p.id + " " + p.kind.Error() }

func TestLoadRefuses(t *testing.T) {
	arWith := func(old, new string) string { return strings.Replace(arSmall, old, new, 1) }
	enWith := func(old, new string) string { return strings.Replace(enSmall, old, new, 1) }
	cases := []struct {
		name  string
		files map[string]string
		want  []problem
	}{
		{"a translation missing IDs, listing each", map[string]string{"ar.json": arWith(`"identify.title": "تسجيل الدخول",
  "identify.heading": "تسجيل الدخول إلى {app}",`, "")},
			[]problem{{"ar.json", "identify.heading", ErrMissing}, {"ar.json", "identify.title", ErrMissing}}},
		{"a placeholder English does not have", map[string]string{"ar.json": arWith("{app}", "{application}")},
			[]problem{{"ar.json", "identify.heading", ErrPlaceholder}}},
		{"a placeholder left out", map[string]string{"ar.json": arWith(" {app}", "")},
			[]problem{{"ar.json", "identify.heading", ErrPlaceholder}}},
		{"Arabic plurals with only one and other", map[string]string{"ar.json": arWith(`"zero": "لا توجد محاولات متبقية", `, "")},
			[]problem{{"ar.json", "attempts.remaining", ErrPlural}}},
		{"a plural category English does not use", map[string]string{"en.json": enWith(`{"one"`, `{"few": "{count} attempts left", "one"`)},
			[]problem{{"en.json", "attempts.remaining", ErrPlural}}},
		{"a category that is not CLDR's", map[string]string{"pt.json": strings.Replace(ptSmall, `{"one"`, `{"several": "x", "one"`, 1)},
			[]problem{{"pt.json", "attempts.remaining", ErrPlural}}},
		{"a message plural in English and plain in a translation", map[string]string{"pt.json": strings.Replace(ptSmall,
			`{"one": "{count} tentativa restante", "other": "{count} tentativas restantes"}`, `"{count} tentativas"`, 1)},
			[]problem{{"pt.json", "attempts.remaining", ErrPlural}}},
		{"bad JSON", map[string]string{"ar.json": arSmall[:40]}, []problem{{"ar.json", "", ErrSyntax}}},
		{"JSON that is not an object", map[string]string{"ar.json": `["تسجيل"]`}, []problem{{"ar.json", "", ErrSyntax}}},
		{"trailing data", map[string]string{"ar.json": arSmall + "{}"}, []problem{{"ar.json", "", ErrSyntax}}},
		{"invalid UTF-8", map[string]string{"ar.json": arWith("تسجيل", "\xff\xfe")}, []problem{{"ar.json", "", ErrSyntax}}},
		{"a duplicate key", map[string]string{"ar.json": arWith(`"identify.heading"`, `"identify.title": "مرة أخرى", "identify.heading"`)},
			[]problem{{"ar.json", "", ErrSyntax}}},
		{"null where a text belongs", map[string]string{"ar.json": arWith(`"تسجيل الدخول",`, `null,`)},
			[]problem{{"ar.json", "identify.title", ErrSyntax}}},
		{"a null plural category", map[string]string{"ar.json": arWith(`"two": "محاولتان متبقيتان"`, `"two": null`)},
			[]problem{{"ar.json", "attempts.remaining", ErrSyntax}, {"ar.json", "attempts.remaining", ErrPlural}}},
		{"a number where a text belongs", map[string]string{"ar.json": arWith(`"تسجيل الدخول",`, `42,`)},
			[]problem{{"ar.json", "identify.title", ErrSyntax}}},
		{"a catalog without $meta", map[string]string{"ar.json": arWith(`"$meta": {"language": "ar", "dir": "rtl", "name": "العربية"},`, "")},
			[]problem{{"ar.json", "$meta", ErrMeta}}},
		{"a language that does not match the file name", map[string]string{"ar.json": arWith(`"language": "ar"`, `"language": "fa"`)},
			[]problem{{"ar.json", "$meta", ErrMeta}}},
		{"a language tag that is not canonical", map[string]string{"pt.json": strings.Replace(ptSmall, `"pt"`, `"PT"`, 1)},
			[]problem{{"pt.json", "$meta", ErrMeta}}},
		{"left-to-right Arabic", map[string]string{"ar.json": arWith(`"rtl"`, `"ltr"`)}, []problem{{"ar.json", "$meta", ErrMeta}}},
		{"a dir that is not ltr or rtl", map[string]string{"pt.json": strings.Replace(ptSmall, `"ltr"`, `"left"`, 1)},
			[]problem{{"pt.json", "$meta", ErrMeta}}},
		{"an unknown $meta field", map[string]string{"pt.json": strings.Replace(ptSmall, `"dir"`, `"direction": "ltr", "dir"`, 1)},
			[]problem{{"pt.json", "$meta", ErrMeta}}},
		{"an empty language name", map[string]string{"pt.json": strings.Replace(ptSmall, `"Português"`, `" "`, 1)},
			[]problem{{"pt.json", "$meta", ErrMeta}}},
		{"an ID unknown to English", map[string]string{"ar.json": arWith(`"identify.title"`, `"identify.subtitle": "نص", "identify.title"`)},
			[]problem{{"ar.json", "identify.subtitle", ErrUnknown}}},
		{"a key that is not a message ID", map[string]string{"en.json": enWith(`"identify.title"`, `"Identify.Title": "x", "identify.title"`)},
			[]problem{{"en.json", "Identify.Title", ErrBadID}}},
		{"an empty text", map[string]string{"ar.json": arWith(`"تسجيل الدخول",`, `"  ",`)},
			[]problem{{"ar.json", "identify.title", ErrEmpty}}},
		{"an unclosed placeholder", map[string]string{"ar.json": arWith("{app}", "{app")},
			[]problem{{"ar.json", "identify.heading", ErrTemplate}}},
		{"an uppercase placeholder", map[string]string{"en.json": enWith("{app}", "{App}")},
			[]problem{{"en.json", "identify.heading", ErrTemplate}}},
		{"a missing en.json", map[string]string{"en.json": ""}, []problem{{"en.json", "", ErrMissing}}},
		{"problems in several files, listing all", map[string]string{
			"ar.json": arWith("{app}", "{ap}"),
			"pt.json": strings.Replace(ptSmall, `"Entrar",`, `"",`, 1),
		}, []problem{{"ar.json", "identify.heading", ErrPlaceholder}, {"pt.json", "identify.title", ErrEmpty}}},
	}
	for _, tc := range cases {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			c, err := Load(catalogFS(tc.files))
			if c != nil {
				t.Error("Load returned a Catalog with its error")
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Load error = %v, want a *LoadError", err)
			}
			var got []problem
			for _, p := range le.Problems {
				got = append(got, problem{p.File, p.ID, p.Kind})
				if !errors.Is(err, p.Kind) {
					t.Errorf("errors.Is(err, %v) = false", p.Kind)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems:\n%v\nwant (file, id, kind):\n%v", err, tc.want)
			}
		})
	}
}
