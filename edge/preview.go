package edge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/text/language"

	"github.com/lintel-id/lintel/edge/pages"
	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/locales"
	"github.com/lintel-id/lintel/server/branding"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
	"github.com/lintel-id/lintel/themes"
)

// ErrNoScreen is returned (wrapped, with store.ErrNotFound) for a screen
// or an email kind a preview does not know.
var ErrNoScreen = errors.New("no such screen")

// Previewer renders every screen and every email with a theme, from
// sample data: the management API's previews and the studio's. It is
// safe for concurrent use.
type Previewer struct {
	d      PreviewerDeps
	assets *fileSet
	looks  looks
}

// PreviewerDeps are a Previewer's dependencies, all required but Mail.
type PreviewerDeps struct {
	Store   store.Store
	Tenants *tenant.Service
	Locales *locales.Catalog
	// Mail renders the emails; nil previews screens only.
	Mail *branding.Mail
}

// NewPreviewer returns the previewer of the hosted pages. It stands
// apart from the edge's handler, which the management API it serves is
// part of.
func NewPreviewer(d PreviewerDeps) (*Previewer, error) {
	if d.Store == nil || d.Tenants == nil || d.Locales == nil {
		return nil, errors.New("edge: the previewer needs Store, Tenants and Locales")
	}
	files, err := newPageAssets()
	if err != nil {
		return nil, err
	}
	return &Previewer{d: d, assets: files}, nil
}

// Screens names every screen, in the catalog's order.
func (p *Previewer) Screens() []string {
	var names []string
	for _, s := range pages.Screens() {
		names = append(names, s.Name)
	}
	return names
}

// Emails names every email kind.
func (p *Previewer) Emails() []string {
	var kinds []string
	for _, k := range sampleEmails {
		kinds = append(kinds, string(k.kind))
	}
	return kinds
}

// Screen renders screen with r as a whole page of tenantID's, in r's
// locale. The page refers to Lintel's stylesheet on the same origin and
// carries the theme's tokens in a <style> without a nonce: serve it
// under previewCSP.
func (p *Previewer) Screen(ctx context.Context, tenantID string, r themes.Resolved, screen string) ([]byte, error) {
	sc, ok := pages.ScreenByName(screen)
	if !ok {
		return nil, fmt.Errorf("edge: preview %q: %w: %w", screen, ErrNoScreen, store.ErrNotFound)
	}
	brand, _, err := p.tenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	l := p.d.Locales.Localizer(p.d.Locales.Match(r.Locale, "", ""))
	pg := pages.Page{L: l, Title: sc.Title, CSRF: "preview", Brand: pages.Brand{Name: brand}, Assets: p.assets}
	lk, err := p.looks.of(r)
	if err != nil {
		return nil, fmt.Errorf("edge: preview %q: %w", screen, err)
	}
	pg.Theme, pg.L = lk.theme, lk.localizer(l)
	var b bytes.Buffer
	if err := sc.Render(pg).Render(ctx, &b); err != nil {
		return nil, fmt.Errorf("edge: preview %q: %w", screen, err)
	}
	return b.Bytes(), nil
}

// Email renders a sample email of kind with r, as tenantID's site would
// send it in r's locale.
func (p *Previewer) Email(ctx context.Context, tenantID string, r themes.Resolved, kind string) (subject, html, text string, err error) {
	i := -1
	for j, k := range sampleEmails {
		if string(k.kind) == kind {
			i = j
		}
	}
	if i < 0 || p.d.Mail == nil {
		return "", "", "", fmt.Errorf("edge: preview email %q: %w: %w", kind, ErrNoScreen, store.ErrNotFound)
	}
	brand, base, err := p.tenant(ctx, tenantID)
	if err != nil {
		return "", "", "", err
	}
	var set *emailtemplates.Set
	err = p.d.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		set, err = p.d.Mail.Set(ctx, tx, r, brand, base)
		return err
	})
	if err != nil {
		return "", "", "", fmt.Errorf("edge: preview email %q: %w", kind, err)
	}
	lang := "en"
	if tag, err := language.Parse(r.Locale); err == nil {
		lang = tag.String()
	}
	m, err := sampleEmails[i].render(set, lang, brand, base)
	if err != nil {
		return "", "", "", fmt.Errorf("edge: preview email %q: %w", kind, err)
	}
	return m.Subject, m.HTML, m.Text, nil
}

// tenant returns the tenant's name and its site's base URL.
func (p *Previewer) tenant(ctx context.Context, tenantID string) (name, base string, err error) {
	err = p.d.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		t, err := p.d.Tenants.Tenant(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		name = t.Name
		base, err = p.d.Tenants.SiteBase(ctx, tx, tenantID)
		return err
	})
	return name, base, err
}

// sampleEmail is one email kind with a sample view.
type sampleEmail struct {
	kind   emailtemplates.Kind
	render func(s *emailtemplates.Set, lang, brand, base string) (emailtemplates.Rendered, error)
}

// sampleEmails has a sample of every kind, as a sign-in on the tenant's
// site would send it. Links use https: an http base (a test instance)
// shows an example host instead.
var sampleEmails = []sampleEmail{
	{emailtemplates.Passwordless, func(s *emailtemplates.Set, lang, brand, base string) (emailtemplates.Rendered, error) {
		return s.Passwordless(lang, emailtemplates.PasswordlessView{Brand: brand, App: "Acme Shop", Code: "123456", Link: sampleLink(base, "/signin/email/sample"),
			ExpiresMinutes: 10, RequestedAt: "2026-03-14 09:26 UTC", IP: "203.0.113.7"})
	}},
	{emailtemplates.Lockout, func(s *emailtemplates.Set, lang, brand, base string) (emailtemplates.Rendered, error) {
		return s.Lockout(lang, emailtemplates.LockoutView{Brand: brand, App: "Acme Shop", Until: "2026-03-14 09:56 UTC", Minutes: 30, Attempts: 5})
	}},
	{emailtemplates.Activation, func(s *emailtemplates.Set, lang, brand, base string) (emailtemplates.Rendered, error) {
		return s.Activation(lang, emailtemplates.ActivationView{Brand: brand, App: "Acme Shop", Link: sampleLink(base, "/activate/sample"), ExpiresHours: 72, Name: "Layla"})
	}},
	{emailtemplates.VerifyEmail, func(s *emailtemplates.Set, lang, brand, base string) (emailtemplates.Rendered, error) {
		return s.VerifyEmail(lang, emailtemplates.VerifyEmailView{Brand: brand, App: "Acme Shop", Code: "482913", Link: sampleLink(base, "/verify-email/sample"), ExpiresMinutes: 15})
	}},
	{emailtemplates.Recovery, func(s *emailtemplates.Set, lang, brand, base string) (emailtemplates.Rendered, error) {
		return s.Recovery(lang, emailtemplates.RecoveryView{Brand: brand, App: "Acme Shop", Code: "705162", Link: sampleLink(base, "/signin/email/sample"),
			ExpiresMinutes: 10, RequestedAt: "2026-03-14 09:26 UTC", IP: "203.0.113.7"})
	}},
	{emailtemplates.Recovered, func(s *emailtemplates.Set, lang, brand, base string) (emailtemplates.Rendered, error) {
		return s.Recovered(lang, emailtemplates.RecoveredView{Brand: brand, At: "2026-03-14 09:31 UTC", IP: "203.0.113.7"})
	}},
	{emailtemplates.EmailChange, func(s *emailtemplates.Set, lang, brand, base string) (emailtemplates.Rendered, error) {
		return s.EmailChange(lang, emailtemplates.EmailChangeView{Brand: brand, App: "Acme Shop", Code: "319548", Link: sampleLink(base, "/signin/email/sample"), ExpiresMinutes: 30})
	}},
	{emailtemplates.EmailChanged, func(s *emailtemplates.Set, lang, brand, base string) (emailtemplates.Rendered, error) {
		return s.EmailChanged(lang, emailtemplates.EmailChangedView{Brand: brand, NewAddress: "j•••@example.com", At: "2026-03-14 09:40 UTC"})
	}},
}

// sampleLink is a link on the site at base, or on an example host when
// base is not https (emails carry https links only).
func sampleLink(base, path string) string {
	if !strings.HasPrefix(base, "https://") {
		base = "https://login.example.com"
	}
	return base + path
}
