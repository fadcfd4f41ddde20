package edge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

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
	for _, k := range emailtemplates.Kinds() {
		kinds = append(kinds, string(k))
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
// send it in r's locale: the kind's sample view (emailtemplates'
// Set.Sample) with the site's theme, overrides and texts.
func (p *Previewer) Email(ctx context.Context, tenantID string, r themes.Resolved, kind string) (subject, html, text string, err error) {
	if !slices.Contains(emailtemplates.Kinds(), emailtemplates.Kind(kind)) || p.d.Mail == nil {
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
	m, err := set.SampleFor(r.Locale, emailtemplates.Kind(kind), emailtemplates.Site{Brand: brand, Base: base})
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
