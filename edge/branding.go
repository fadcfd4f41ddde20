package edge

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/locales"
	"github.com/lintel-id/lintel/server/branding"
	"github.com/lintel-id/lintel/themes"
	"github.com/lintel-id/lintel/themes/pagetemplate"
)

// Branding gives the look of pages. *branding.Service implements it; it
// is safe for concurrent use.
type Branding interface {
	// Resolve returns the published look: the branding cascade
	// (instance → tenant → brand → app → locale) for the brand of the
	// site's custom domain ("" for none) and the app ("" for none). It
	// is cheap when nothing changed (cached per publish generation).
	Resolve(ctx context.Context, tenantID, brandID, appID, locale string) (themes.Resolved, error)
	// Preview resolves with version number (0: the draft) of scopeID in
	// place of its live version.
	Preview(ctx context.Context, tenantID, brandID, appID, locale, scopeID string, number int) (themes.Resolved, error)
	// OpenTicket checks a preview ticket (branding.ErrTicket if bad).
	OpenTicket(token string) (branding.Ticket, error)
	// Asset returns a stored logo, favicon or background by ID
	// (store.ErrNotFound when there is none).
	Asset(ctx context.Context, id string) (branding.Asset, error)
}

// AssetsPrefix is where brand assets (logos, favicons, backgrounds) are
// served, on every host: pages and emails refer to them by ID.
const AssetsPrefix = branding.AssetsPath

// assetURL is the path of a brand asset.
func assetURL(id string) string { return AssetsPrefix + id }

// looks turns resolved themes into what pages render: the CSS of the
// tokens and the compiled page template, kept per theme hash (a theme's
// hash changes whenever anything in it does).
type looks struct {
	mu sync.Mutex
	m  map[string]*look
}

// look is one resolved theme, ready for pages.
type look struct {
	theme pages.Theme
	texts map[string]string
	// styles and scripts are the page template's origins.
	styles, scripts []string
	// loc is the localizer with the texts, made once: a look is of one
	// locale (its hash covers it), so its base localizer is always the
	// same.
	once sync.Once
	loc  *locales.Localizer
}

// localizer returns l with the look's texts.
func (lk *look) localizer(l *locales.Localizer) *locales.Localizer {
	if len(lk.texts) == 0 {
		return l
	}
	lk.once.Do(func() { lk.loc = l.WithTexts(lk.texts) })
	if lk.loc.Lang() != l.Lang() {
		return l.WithTexts(lk.texts)
	}
	return lk.loc
}

// maxLooks bounds the cache; past it, it starts again (themes are few,
// and rebuilding one is cheap).
const maxLooks = 4096

// of returns the look of r, building it once per hash. A theme that does
// not render (it was validated when saved, so this means a bug) is
// logged by the caller and Lintel's own look shown.
func (c *looks) of(r themes.Resolved) (*look, error) {
	c.mu.Lock()
	l, ok := c.m[r.Hash]
	c.mu.Unlock()
	if ok {
		return l, nil
	}
	css, err := themes.CSS(r.Tokens, assetURL)
	if err != nil {
		return nil, err
	}
	l = &look{theme: pages.Theme{CSS: css, Dark: r.Base == "dark"}, texts: r.Texts}
	if id := r.Tokens["logo"]; id != "" {
		l.theme.Logo = assetURL(id)
	}
	if id := r.Tokens["favicon"]; id != "" {
		l.theme.Favicon = assetURL(id)
	}
	if r.PageTemplate != "" {
		if l.theme.Template, err = pagetemplate.Compile(r.PageTemplate, r.StyleOrigins, r.ScriptOrigins); err != nil {
			return nil, err
		}
		l.styles, l.scripts = r.StyleOrigins, r.ScriptOrigins
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxLooks {
		c.m = map[string]*look{}
	}
	c.m[r.Hash] = l
	c.mu.Unlock()
	return l, nil
}

// look returns the published look of the request's site (its custom
// domain's brand) and of app (a client ID, "" for none) in lang; false
// without Branding, outside a site, or when the look cannot be read
// (logged): a theme never stops a sign-in.
func (s *siteHandlers) look(ctx context.Context, app, lang string) (*look, bool) {
	site, ok := SiteFrom(ctx)
	if s.branding == nil || !ok {
		return nil, false
	}
	brandID := ""
	if site.Domain != nil {
		brandID = site.Domain.BrandID
	}
	r, err := s.branding.Resolve(ctx, site.Tenant.ID, brandID, app, lang)
	if err != nil {
		s.log.ErrorContext(ctx, "edge: resolve the theme", "err", err)
		return nil, false
	}
	lk, err := s.looks.of(r)
	if err != nil {
		s.log.ErrorContext(ctx, "edge: render the theme", "err", err, "theme", r.Hash)
		return nil, false
	}
	return lk, true
}

// theme dresses p in the look of the site's brand and of app (a client
// ID, "" for pages outside a flow) in p's language: tokens, logo,
// favicon, page template and texts. Without a look the page keeps
// Lintel's own.
func (s *siteHandlers) theme(ctx context.Context, p *pages.Page, l *locales.Localizer, appID string) {
	lk, ok := s.look(ctx, appID, l.Lang())
	if !ok {
		return
	}
	p.Theme = lk.theme
	p.L = lk.localizer(l)
	if p.Theme.Logo != "" && p.Brand.Name == "" {
		p.Brand = s.brand(ctx) // the logo's alt text
	}
	if lk.theme.Template != nil {
		allowBrandOrigins(ctx, lk.styles, lk.scripts)
	}
}

// themeCSS is GET /branding/theme.css?client_id=…&lang=…: the custom
// properties of the site's brand and the app, for the sign-in widget's
// shadow root (hosted pages carry them inline). Any origin may load it,
// as it may load the widget.
func (s *siteHandlers) themeCSS(w http.ResponseWriter, r *http.Request) {
	l := s.localizer(r)
	if lang := r.URL.Query().Get("lang"); lang != "" {
		l = s.localizerFor(lang, r)
	}
	appID := r.URL.Query().Get("client_id")
	if len(appID) > 100 || strings.ContainsFunc(appID, func(c rune) bool { return c <= ' ' || c > '~' }) {
		appID = ""
	}
	css := ""
	if lk, ok := s.look(r.Context(), appID, l.Lang()); ok {
		css = lk.theme.CSS
	}
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=60")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write([]byte(css))
}
