package emailtemplates

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// builtinFS copies the built-in templates into a MapFS that a test can
// change.
func builtinFS(t *testing.T) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(FS(), path)
		m[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBuiltinFS(t *testing.T) {
	var want []string
	for _, lang := range []string{"en", "ar"} {
		for _, kind := range []string{"passwordless", "lockout", "activation", "verify-email", "recovery", "recovered", "email-change", "email-changed"} {
			for _, ext := range []string{".subject.txt", ".txt", ".html"} {
				want = append(want, lang+"/"+kind+ext)
			}
		}
	}
	if err := fstest.TestFS(FS(), want...); err != nil {
		t.Fatal(err)
	}
}

func TestLoad(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(m fstest.MapFS)
		want   []error  // every one must match
		naming []string // the error must name these
	}{
		{"accepts the built-in set", func(fstest.MapFS) {}, nil, nil},
		{"ignores files at the root and dot files", func(m fstest.MapFS) {
			m["README.md"] = &fstest.MapFile{Data: []byte("# templates")}
			m["en/.DS_Store"] = &fstest.MapFile{}
			m[".git/config"] = &fstest.MapFile{}
		}, nil, nil},
		{"refuses a language without a kind's file", func(m fstest.MapFS) {
			delete(m, "ar/lockout.html")
			delete(m, "en/passwordless.subject.txt")
		}, []error{ErrMissing}, []string{"ar/lockout.html", "en/passwordless.subject.txt"}},
		{"refuses a set without English", func(m fstest.MapFS) {
			for name := range m {
				if strings.HasPrefix(name, "en/") {
					delete(m, name)
				}
			}
		}, []error{ErrMissing}, []string{"en/"}},
		{"refuses an unknown file", func(m fstest.MapFS) {
			m["en/pasword.html"] = &fstest.MapFile{Data: []byte("x")}
		}, []error{ErrUnexpected}, []string{"en/pasword.html"}},
		{"refuses a directory not named by a canonical tag", func(m fstest.MapFS) {
			m["AR/lockout.txt"] = m["ar/lockout.txt"]
			m["templates/lockout.txt"] = m["ar/lockout.txt"]
		}, []error{ErrUnexpected}, []string{"AR/", "templates/"}},
		{"refuses a template that does not parse", func(m fstest.MapFS) {
			m["ar/lockout.txt"] = &fstest.MapFile{Data: []byte("{{if .Until}}")}
			m["en/passwordless.html"] = &fstest.MapFile{Data: []byte("<p>{{.Code</p>")}
		}, []error{ErrTemplate}, []string{"ar/lockout.txt", "en/passwordless.html"}},
		{"refuses a template naming an unknown field", func(m fstest.MapFS) {
			m["en/lockout.subject.txt"] = &fstest.MapFile{Data: []byte("{{if .Minutes}}{{.Password}}{{end}}")}
		}, []error{ErrTemplate}, []string{"en/lockout"}},
		{"refuses a template whose HTML context is ambiguous", func(m fstest.MapFS) {
			m["en/lockout.html"] = &fstest.MapFile{Data: []byte(`<a href="{{if .Until}}x"{{end}}>`)}
		}, []error{ErrTemplate}, []string{"en/lockout"}},
		{"refuses a language without a new kind", func(m fstest.MapFS) {
			delete(m, "ar/email-changed.txt")
			delete(m, "en/verify-email.html")
		}, []error{ErrMissing}, []string{"ar/email-changed.txt", "en/verify-email.html"}},
		{"refuses a template naming another kind's field", func(m fstest.MapFS) {
			m["ar/recovered.txt"] = &fstest.MapFile{Data: []byte("{{.Code}}")}
			m["en/activation.subject.txt"] = &fstest.MapFile{Data: []byte("{{.ExpiresMinutes}}")}
		}, []error{ErrTemplate}, []string{"ar/recovered.txt", "en/activation.subject.txt"}},
		{"refuses a template rendering past the bound", func(m fstest.MapFS) {
			m["ar/passwordless.txt"] = &fstest.MapFile{Data: []byte(`{{range 1000000}}{{$.Code}}{{end}}`)}
		}, []error{ErrTemplate, ErrTooLarge}, []string{"ar/passwordless"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := builtinFS(t)
			c.change(m)
			s, err := Load(m)
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if s.Languages()[0] != "ar" {
					t.Fatalf("Languages() = %q", s.Languages())
				}
				return
			}
			if s != nil || err == nil {
				t.Fatal("Load accepted the set")
			}
			for _, w := range c.want {
				if !errors.Is(err, w) {
					t.Errorf("err = %v, want %v", err, w)
				}
			}
			for _, name := range c.naming {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("err = %v, does not name %s", err, name)
				}
			}
		})
	}
}

func TestLoadAddsALanguage(t *testing.T) {
	m := builtinFS(t)
	for name, f := range m {
		if lang, file, _ := strings.Cut(name, "/"); lang == "en" {
			m["pt-BR/"+file] = f
		}
	}
	s, err := Load(m)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Languages(), " "); got != "ar en pt-BR" {
		t.Fatalf("Languages() = %s", got)
	}
	for lang, want := range map[string]string{"pt-BR": "pt-BR", "pt-br": "pt-BR", "pt-BR-u-nu-latn": "pt-BR", "pt": "en", "pt-PT": "en"} {
		if got := s.match(lang); got != want {
			t.Errorf("match(%q) = %s, want %s", lang, got, want)
		}
	}
}
