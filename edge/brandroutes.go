package edge

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/lintel-id/lintel/server/branding"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/themes"
)

// brandRoutes serve what every host shows of brands: their assets, and
// the previews of their themes that the studio frames.
type brandRoutes struct {
	branding Branding
	preview  *Previewer
	fail     func(w http.ResponseWriter, r *http.Request, status int)
}

// mountBranding adds the brand routes to the top mux: they answer on
// every host (emails and widgets load logos from the tenant's site, the
// studio frames previews from the instance's), and the studio at
// /studio (its stylesheet and script are the hosted pages' assets).
func mountBranding(mux *http.ServeMux, cfg Config) error {
	b := &brandRoutes{branding: cfg.Branding, preview: cfg.Previewer, fail: func(w http.ResponseWriter, _ *http.Request, status int) {
		http.Error(w, http.StatusText(status), status)
	}}
	mux.HandleFunc("GET "+AssetsPrefix+"{id}", b.asset)
	if cfg.Previewer != nil {
		mux.HandleFunc("GET /branding/preview/{ticket}/screens/{name}", b.screen)
		mux.HandleFunc("GET /branding/preview/{ticket}/emails/{kind}", b.email)
		files, err := newPageAssets()
		if err != nil {
			return err
		}
		mux.Handle("GET /studio", studioHandler(files))
	}
	return nil
}

// asset serves a brand asset. Its bytes never change under an ID, so it
// is cached for ever; an SVG (sanitised when uploaded) is served
// sandboxed, so that even a sanitiser's miss runs nothing.
func (b *brandRoutes) asset(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if i := strings.LastIndexByte(id, '.'); i > 0 {
		id = id[:i] // an extension, for mail clients that want one
	}
	a, err := b.branding.Asset(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		b.fail(w, r, http.StatusNotFound)
		return
	}
	if err != nil {
		b.fail(w, r, http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(a.Data)))
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+a.SHA256+`"`)
	if r.Header.Get("If-None-Match") == `"`+a.SHA256+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(a.Data)
}

// previewHeaders are a preview's: sandboxed (no script runs, forms do
// not submit), framed only by the studio on the same origin, never
// cached. Inline styles are allowed: an email has nothing else, and with
// no script there is nothing for an injected style to reach.
func previewHeaders(w http.ResponseWriter, styles []string) {
	brand := ""
	for _, o := range styles {
		brand += " " + o
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; style-src 'self' 'unsafe-inline'"+brand+"; img-src 'self' data:"+brand+"; font-src 'self'"+brand+"; form-action 'none'; frame-ancestors 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

// resolve opens the request's preview ticket and resolves the theme it
// names in the locale asked for (?locale=, English by default); false
// when it answered the request itself (a bad ticket, a failure).
func (b *brandRoutes) resolve(w http.ResponseWriter, r *http.Request) (branding.Ticket, themes.Resolved, bool) {
	t, err := b.branding.OpenTicket(r.PathValue("ticket"))
	if err != nil {
		b.fail(w, r, http.StatusForbidden)
		return t, themes.Resolved{}, false
	}
	locale := r.URL.Query().Get("locale")
	if len(locale) > 35 {
		locale = ""
	}
	res, err := b.branding.Preview(r.Context(), t.TenantID, t.BrandID, t.AppID, locale, t.ScopeID, t.Number)
	if err != nil {
		b.previewFailed(w, r, err)
		return t, res, false
	}
	return t, res, true
}

// screen is GET /branding/preview/{ticket}/screens/{name}.
func (b *brandRoutes) screen(w http.ResponseWriter, r *http.Request) {
	t, res, ok := b.resolve(w, r)
	if !ok {
		return
	}
	page, err := b.preview.Screen(r.Context(), t.TenantID, res, r.PathValue("name"))
	if err != nil {
		b.previewFailed(w, r, err)
		return
	}
	previewHeaders(w, res.StyleOrigins)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(page)
}

// email is GET /branding/preview/{ticket}/emails/{kind}: the HTML part,
// as a mail client would show it.
func (b *brandRoutes) email(w http.ResponseWriter, r *http.Request) {
	t, res, ok := b.resolve(w, r)
	if !ok {
		return
	}
	_, html, _, err := b.preview.Email(r.Context(), t.TenantID, res, r.PathValue("kind"))
	if err != nil {
		b.previewFailed(w, r, err)
		return
	}
	previewHeaders(w, nil)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(html))
}

func (b *brandRoutes) previewFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		b.fail(w, r, http.StatusNotFound)
		return
	}
	b.fail(w, r, http.StatusInternalServerError)
}
