package branding

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/text/language"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
	"github.com/lintel-id/lintel/themes"
)

// AssetsPath is where the edge serves assets by ID, on every host; links
// to them in mail are made from a site's base URL and this path.
const AssetsPath = "/branding/assets/"

// EmailTheme is what an email shows of r: its colours, font and radius,
// and the logo at logoURL ("" for none; a PNG or JPEG of w×h pixels, 0
// when unknown) with brand as its alt text.
func EmailTheme(r themes.Resolved, brand, logoURL string, w, h int) emailtemplates.Theme {
	t := r.Tokens
	th := emailtemplates.Theme{
		Background: t["color-background"], Surface: t["color-surface"], Border: t["color-border"],
		Text: t["color-text"], Muted: t["color-text-muted"], Accent: t["color-primary"],
		OnAccent: t["color-on-primary"], Link: t["color-link"], Font: t["font-family"],
		Radius: emailRadius(t["radius"]), Dark: r.Base == "dark",
	}
	if th.Link == "" {
		th.Link = th.Accent
	}
	if logoURL != "" {
		th.Logo, th.LogoAlt, th.LogoWidth, th.LogoHeight = logoURL, brand, w, h
	}
	return th
}

// emailRadius converts a radius token (px or rem) to the px length
// emails take, at most 32px: mail clients know no rem.
func emailRadius(v string) string {
	n, px := 0.0, 0.0
	var err error
	switch {
	case strings.HasSuffix(v, "rem"):
		n, err = strconv.ParseFloat(strings.TrimSuffix(v, "rem"), 64)
		px = n * 16
	case strings.HasSuffix(v, "px"):
		px, err = strconv.ParseFloat(strings.TrimSuffix(v, "px"), 64)
	default:
		return emailtemplates.DefaultTheme().Radius
	}
	if err != nil || px < 0 {
		return emailtemplates.DefaultTheme().Radius
	}
	return strconv.Itoa(int(min(px, 32)+0.5)) + "px"
}

// Mail gives flows the emails of their brand and app: the built-in
// templates with the resolved theme's colours, logo and template
// overrides. It implements the engine's Branding.
type Mail struct {
	Themes    *Service
	Tenants   *tenant.Service
	Templates *emailtemplates.Set
	Logger    *slog.Logger

	mu   sync.Mutex
	sets map[string]*emailtemplates.Set // by resolved hash and base URL
}

// maxSets bounds Mail's cache of branded sets; past it, it starts again.
const maxSets = 1024

// Emails returns the emails for a flow of tenantID on the site at base
// (its base URL: the brand comes from its custom domain) for appID in
// lang, reading in the caller's tx. It never fails: what cannot be read
// is logged and the built-in set returned.
func (m *Mail) Emails(ctx context.Context, tx store.Tx, tenantID, base, appID, lang string) *emailtemplates.Set {
	set, err := m.emails(ctx, tx, tenantID, base, appID, lang)
	if err != nil {
		m.Logger.ErrorContext(ctx, "branding: the emails' theme", "err", err, "tenant", tenantID)
		return m.Templates
	}
	return set
}

func (m *Mail) emails(ctx context.Context, tx store.Tx, tenantID, base, appID, lang string) (*emailtemplates.Set, error) {
	brandID, brand, err := m.site(ctx, tx, tenantID, base)
	if err != nil {
		return nil, err
	}
	r, err := m.Themes.ResolveIn(ctx, tx, tenantID, brandID, appID, lang)
	if err != nil {
		return nil, err
	}
	return m.Set(ctx, tx, r, brand, base)
}

// Brand returns the ID of the tenant's brand whose custom domain base (a
// site's base URL) is on, "" when it is on none. It never fails: what
// cannot be read is logged and "" returned, so the tenant's sender
// serves rather than none.
func (m *Mail) Brand(ctx context.Context, tx store.Tx, tenantID, base string) string {
	brandID, _, err := m.site(ctx, tx, tenantID, base)
	if err != nil {
		m.Logger.ErrorContext(ctx, "branding: the site's brand", "err", err, "tenant", tenantID)
		return ""
	}
	return brandID
}

// site returns the brand of the site at base: its ID ("" for none) and
// the name mail shows (the brand's, else the tenant's).
func (m *Mail) site(ctx context.Context, tx store.Tx, tenantID, base string) (brandID, name string, err error) {
	t, err := m.Tenants.Tenant(ctx, tx, tenantID)
	if err != nil {
		return "", "", err
	}
	u, err := url.Parse(base)
	if err != nil || u.Hostname() == "" {
		return "", t.Name, nil
	}
	d, err := m.Tenants.DomainByHost(ctx, tx, u.Hostname())
	if errors.Is(err, store.ErrNotFound) || (err == nil && (d.TenantID != tenantID || d.BrandID == "")) {
		return "", t.Name, nil
	}
	if err != nil {
		return "", "", err
	}
	b, err := m.Tenants.Brand(ctx, tx, tenantID, d.BrandID)
	if err != nil {
		return "", "", err
	}
	return b.ID, b.Name, nil
}

// Set returns the built-in templates dressed in r: its theme, with the
// logo linked from base (a site's base URL), its email overrides (r.Emails
// in r's locale, r.EmailsAll in every language) and its texts (r.Texts
// reword the emails in r's locale).
// Sets are kept per theme and base. It reads the logo in tx.
func (m *Mail) Set(ctx context.Context, tx store.Tx, r themes.Resolved, brand, base string) (*emailtemplates.Set, error) {
	key := r.Hash + " " + base + " " + brand
	m.mu.Lock()
	set, ok := m.sets[key]
	m.mu.Unlock()
	if ok {
		return set, nil
	}
	logo, w, h := "", 0, 0
	if id := r.Tokens["logo"]; id != "" && strings.HasPrefix(base, "https://") {
		a, err := m.Themes.AssetIn(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		// Mail clients show PNG and JPEG; an SVG logo is left out.
		if a.ContentType == "image/png" || a.ContentType == "image/jpeg" {
			logo, w, h = base+AssetsPath+a.ID, a.Width, a.Height
		}
	}
	// Set.With replaces a field the emails cannot show (a brand name
	// with a control character as the logo's alt text) by the default's,
	// rather than losing the whole theme.
	th := EmailTheme(r, brand, logo, w, h)
	src := map[string]map[string]emailtemplates.Override{}
	lang := "en"
	if tag, err := language.Parse(r.Locale); err == nil {
		lang = tag.String()
	}
	// The language-neutral templates go under "*": the set serves them
	// where the locale has none of their kind (Resolve already dropped
	// the locale's templates that a more specific level's "*" beats).
	for key, byKind := range map[string]map[string]themes.EmailTemplate{lang: r.Emails, themes.AllLanguages: r.EmailsAll} {
		for kind, t := range byKind {
			if src[key] == nil {
				src[key] = map[string]emailtemplates.Override{}
			}
			src[key][kind] = emailtemplates.Override{Subject: t.Subject, Text: t.Text, HTML: t.HTML}
		}
	}
	o, err := m.Templates.ParseOverrides(src)
	if err != nil {
		return nil, err
	}
	// The texts reword the emails as they reword the pages; they are the
	// locale's, which r.Hash covers, so a set cached for one locale's
	// texts never serves another's.
	set = m.Templates.With(th, o).WithTexts(lang, r.Texts)
	m.mu.Lock()
	if m.sets == nil || len(m.sets) >= maxSets {
		m.sets = map[string]*emailtemplates.Set{}
	}
	m.sets[key] = set
	m.mu.Unlock()
	return set, nil
}
