package edge

import (
	"context"
	"net/http"

	"github.com/a-h/templ"
	"golang.org/x/text/language"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/locales"
)

// localizer picks the person's language for a page without a flow: the
// ui_locales parameter when present, then Accept-Language.
func (s *siteHandlers) localizer(r *http.Request) *locales.Localizer {
	tag := s.locales.Match(r.URL.Query().Get("ui_locales"), "", r.Header.Get("Accept-Language"))
	return s.locales.Localizer(tag)
}

// uiLocalesChose reports whether a ui_locales parameter names a language
// the catalogs have: it then fixes a flow's language, which the person's
// profile locale does not replace.
func (s *siteHandlers) uiLocalesChose(uiLocales string) bool {
	_, ok := s.locales.Lookup(uiLocales)
	return ok
}

// localizerFor returns the localizer of a language a flow recorded.
func (s *siteHandlers) localizerFor(lang string, r *http.Request) *locales.Localizer {
	if lang != "" {
		if tag, err := language.Parse(lang); err == nil {
			return s.locales.Localizer(s.locales.Match(tag.String(), "", ""))
		}
	}
	return s.localizer(r)
}

// page is what a page outside a flow renders with, in the site's look.
func (s *siteHandlers) page(ctx context.Context, l *locales.Localizer, title string) pages.Page {
	return s.pageFor(ctx, l, title, "")
}

// pageFor is page in the look of the site's brand and of app (a client
// ID, "" for none).
func (s *siteHandlers) pageFor(ctx context.Context, l *locales.Localizer, title, app string) pages.Page {
	p := pages.Page{L: l, Title: title, CSRF: CSRF(ctx), Nonce: Nonce(ctx)}
	if site, ok := SiteFrom(ctx); ok && site.Domain != nil && site.Domain.BrandID != "" {
		// A custom domain bound to a brand shows it on every page; other
		// hosts show the app's name, as the pages did before brands.
		p.Brand = s.brand(ctx)
	}
	if s.assets != nil {
		p.Assets = s.assets
	}
	s.theme(ctx, &p, l, app)
	return p
}

// render writes a templ component with a status.
func (s *siteHandlers) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := c.Render(r.Context(), w); err != nil {
		s.log.ErrorContext(r.Context(), "edge: render page", "err", err)
	}
}
