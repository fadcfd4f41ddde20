package branding

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/locales"
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
