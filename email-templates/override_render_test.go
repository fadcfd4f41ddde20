package emailtemplates

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// How a set renders with overrides: which language and parts win, and
// what stays as for built-ins.
func TestOverridesRender(t *testing.T) {
	base := mustNew(t)
	o := overrides(t, map[string]map[string]Override{
		"ar": {"lockout": {Subject: "AR lockout override"}},
		"hy": {"lockout": {Subject: "Հաշիվը արգելափակված է", Text: "Compte {{plural .Minutes}}"}},
		"en": {"recovered": {HTML: "<p>EN recovered override</p>"}},
		"sw": {"lockout": {Subject: "", Text: "", HTML: ""}}, // empty: left out
	})
	s := base.With(DefaultTheme(), o)
	builtin := func(lang string, k Kind) Rendered {
		r, err := renderView(base, lang, sampleView(k))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, c := range []struct {
		name, lang string
		kind       Kind
		subject    string // "" for the built-in one in lang
		text, html string // "" for the built-in ones in builtin
		builtin    string // the built-in language for the other parts; "" for the catalog's match
	}{
		{"uses an ar override for ar-EG", "ar-EG", Lockout, "AR lockout override", "", "", "ar"},
		{"uses an hy override although the catalog lacks Armenian", "hy", Lockout, "Հաշիվը արգելափակված է", "Compte other", "", ""},
		{"uses an hy override for hy-AM, with Armenian plurals", "hy-AM", Lockout, "Հաշիվը արգելափակված է", "Compte other", "", ""},
		{"uses the English override for a language the catalog serves in English", "x-klingon", Recovered, "", "", "<p>EN recovered override</p>", "en"},
		{"prefers a built-in language to the English override", "ar", Recovered, "", "", "", "ar"},
		{"keeps other kinds built in", "ar", Passwordless, "", "", "", "ar"},
		{"leaves out an empty override", "sw", Lockout, "", "", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := renderView(s, c.lang, sampleView(c.kind))
			if err != nil {
				t.Fatal(err)
			}
			lang := c.builtin
			if lang == "" {
				lang = base.localizer(c.lang).Lang()
			}
			want := builtin(lang, c.kind)
			if c.subject != "" {
				want.Subject = c.subject
			}
			if c.text != "" {
				want.Text = c.text
			}
			if c.html != "" {
				want.HTML = c.html
			}
			if r != want {
				t.Fatalf("got %+v\nwant %+v", r, want)
			}
		})
	}
	if _, ok := o.m["sw"]; ok {
		t.Error("an override with every part empty was kept")
	}
	// Armenian counts 0 as "one", English as "other": plural follows
	// the override's language.
	v := sampleLockout()
	v.Minutes = 0
	if r, err := s.Lockout("hy", v); err != nil || r.Text != "Compte one" {
		t.Errorf("hy plural of 0: %q, %v", r.Text, err)
	}
}

// An override changes nothing of what the Set method checks and cleans
// before rendering, and html/template escapes its values by context.
func TestOverridesAreEscapedAndChecked(t *testing.T) {
	o := overrides(t, map[string]map[string]Override{"en": {
		"passwordless": {
			Subject: "Sign in",
			Text:    "{{.Brand}}",
			HTML:    `<!--[if mso]><p>Outlook only</p><![endif]--><p title="{{.Brand}}">{{.Brand}} {{isolate .App}}</p><a href="{{.Link}}">go</a>`,
		},
	}})
	s := mustNew(t).With(DefaultTheme(), o)
	v := samplePasswordless()
	v.Brand, v.App = `<script>alert("x")</script>`, "a\u202eb\nc"
	r, err := s.Passwordless("en", v)
	if err != nil {
		t.Fatal(err)
	}
	want := `<p title="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;">&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; ` + "\u2068ab c\u2069" +
		`</p><a href="https://login.acme.example/magic/confirm?flow=f_1&amp;t=q2Xv-9_kLm~A%2Fz#x">go</a>`
	if r.HTML != want {
		t.Errorf("HTML = %q\nwant %q (comments stripped, values escaped and cleaned)", r.HTML, want)
	}
	if r.Text != v.Brand {
		t.Errorf("text = %q", r.Text)
	}
	v.Link = "javascript:alert(1)"
	if _, err := s.Passwordless("en", v); !errors.Is(err, ErrBadLink) {
		t.Errorf("err = %v, want ErrBadLink", err)
	}
}

// FuzzParseOverrides parses random overrides: ParseOverrides never
// panics, and an accepted override renders every sample view of its
// kind, and another view, in every sample theme within the bounds; for
// the sample views, with no secret in the subject and nothing checkHTML
// refuses in the HTML. (Other views may differ: the checks render
// samples, they do not prove what a template does with every value.)
func FuzzParseOverrides(f *testing.F) {
	for _, seed := range []struct{ lang, kind, subject, text, html string }{
		{"en", "passwordless", "Sign in{{with .Brand}} to {{.}}{{end}}", "{{.Code}}\n{{.Link}}", `<p>{{.Code}}</p><a href="{{.Link}}">x</a>`},
		{"ar", "lockout", "{{isolate .Brand}}", "{{plural .Minutes}}", `<p style="color:{{.Theme.Text}}">x</p>`},
		{"pt-BR", "email-changed", "", "{{.NewAddress}}", `{{if .Theme.Logo}}<img src="{{.Theme.Logo}}">{{end}}<p>x</p>`},
		{"fr", "recovered", `{{define "x"}}{{end}}`, "{{range 10}}x{{end}}", "<script>x</script>"},
		{"EN", "nope", "{{.Nope}}", "{{printf \"%d\" 1}}", "<a href=\"javascript:x\">x</a>"},
		{"en", "verify-email", "{{if .Code}}Code{{else}}Link{{end}}", "{{len .Link}}", `<a href="{{.Link}}" title="{{.Code}}">{{.App}}</a>`},
		{"en", "activation", "{{/* c */}}Hi {{$x := .Name}}{{$x}}", "{{.Name | isolate | isolate}}", "<p>{{.Theme.Font}}</p>"},
	} {
		f.Add(seed.lang, seed.kind, seed.subject, seed.text, seed.html)
	}
	base := mustNew(f)
	f.Fuzz(func(t *testing.T, lang, kind, subject, text, html string) {
		o, err := mustNew(t).ParseOverrides(map[string]map[string]Override{lang: {kind: {Subject: subject, Text: text, HTML: html}}})
		if err != nil {
			if !errors.Is(err, ErrTemplate) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrUnknownKind) && !errors.Is(err, ErrUnexpected) {
				t.Fatalf("err = %v, wraps no sentinel", err)
			}
			return
		}
		if o.m[lang] == nil {
			if subject != "" || text != "" || html != "" {
				t.Fatal("a non-empty override was dropped")
			}
			return
		}
		k := Kind(kind)
		for name, theme := range sampleThemesByName() {
			s := base.With(theme, o)
			views := samples(k)
			for i, v := range append(views, sampleView(k)) {
				r, err := renderView(s, lang, v)
				if err != nil {
					t.Fatalf("%s theme, %+v: %v", name, v, err)
				}
				if len(r.Subject) > MaxSubjectLen || len(r.Text) > MaxBodyLen || len(r.HTML) > MaxBodyLen ||
					strings.ContainsAny(r.Subject, "\r\n") || !utf8.ValidString(r.Subject+r.Text+r.HTML) {
					t.Fatalf("%s theme: out of bounds: %d, %d, %d bytes", name, len(r.Subject), len(r.Text), len(r.HTML))
				}
				if i == len(views) {
					continue
				}
				code, secrets := secretsOf(v)
				if showsAny(r.Subject, secrets) {
					t.Fatalf("%s theme: the subject %q shows a secret", name, r.Subject)
				}
				if p := checkHTML(r.HTML, theme.Logo, code, secrets); len(p) > 0 {
					t.Fatalf("%s theme: %q", name, p)
				}
			}
		}
	})
}
