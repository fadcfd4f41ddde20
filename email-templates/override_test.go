package emailtemplates

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// overrides parses src or fails the test.
func overrides(t testing.TB, src map[string]map[string]Override) Overrides {
	t.Helper()
	o, err := mustNew(t).ParseOverrides(src)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestOverrideGolden renders a tenant's passwordless email (its own
// subject and HTML from testdata/override/*.tmpl, the built-in text)
// with the light brand theme, into testdata/override/*.golden.
func TestOverrideGolden(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", "override", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	o := overrides(t, map[string]map[string]Override{"en": {"passwordless": {
		Subject: read("passwordless.en.subject.tmpl"),
		HTML:    read("passwordless.en.html.tmpl"),
	}}})
	base := mustNew(t)
	r, err := base.With(sampleBrandTheme(), o).Passwordless("en", samplePasswordless())
	if err != nil {
		t.Fatal(err)
	}
	builtin, err := base.Passwordless("en", samplePasswordless())
	if err != nil {
		t.Fatal(err)
	}
	if r.Text != builtin.Text {
		t.Error("the override has no text part, yet the text is not the built-in one")
	}
	for _, part := range []struct{ ext, got string }{{"subject", r.Subject + "\n"}, {"txt", r.Text}, {"html", r.HTML}} {
		checkGolden(t, filepath.Join("override", "passwordless.en."+part.ext+".golden"), part.got)
	}
	// TestConditionsGolden checks testdata/override/ for stray goldens.
}

func TestParseOverridesRefuses(t *testing.T) {
	html := func(body string) map[string]map[string]Override {
		return map[string]map[string]Override{"en": {"passwordless": {HTML: body}}}
	}
	subject := func(s string) map[string]map[string]Override {
		return map[string]map[string]Override{"en": {"passwordless": {Subject: s}}}
	}
	manyLangs := map[string]map[string]Override{}
	for _, l := range strings.Fields("aa ab af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie") {
		manyLangs[l] = map[string]Override{"lockout": {Subject: "x"}}
	}
	for _, c := range []struct {
		name string
		src  map[string]map[string]Override
		want []error
	}{
		{"an unknown kind", map[string]map[string]Override{"en": {"password-reset": {Subject: "x"}}}, []error{ErrUnknownKind}},
		{"a language in upper case", map[string]map[string]Override{"EN": {"lockout": {Subject: "x"}}}, []error{ErrUnexpected}},
		{"a language with an underscore", map[string]map[string]Override{"pt_BR": {"lockout": {Subject: "x"}}}, []error{ErrUnexpected}},
		{"a language in the wrong case", map[string]map[string]Override{"pt-br": {"lockout": {Subject: "x"}}}, []error{ErrUnexpected}},
		{"an empty language", map[string]map[string]Override{"": {"lockout": {Subject: "x"}}}, []error{ErrUnexpected}},
		{"und", map[string]map[string]Override{"und": {"lockout": {Subject: "x"}}}, []error{ErrUnexpected}},
		{"more than 64 languages", manyLangs, []error{ErrTooLarge}},
		{"a parse error", subject("{{if .Brand}}"), []error{ErrTemplate}},
		{"an unknown field", subject("{{.Nope}}"), []error{ErrTemplate}},
		{"another kind's field", subject("{{.NewAddress}}"), []error{ErrTemplate}},
		{"define", subject(`{{define "en/passwordless.subject.txt"}}x{{end}}Sign in`), []error{ErrTemplate}},
		{"define alone", subject(`{{define "x"}}x{{end}}`), []error{ErrTemplate}},
		{"template", subject(`{{template "en/passwordless.subject.txt" .}}`), []error{ErrTemplate}},
		{"block", subject(`{{block "x" .}}Sign in{{end}}`), []error{ErrTemplate}},
		{"range", subject(`{{range 1000000000}}{{end}}Sign in`), []error{ErrTemplate}},
		{"call", subject(`{{call .Brand}}`), []error{ErrTemplate}},
		{"printf", subject(`{{printf "%099999999d" 1}}`), []error{ErrTemplate}},
		{"print", subject(`{{$x := .Brand}}{{$x = print $x $x}}{{$x}}`), []error{ErrTemplate}},
		{"index", subject(`{{index .Code 0}}`), []error{ErrTemplate}},
		{"js", subject(`{{js .Brand}}`), []error{ErrTemplate}},
		{"a source past MaxBodyLen", subject(strings.Repeat("a", MaxBodyLen+1)), []error{ErrTooLarge}},
		{"output past MaxBodyLen", html(strings.Repeat("{{.Link}}", 20000)), []error{ErrTemplate, ErrTooLarge}},
		{"invalid UTF-8", subject("Sign in \xff"), []error{ErrTemplate}},
		{"a subject that renders blank", subject("{{.App}}"), []error{ErrTemplate}},
		{"the code in the subject", subject("Your code: {{.Code}}"), []error{ErrTemplate}},
		{"the link in the subject", subject("{{.Link}}"), []error{ErrTemplate}},
		{"the new address in the subject", map[string]map[string]Override{"en": {"email-changed": {Subject: "Now {{.NewAddress}}"}}}, []error{ErrTemplate}},
		{"the code in the title", html("<title>{{.Code}}</title><p>x</p>"), []error{ErrTemplate}},
		{"the code in a link", html(`<a href="{{.Link}}&c={{.Code}}">x</a>`), []error{ErrTemplate}},
		{"a script", html("<p>x</p><script>alert(1)</script>"), []error{ErrTemplate}},
		{"a style element that loads", html("<style>p{background:url(https://evil.example/t.gif)}</style><p>x</p>"), []error{ErrTemplate}},
		{"a style element that imports", html("<style>@import 'https://evil.example/s.css';</style><p>x</p>"), []error{ErrTemplate}},
		{"a style element with an escape", html(`<style>p{background:\75rl(https://evil.example/t.gif)}</style><p>x</p>`), []error{ErrTemplate}},
		{"t of an ID the catalog lacks", html(`<p>{{t "mail.passwordless.nope"}}</p>`), []error{ErrTemplate}},
		{"t with a value of another type", html(`<p>{{t "mail.common.sent_by" "brand" .Profile}}</p>`), []error{ErrTemplate}},
		{"a language that is neither a tag nor *", map[string]map[string]Override{"**": {"passwordless": {Subject: "x"}}}, []error{ErrUnexpected}},
		{"an iframe", html(`<iframe src="https://evil.example/"></iframe>`), []error{ErrTemplate}},
		{"a form", html(`<form action="https://evil.example/"><input name="p"></form>`), []error{ErrTemplate}},
		{"an event handler", html(`<p onmouseover="x()">x</p>`), []error{ErrTemplate}},
		{"a tracking pixel", html(`<p>x</p><img src="https://tracker.example/p.gif">`), []error{ErrTemplate}},
		{"an image that is not the logo", html(`{{if .Theme.Logo}}<img src="{{.Theme.Logo}}?x">{{end}}<p>x</p>`), []error{ErrTemplate}},
		{"a background image", html(`<td background="https://x.example/b.png">x</td>`), []error{ErrTemplate}},
		{"url() in a style", html(`<p style="background:url(https://x.example/b.png)">x</p>`), []error{ErrTemplate}},
		{"a javascript: link", html(`<a href="javascript:alert(1)">x</a>`), []error{ErrTemplate}},
		{"an http link", html(`<a href="http://acme.example/">x</a>`), []error{ErrTemplate}},
		{"a relative link", html(`<a href="{{.Brand}}">x</a>`), []error{ErrTemplate}},
		{"a meta refresh", html(`<meta http-equiv="refresh" content="0;url=https://evil.example/"><p>x</p>`), []error{ErrTemplate}},
		{"an ambiguous HTML context", html(`<a href="{{if .App}}x"{{end}}>`), []error{ErrTemplate}},
	} {
		t.Run("refuses "+c.name, func(t *testing.T) {
			o, err := mustNew(t).ParseOverrides(c.src)
			if err == nil || o.m != nil {
				t.Fatal("ParseOverrides accepted it")
			}
			for _, w := range c.want {
				if !errors.Is(err, w) {
					t.Errorf("err = %v, want %v", err, w)
				}
			}
			if len(err.Error()) > 2000 {
				t.Errorf("the error is %d bytes long", len(err.Error()))
			}
		})
	}
}

// Every problem is reported at once.
func TestParseOverridesListsEveryProblem(t *testing.T) {
	_, err := mustNew(t).ParseOverrides(map[string]map[string]Override{
		"en": {"lockout": {Subject: "{{.Nope}}", HTML: "<script></script>"}, "nope": {Subject: "x"}},
		"EN": {"lockout": {Subject: "x"}},
	})
	for _, want := range []string{"override en/lockout.subject.txt", "override en/lockout.html", `"nope"`, `"EN"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, does not name %s", err, want)
		}
	}
}

func TestCheckOverride(t *testing.T) {
	if err := mustNew(t).CheckOverride("ar", "lockout", Override{Subject: "تم قفل حسابك{{with .Brand}} في {{isolate .}}{{end}}"}); err != nil {
		t.Fatal(err)
	}
	if err := mustNew(t).CheckOverride("ar", "lockout", Override{Subject: "{{.Code}}"}); !errors.Is(err, ErrTemplate) {
		t.Fatalf("err = %v, want ErrTemplate", err)
	}
	if err := mustNew(t).CheckOverride("ar", "locked", Override{Subject: "x"}); !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("err = %v, want ErrUnknownKind", err)
	}
}
