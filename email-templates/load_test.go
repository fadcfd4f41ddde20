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
	want := []string{"templates/layout.html"}
	for _, kind := range []string{"passwordless", "lockout", "activation", "verify-email", "recovery", "recovered", "email-change", "email-changed",
		"welcome", "password-changed", "factor-enrolled", "new-device"} {
		for _, ext := range []string{".subject.txt", ".txt", ".html"} {
			want = append(want, "templates/"+kind+ext)
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
		{"ignores files outside templates/ and dot files", func(m fstest.MapFS) {
			m["README.md"] = &fstest.MapFile{Data: []byte("# templates")}
			m["templates/.DS_Store"] = &fstest.MapFile{}
			m[".git/config"] = &fstest.MapFile{}
		}, nil, nil},
		{"refuses a kind without a file", func(m fstest.MapFS) {
			delete(m, "templates/lockout.html")
			delete(m, "templates/passwordless.subject.txt")
		}, []error{ErrMissing}, []string{"templates/lockout.html", "templates/passwordless.subject.txt"}},
		{"refuses a set without its layout", func(m fstest.MapFS) {
			delete(m, "templates/layout.html")
		}, []error{ErrMissing}, []string{"layout.html"}},
		{"refuses a set without templates/", func(m fstest.MapFS) {
			for name := range m {
				delete(m, name)
			}
			m["en/passwordless.txt"] = &fstest.MapFile{Data: []byte("x")}
		}, []error{ErrMissing}, []string{"templates"}},
		{"refuses an unknown file or directory", func(m fstest.MapFS) {
			m["templates/pasword.html"] = &fstest.MapFile{Data: []byte("x")}
			m["templates/en/lockout.txt"] = m["templates/lockout.txt"]
		}, []error{ErrUnexpected}, []string{"templates/pasword.html", "templates/en"}},
		{"refuses a template that does not parse", func(m fstest.MapFS) {
			m["templates/lockout.txt"] = &fstest.MapFile{Data: []byte("{{if .Until}}")}
			m["templates/passwordless.html"] = &fstest.MapFile{Data: []byte("<p>{{.Code</p>")}
		}, []error{ErrTemplate}, []string{"templates/lockout.txt", "templates/passwordless.html"}},
		{"refuses a template naming an unknown field", func(m fstest.MapFS) {
			m["templates/lockout.subject.txt"] = &fstest.MapFile{Data: []byte("{{if .Minutes}}{{.Password}}{{end}}")}
		}, []error{ErrTemplate}, []string{"templates/lockout"}},
		{"refuses a template naming a message the catalog lacks", func(m fstest.MapFS) {
			m["templates/recovered.subject.txt"] = &fstest.MapFile{Data: []byte(`{{t "mail.recovered.subjet"}}`)}
		}, []error{ErrTemplate}, []string{"templates/recovered.subject.txt", "mail.recovered.subjet"}},
		{"refuses a template calling t with odd parameters", func(m fstest.MapFS) {
			m["templates/welcome.txt"] = &fstest.MapFile{Data: []byte(`{{t "mail.welcome.heading_name" "name"}}`)}
		}, []error{ErrTemplate}, []string{"templates/welcome.txt", "pairs"}},
		{"refuses a template whose HTML context is ambiguous", func(m fstest.MapFS) {
			m["templates/lockout.html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}<a href="{{if .Until}}x"{{end}}>{{end}}`)}
		}, []error{ErrTemplate}, []string{"templates/lockout"}},
		{"refuses a template naming another kind's field", func(m fstest.MapFS) {
			m["templates/recovered.txt"] = &fstest.MapFile{Data: []byte("{{.Code}}")}
			m["templates/activation.subject.txt"] = &fstest.MapFile{Data: []byte("{{.ExpiresMinutes}}")}
		}, []error{ErrTemplate}, []string{"templates/recovered.txt", "templates/activation.subject.txt"}},
		{"refuses a template rendering past the bound", func(m fstest.MapFS) {
			m["templates/passwordless.txt"] = &fstest.MapFile{Data: []byte(`{{range 1000000}}{{$.Code}}{{end}}`)}
		}, []error{ErrTemplate, ErrTooLarge}, []string{"templates/passwordless"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := builtinFS(t)
			c.change(m)
			s, err := Load(m, mustCatalog(t))
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if s.Languages()[0] != "en" {
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
	if _, err := Load(FS(), nil); !errors.Is(err, ErrMissing) {
		t.Errorf("Load without a catalog: %v", err)
	}
}
