package branding

import (
	"context"
	"log/slog"
	"maps"
	"strings"
	"testing"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/locales"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/themes"
)

// A level's texts reword its emails in their locale, and the set Mail
// keeps for one locale's texts never serves another locale: the
// resolved hash, part of the cache key, covers the locale and the texts.
func TestMailSetAppliesTheLocalesTexts(t *testing.T) {
	cat, err := locales.Load(locales.FS())
	if err != nil {
		t.Fatal(err)
	}
	set, err := emailtemplates.New(cat)
	if err != nil {
		t.Fatal(err)
	}
	m := &Mail{Templates: set, Logger: slog.New(slog.DiscardHandler)}
	doc := themes.Document{Texts: map[string]map[string]string{
		"en": {"mail.lockout.heading": "Your Acme ID is on hold"},
		"ar": {"mail.lockout.heading": "حسابك موقوف مؤقتًا"},
	}}
	ctx := context.Background()
	v := emailtemplates.LockoutView{Brand: "Acme", Minutes: 5}
	for _, c := range []struct{ locale, want, not string }{
		{"en", "Your Acme ID is on hold", "حسابك موقوف"},
		{"ar", "حسابك موقوف مؤقتًا", "on hold"},
		{"en", "Your Acme ID is on hold", "حسابك موقوف"}, // from the cache
		{"ar-EG", "حسابك موقوف مؤقتًا", "on hold"},
	} {
		r := themes.Resolve(c.locale, doc)
		s, err := m.Set(ctx, nil, r, "Acme", "https://login.acme.example")
		if err != nil {
			t.Fatal(err)
		}
		msg, err := s.Lockout(c.locale, v)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(msg.Text, c.want) || strings.Contains(msg.Text, c.not) {
			t.Errorf("%s: %q", c.locale, msg.Text)
		}
	}
	if en, ar := themes.Resolve("en", doc), themes.Resolve("ar", doc); en.Hash == ar.Hash {
		t.Fatal("the resolved hash does not tell the locales apart")
	}
	if len(m.sets) != 3 {
		t.Errorf("%d cached sets, want one per locale (en, ar, ar-EG)", len(m.sets))
	}
	// Without texts the built-in wording stays.
	s, err := m.Set(ctx, nil, themes.Resolve("en"), "Acme", "https://login.acme.example")
	if err != nil {
		t.Fatal(err)
	}
	if msg, _ := s.Lockout("en", v); !strings.Contains(msg.Text, "Your account is locked") {
		t.Errorf("built-in: %q", msg.Text)
	}
}

// A tenant's language-neutral ("*") override is saved (checked in every
// language of the catalog), published and served to flows in every
// language, its t texts in the flow's language and its conditions on
// the person's profile; the tenant's own override for a language wins
// for that language, and an app's "*" override beats the tenant's
// override for a language (the more specific level wins).
func TestMailServesLanguageNeutralOverrides(t *testing.T) {
	cat, err := locales.Load(locales.FS())
	if err != nil {
		t.Fatal(err)
	}
	set, err := emailtemplates.New(cat)
	if err != nil {
		t.Fatal(err)
	}
	checks := themes.Checks{Text: cat.CheckText, Email: func(lang, kind string, t themes.EmailTemplate) error {
		return set.CheckOverride(lang, kind, emailtemplates.Override{Subject: t.Subject, Text: t.Text, HTML: t.HTML})
	}}
	neutral := themes.EmailTemplate{
		Subject: `{{with or .App .Brand}}{{t "mail.passwordless.subject" "app" .}}{{else}}{{t "mail.passwordless.subject_no_app"}}{{end}} ✦`,
		Text: `{{t "mail.passwordless.enter_code"}} {{.Code}}
{{if eq .Profile.region "eu"}}EU-DATA{{else}}WORLD-DATA{{end}}
`,
		HTML: `<html lang="{{.Locale}}" dir="{{.Dir}}"><p>{{t "mail.passwordless.button"}}: <a href="{{.Link}}">{{.Link}}</a></p>
{{- if eq .Profile.region "eu"}}<p>EU-DATA</p>{{end}}</html>`,
	}
	eachBackend(t, func(t *testing.T, e *env) {
		svc, err := New(Deps{Store: e.st, Tenants: e.tenants, Clock: e.clk, MAC: testMAC, Checks: checks})
		if err != nil {
			t.Fatal(err)
		}
		e.svc = svc
		// The check runs in every language: a t of an ID the catalog
		// lacks is refused at the "*" key, and nothing is saved.
		before := e.rows(t)
		err = e.do(t, func(ctx context.Context, tx store.Tx) error {
			_, _, err := svc.SaveDraft(ctx, tx, e.a.ID, e.a.ID, themes.Document{Emails: map[string]map[string]themes.EmailTemplate{
				"*": {"passwordless": {Text: `{{t "mail.no.such"}} {{.Code}}`}}}})
			return err
		})
		wantFields(t, err, "emails.*.passwordless")
		if after := e.rows(t); !maps.Equal(before, after) {
			t.Fatalf("a refused draft changed rows: %v, then %v", before, after)
		}
		e.saveAndPublish(t, e.a.ID, themes.Document{Emails: map[string]map[string]themes.EmailTemplate{
			"*":  {"passwordless": neutral},
			"fr": {"passwordless": {Text: "FR-OVERRIDE {{.Code}}"}},
		}})
		m := &Mail{Themes: svc, Tenants: e.tenants, Templates: set, Logger: slog.New(slog.DiscardHandler)}
		send := func(t *testing.T, appID, lang, region string) emailtemplates.Rendered {
			t.Helper()
			var msg emailtemplates.Rendered
			e.must(t, func(ctx context.Context, tx store.Tx) error {
				s := m.Emails(ctx, tx, e.a.ID, "https://tenant-a.id.example.com", appID, lang)
				msg, err = s.Passwordless(lang, emailtemplates.PasswordlessView{
					Audience: emailtemplates.Audience{AppID: appID, Profile: map[string]string{"region": region}},
					Brand:    "Acme", Code: "493817", Link: "https://tenant-a.id.example.com/magic/abc", ExpiresMinutes: 10,
				})
				return err
			})
			return msg
		}
		for _, c := range []struct {
			lang, region, subject, text, html string
			not                               []string
		}{
			{"de", "eu", "Bei Acme anmelden ✦", "Geben Sie diesen Code auf der Anmeldeseite ein: 493817\nEU-DATA",
				`<html lang="de" dir="ltr"><p>Anmelden:`, []string{"WORLD-DATA"}},
			{"de-AT", "us", "Bei Acme anmelden ✦", "Geben Sie diesen Code auf der Anmeldeseite ein: 493817\nWORLD-DATA",
				`<p>Anmelden:`, []string{"EU-DATA"}},
			{"ar", "eu", "تسجيل الدخول إلى \u2068Acme\u2069 ✦", "أدخل هذا الرمز في صفحة تسجيل الدخول: 493817\nEU-DATA",
				`<html lang="ar" dir="rtl"><p>تسجيل الدخول:`, []string{"WORLD-DATA"}},
			{"ar-EG", "", "تسجيل الدخول إلى \u2068Acme\u2069 ✦", "أدخل هذا الرمز في صفحة تسجيل الدخول: 493817\nWORLD-DATA",
				`dir="rtl"><p>تسجيل الدخول:`, []string{"EU-DATA"}},
			// The tenant's French override serves French: its text part,
			// the built-in subject and HTML.
			{"fr", "eu", "", "FR-OVERRIDE 493817", "493817", []string{"EU-DATA", "WORLD-DATA", "✦"}},
		} {
			t.Run(c.lang+"/"+c.region, func(t *testing.T) {
				msg := send(t, "", c.lang, c.region)
				if !strings.Contains(msg.Subject, c.subject) || !strings.Contains(msg.Text, c.text) || !strings.Contains(msg.HTML, c.html) {
					t.Errorf("subject %q\ntext %q\nhtml %q", msg.Subject, msg.Text, msg.HTML)
				}
				for _, s := range c.not {
					if strings.Contains(msg.Subject+msg.Text+msg.HTML, s) {
						t.Errorf("shows %q: %q %q", s, msg.Subject, msg.Text)
					}
				}
			})
		}
		// An app's "*" override beats the tenant's French one for the app's
		// flows, and leaves the tenant's "*" one to the tenant's other apps.
		app := e.app[e.a.ID]
		e.saveAndPublish(t, app, themes.Document{Emails: map[string]map[string]themes.EmailTemplate{
			"*": {"passwordless": {Text: "APP-ALL {{.Code}} {{t \"mail.passwordless.button\"}}"}}}})
		if msg := send(t, app, "fr", "eu"); !strings.Contains(msg.Text, "APP-ALL 493817 Se connecter") || strings.Contains(msg.Text, "FR-OVERRIDE") {
			t.Errorf("the app's * override in French: %q", msg.Text)
		}
		if msg := send(t, app, "de", "eu"); !strings.Contains(msg.Text, "APP-ALL 493817 Anmelden") || strings.Contains(msg.Subject, "✦") {
			t.Errorf("the app's * override in German: %q %q", msg.Subject, msg.Text)
		}
		if msg := send(t, "", "fr", "eu"); !strings.Contains(msg.Text, "FR-OVERRIDE") {
			t.Errorf("without the app: %q", msg.Text)
		}
	})
}
