package emailtemplates

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestConditionsGolden renders a tenant's language-neutral welcome
// override (testdata/override/welcome.all.html.tmpl), which branches on
// .Profile.region and .AppID, for a person in the EU using the shop and
// for one elsewhere without an app, in English and Arabic, into
// testdata/override/welcome.<case>.<lang>.html.golden.
func TestConditionsGolden(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "override", "welcome.all.html.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	base := mustNew(t)
	o, err := base.ParseOverrides(map[string]map[string]Override{"*": {"welcome": {HTML: string(src)}}})
	if err != nil {
		t.Fatal(err)
	}
	s := base.With(DefaultTheme(), o)
	want := map[string]bool{}
	for _, c := range []struct {
		name   string
		view   WelcomeView
		has    string
		hasNot string
	}{
		{"eu", WelcomeView{Audience: Audience{AppID: "shop", Profile: map[string]string{"region": "eu"}}, Brand: "Acme", App: "Acme Shop", Name: "Layla"},
			"stays in the EU", "worldwide"},
		{"elsewhere", WelcomeView{Audience: Audience{Profile: map[string]string{"region": "us"}}, Brand: "Acme"}, "worldwide", "stays in the EU"},
	} {
		for _, lang := range []string{"en", "ar"} {
			r, err := s.Welcome(lang, c.view)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r.HTML, c.has) || strings.Contains(r.HTML, c.hasNot) || strings.Contains(r.HTML, "Happy shopping") != (c.view.AppID == "shop") {
				t.Errorf("%s %s: the wrong paragraphs:\n%s", c.name, lang, r.HTML)
			}
			if strings.Contains(r.HTML, "<style") || strings.Contains(r.HTML, "class=") {
				t.Errorf("%s %s: CSS left to inline", c.name, lang)
			}
			file := filepath.Join("override", "welcome."+c.name+"."+lang+".html.golden")
			want[file] = true
			checkGolden(t, file, r.HTML)
		}
	}
	want[filepath.Join("override", "passwordless.en.subject.golden")] = true
	want[filepath.Join("override", "passwordless.en.txt.golden")] = true
	want[filepath.Join("override", "passwordless.en.html.golden")] = true
	checkNoStrayGoldens(t, "override", want)
}

// A missing profile, or a missing attribute, reads as "": templates may
// branch on any attribute without failing.
func TestConditionsOnMissingProfile(t *testing.T) {
	base := mustNew(t)
	o := overrides(t, map[string]map[string]Override{"en": {"lockout": {
		Text: `{{if eq .Profile.region "eu"}}EU{{else}}not EU{{end}} {{.Profile.tier}}|{{.AppID}}|{{.Locale}}`,
	}}})
	for _, p := range []map[string]string{nil, {}, {"country": "DE"}} {
		v := sampleLockout()
		v.Profile = p
		r, err := base.With(DefaultTheme(), o).Lockout("en", v)
		if err != nil || r.Text != "not EU ||en" {
			t.Errorf("profile %v: %q, %v", p, r.Text, err)
		}
	}
}

// Audience values are cleaned like every view value, and the caller's
// profile map is copied, not read while rendering.
func TestAudienceIsCleaned(t *testing.T) {
	o := overrides(t, map[string]map[string]Override{"en": {"lockout": {Text: `{{.AppID}}/{{.Profile.region}}`}}})
	v := sampleLockout()
	v.AppID, v.Profile = "sh\nop\u202e", map[string]string{"region": "e\u2066u\r"}
	r, err := mustNew(t).With(DefaultTheme(), o).Lockout("en", v)
	if err != nil || r.Text != "sh op/eu " {
		t.Errorf("%q, %v", r.Text, err)
	}
	if v.Profile["region"] != "e\u2066u\r" {
		t.Error("the caller's profile was changed")
	}
}

// Which override serves: a language-specific one, then a
// language-neutral one ("*"), then the built-in templates; t in a "*"
// override renders the email's language.
func TestLanguageNeutralOverride(t *testing.T) {
	base := mustNew(t)
	o := overrides(t, map[string]map[string]Override{
		"*":  {"lockout": {Subject: `* {{t "mail.lockout.heading"}}`}, "recovered": {Text: `{{t "mail.recovered.heading"}}`}},
		"ar": {"lockout": {Subject: "AR"}},
	})
	s := base.With(DefaultTheme(), o)
	for lang, want := range map[string]string{"en": "* Your account is locked", "ar-EG": "AR", "x-klingon": "* Your account is locked"} {
		if r, err := s.Lockout(lang, sampleLockout()); err != nil || r.Subject != want {
			t.Errorf("%s: %q, %v, want %q", lang, r.Subject, err, want)
		}
	}
	if r, err := s.Recovered("ar", sampleRecovered()); err != nil || r.Text != "تمت استعادة حسابك" {
		t.Errorf("ar recovered: %q, %v", r.Text, err)
	}
	// The built-in parts a "*" override leaves out stay the language's.
	r, err := s.Lockout("ar", sampleLockout())
	builtin, _ := base.Lockout("ar", sampleLockout())
	if err != nil || r.Text != builtin.Text || r.HTML != builtin.HTML {
		t.Errorf("ar lockout parts changed: %v", err)
	}
}

// An override of a language the catalog lacks sees its own language as
// .Locale, .Dir and in plural; the built-in parts it leaves out the
// catalog's.
func TestOverrideLanguageEnvironment(t *testing.T) {
	o := overrides(t, map[string]map[string]Override{
		"yi": {"lockout": {Subject: "{{.Locale}} {{.Dir}}", HTML: `<html lang="{{.Locale}}" dir="{{.Dir}}"><p>{{plural .Minutes}}</p></html>`}},
	})
	r, err := mustNew(t).With(DefaultTheme(), o).Lockout("yi-US", sampleLockout())
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "yi rtl" || !strings.Contains(r.HTML, `lang="yi" dir="rtl"`) || !strings.HasPrefix(r.Text, "Your account is locked") {
		t.Errorf("%+v", r)
	}
}

// t is checked when an override is saved: an unknown ID, a value of
// another type, odd parameters fail, in "*" overrides too.
func TestOverridesCallT(t *testing.T) {
	base := mustNew(t)
	for name, c := range map[string]struct {
		lang, src string
		ok        bool
	}{
		"a known ID":                 {"en", `{{t "mail.lockout.heading"}}`, true},
		"a known ID in *":            {"*", `{{t "mail.lockout.subject" "brand" (or .Brand "you")}}`, true},
		"an integer parameter":       {"*", `{{t "mail.lockout.minutes" "count" .Minutes}}`, true},
		"t in a pipeline":            {"*", `{{"mail.lockout.heading" | t}}`, true},
		"factor":                     {"*", `{{factor "passkey"}}`, true},
		"an unknown ID":              {"en", `{{t "mail.lockout.nope"}}`, false},
		"an unknown ID in *":         {"*", `{{t "mail.lockout.nope"}}`, false},
		"odd parameters":             {"en", `{{t "mail.lockout.minutes" "count"}}`, false},
		"a map as value":             {"en", `{{t "mail.lockout.minutes" "count" .Profile}}`, false},
		"t without an ID":            {"en", `{{t}}`, false},
		"t as an argument of eq":     {"en", `{{if eq t "x"}}x{{end}}y`, false},
		"a variable named like t":    {"en", `{{$t := "mail.lockout.heading"}}{{t $t}}`, true},
		"an ID built from the view":  {"en", `{{t .Brand}}`, false},
		"an ID that is not a string": {"en", `{{t .Minutes}}`, false},
	} {
		err := base.CheckOverride(c.lang, "lockout", Override{Text: c.src})
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", name, err)
		}
		if err != nil && !errors.Is(err, ErrTemplate) {
			t.Errorf("%s: %v, want ErrTemplate", name, err)
		}
	}
}

// Every call of t, plural and factor is bound to the data, wherever it
// is: nested in pipelines, branches and the layout's definitions.
func TestBindLeavesNoUnboundCall(t *testing.T) {
	s := mustNew(t)
	for _, k := range Kinds() {
		p := s.msgs[k]
		for _, tree := range []string{p.subject.Tree.Root.String(), p.text.Tree.Root.String()} {
			for _, f := range []string{"{{t ", "(t ", "plural ", "(factor "} {
				if strings.Contains(tree, f) {
					t.Errorf("%s: an unbound %q", k, f)
				}
			}
		}
		for _, tt := range p.html.Templates() {
			if tt.Tree != nil && strings.Contains(tt.Tree.Root.String(), "{{t ") {
				t.Errorf("%s %s: an unbound t", k, tt.Name())
			}
		}
	}
}

// WithTexts rewords the emails of one language with a tenant's texts,
// as pages are reworded; other languages and the set itself are
// unchanged.
func TestWithTexts(t *testing.T) {
	base := mustNew(t)
	s := base.WithTexts("en-GB", map[string]string{
		"mail.lockout.heading":   "Your Acme ID is on hold",
		"mail.common.sent_by":    "Sent with care by {brand}",
		"mail.lockout.minutes":   "Back in {count} min.",
		"mail.nope":              "ignored: not a message",
		"mail.lockout.advice":    "{unclosed",
		"mail.lockout.no_link":   "Open your app.",
		"mail.lockout.subject":   "",
		"identify.title":         "Log in",
		"mail.lockout.until":     "After {time}",
		"mail.lockout.indefinte": "typo: ignored",
	})
	v := LockoutView{Brand: "Acme", Minutes: 2}
	r, err := s.Lockout("en", v)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Your Acme ID is on hold", "Back in 2 min.", "Sent with care by Acme", "If these attempts were not yours"} {
		if !strings.Contains(r.Text+r.HTML, want) {
			t.Errorf("no %q in:\n%s", want, r.Text)
		}
	}
	for _, lang := range []string{"ar", "en"} {
		b, _ := base.Lockout(lang, v)
		if strings.Contains(b.Text+b.HTML, "on hold") {
			t.Errorf("%s: the set itself changed", lang)
		}
	}
	if ar, _ := s.Lockout("ar", v); strings.Contains(ar.Text, "on hold") {
		t.Error("English texts reworded Arabic")
	}
	// Texts for another language lie beside, and later texts over,
	// earlier ones.
	s2 := s.WithTexts("ar", map[string]string{"mail.lockout.heading": "حسابك موقوف"}).WithTexts("en", map[string]string{"mail.lockout.minutes": "{count} min."})
	en, _ := s2.Lockout("en", v)
	ar, _ := s2.Lockout("ar", v)
	if !strings.Contains(en.Text, "Your Acme ID is on hold") || !strings.Contains(en.Text, "\n2 min.") || !strings.Contains(ar.Text, "حسابك موقوف") {
		t.Errorf("stacked texts:\n%s\n%s", en.Text, ar.Text)
	}
	if s.WithTexts("en", nil) != s {
		t.Error("no texts is not the same set")
	}
	// With keeps the texts; the texts survive a theme.
	if r, _ := s.With(sampleDarkTheme(), Overrides{}).Lockout("en", v); !strings.Contains(r.Text, "on hold") {
		t.Error("With dropped the texts")
	}
}

// Sample renders the first sample view of every kind, with the set's
// theme and overrides; Kinds lists every kind once.
func TestSample(t *testing.T) {
	ks := Kinds()
	if len(ks) != 12 || len(slices.Compact(slices.Sorted(slices.Values(ks)))) != 12 {
		t.Fatalf("Kinds() = %q", ks)
	}
	ks[0] = "x"
	if Kinds()[0] != Passwordless {
		t.Fatal("Kinds returns a shared slice")
	}
	base := mustNew(t)
	o := overrides(t, map[string]map[string]Override{"en": {"welcome": {Subject: "Hello from {{.Brand}}"}}})
	s := base.With(sampleBrandTheme(), o)
	subjects := map[string]bool{}
	for _, k := range Kinds() {
		r, err := s.Sample("en", k)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if !strings.Contains(r.HTML, sampleBrandTheme().Logo) {
			t.Errorf("%s: the sample lacks the theme's logo", k)
		}
		want, _ := renderView(s, "en", samples(k)[0])
		if r != want {
			t.Errorf("%s: the sample is not the first sample view", k)
		}
		subjects[r.Subject] = true
		if ar, err := s.Sample("ar", k); err != nil || !strings.Contains(ar.HTML, `dir="rtl"`) {
			t.Errorf("%s in Arabic: %v", k, err)
		}
	}
	if !subjects["Hello from Acme"] || len(subjects) != len(Kinds()) {
		t.Errorf("subjects: %v", slices.Sorted(maps.Keys(subjects)))
	}
	if _, err := s.Sample("en", "password-reset"); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
}
