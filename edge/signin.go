package edge

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/locales"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/tenant"
)

// siteHandlers serve everything that belongs to a tenant's site: the
// authorize endpoint, the hosted sign-in pages, the flow API and the
// OpenID provider's endpoints.
type siteHandlers struct {
	engine  *engine.Engine
	oidc    *oidc.Provider
	tenants *tenant.Service
	locales *locales.Catalog
	log     *slog.Logger
	flowTTL time.Duration
	// catalogs holds each language's catalog for the widget, encoded and
	// compressed once (lang tag → *staticFile): the catalogs do not
	// change while the process runs.
	catalogs sync.Map
	// assets are the hosted pages' static files, which pages reference by
	// their hashed names.
	assets *fileSet
	// home is the path of the site's start page, "" when it has none
	// (error pages link to it).
	home string
	// limits counts sign-ins per OAuth client (the other limits wrap the
	// site's handlers).
	limits *requestLimits
	// branding resolves each page's look (nil: Lintel's own), and looks
	// keeps the looks ready to render.
	branding Branding
	looks    looks
}

// issuer returns the request's authorization server as reached on its
// site: false for one the tenant does not have, that is inactive, or that
// has a fixed issuer on another host (or when the store fails, logged).
func (s *siteHandlers) issuer(r *http.Request) (oidc.Issuer, bool) {
	site, ok := SiteFrom(r.Context())
	if !ok {
		return oidc.Issuer{}, false
	}
	iss, err := s.oidc.Issuer(r.Context(), site.Tenant.ID, r.PathValue("server"), site.Base)
	if err != nil {
		if !errors.Is(err, oidc.ErrUnknownServer) {
			s.log.ErrorContext(r.Context(), "edge: authorization server", "err", err)
		}
		return oidc.Issuer{}, false
	}
	return iss, true
}

func flowCookie(id string) string { return "lintel-flow-" + id }

// authorize starts a flow for the hosted page. Errors found before the
// client and redirect URI are proven get a page, never a redirect.
func (s *siteHandlers) authorize(w http.ResponseWriter, r *http.Request) {
	iss, ok := s.issuer(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	req, app, aerr := s.oidc.ValidateAuthorize(r.Context(), iss, r.URL.Query())
	if aerr != nil {
		if aerr.Redirect {
			http.Redirect(w, r, oidc.ErrorRedirect(iss, aerr.Request, aerr.Err), http.StatusSeeOther)
			return
		}
		s.errorPage(w, r, http.StatusBadRequest, "error.request.invalid")
		return
	}
	site, _ := SiteFrom(r.Context())
	if retry, ok := s.limits.client(r.Context(), site.Tenant.ID, app.ID); !ok {
		s.tooManyRequests(w, r, retry)
		return
	}
	l := s.locales.Localizer(s.locales.Match(req.UILocales, "", r.Header.Get("Accept-Language")))
	res, err := s.engine.Start(r.Context(), engine.Begin{
		Issuer: iss, Request: req, App: app, Origin: site.Base, Base: site.Base,
		Session: sessionCookie(r, site), Locale: l.Lang(), Dir: l.Dir(), LocaleFixed: s.uiLocalesChose(req.UILocales),
		Device: hostedDeviceID(w, r, site),
	})
	if err != nil {
		s.log.ErrorContext(r.Context(), "edge: start flow", "err", err)
		s.errorPage(w, r, http.StatusInternalServerError, "error.server")
		return
	}
	if res.Flow.Step == wire.StepDone {
		http.Redirect(w, r, res.Flow.Redirect, http.StatusSeeOther)
		return
	}
	setCookie(w, site.Secure, flowCookie(res.Flow.ID), res.Secret, int(s.flowTTL/time.Second))
	http.Redirect(w, r, "/signin/"+url.PathEscape(res.Flow.ID), http.StatusSeeOther)
}

// signinPage shows the current step of a flow.
func (s *siteHandlers) signinPage(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	id := r.PathValue("flow")
	secret := readCookie(r, site.Secure, flowCookie(id))
	iss := site.AuthServer(oidc.DefaultServer)
	res, err := s.engine.Current(r.Context(), iss, id, secret, site.Base)
	if err != nil {
		s.flowError(w, r, err)
		return
	}
	// A browser that lost its device cookie since the flow started gets
	// one for its next sign-in.
	_, _ = deviceID(w, r, site)
	if chosenIdP(res.Flow) {
		// On to the provider without a click (JavaScript or not).
		s.handover(w, r, id, secret, site.Base)
		return
	}
	s.showFlow(w, r, res, secret)
}

// signinPost continues a flow with a submitted form: post, redirect, get.
func (s *siteHandlers) signinPost(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	id := r.PathValue("flow")
	secret := readCookie(r, site.Secure, flowCookie(id))
	if secret == "" || r.PostForm.Get("flow_secret") != secret {
		s.flowError(w, r, engine.ErrFlowNotFound)
		return
	}
	req := wire.ContinueRequest{Action: r.PostForm.Get("action")}
	for name, vals := range r.PostForm {
		switch name {
		case csrfField, "flow_secret", "action":
			continue
		}
		if len(vals) > 0 {
			req.Values = append(req.Values, wire.Param{Name: name, Value: vals[0]})
		}
	}
	iss := site.AuthServer(oidc.DefaultServer)
	res, err := s.engine.Continue(r.Context(), iss, id, secret, site.Base, req, sessionCookie(r, site))
	if err != nil {
		s.flowError(w, r, err)
		return
	}
	if res.SetSession != nil {
		setSessionCookie(w, site, res.SetSession)
	}
	if res.Flow.Step == wire.StepDone {
		setCookie(w, site.Secure, flowCookie(id), "", -1)
		http.Redirect(w, r, res.Flow.Redirect, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/signin/"+url.PathEscape(id), http.StatusSeeOther)
}

func (s *siteHandlers) showFlow(w http.ResponseWriter, r *http.Request, res engine.Result, secret string) {
	l := s.localizerFor(res.Flow.Context.Locale, r)
	if res.Flow.Step == wire.StepDone {
		// Forms that end a flow redirect at once; a flow found done on a
		// later visit went on in another tab (a sign-in link opened in
		// this browser), which already carried its code to the client.
		s.render(w, r, http.StatusOK, pages.InfoPage(s.page(r.Context(), l, "done.title"), "done.elsewhere"))
		return
	}
	// The password form's POST ends in a redirect to the client, which the
	// page's CSP form-action must allow.
	if u, err := url.Parse(res.RedirectURI); err == nil && u.Scheme != "" {
		allowFormTarget(r.Context(), formSource(u))
	}
	p := s.pageFor(r.Context(), l, pages.StepTitle(res.Flow.Step), res.Flow.Context.App.ID)
	if polls(res.Flow) {
		p.Refresh = pollSeconds
	}
	p.Passkey = pages.HasWebAuthn(res.Flow)
	s.render(w, r, http.StatusOK, pages.FlowPage(p, pages.FlowForm{Flow: res.Flow, Action: "/signin/" + res.Flow.ID, Secret: secret, Autofocus: true}))
}

// formSource is the CSP source that lets a form (and the redirect after
// it) reach u: its origin, or its scheme for a native app's custom scheme
// ("com.example.app:").
func formSource(u *url.URL) string {
	if u.Host == "" {
		return u.Scheme + ":"
	}
	return u.Scheme + "://" + u.Host
}

// pollSeconds is how often a hosted page at the poll step looks again.
const pollSeconds = 3

// polls reports whether a flow's view asks to be fetched again.
func polls(v wire.Flow) bool {
	for _, a := range v.Actions {
		if a.Name == engine.ActionPoll {
			return true
		}
	}
	return false
}

// flowError maps engine errors to branded pages.
func (s *siteHandlers) flowError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, engine.ErrFlowNotFound):
		s.errorPage(w, r, http.StatusNotFound, "error.flow.not_found")
	case errors.Is(err, engine.ErrFlowExpired), errors.Is(err, engine.ErrFlowDone):
		s.errorPage(w, r, http.StatusGone, "error.flow.expired")
	case errors.Is(err, engine.ErrUnknownAction):
		s.errorPage(w, r, http.StatusBadRequest, "error.request.invalid")
	default:
		s.log.ErrorContext(r.Context(), "edge: flow", "err", err)
		s.errorPage(w, r, http.StatusInternalServerError, "error.server")
	}
}

func sessionCookie(r *http.Request, site Site) string {
	c, err := r.Cookie(session.CookieName(site.Tenant.ID, site.Secure))
	if err != nil {
		return ""
	}
	return c.Value
}

func setSessionCookie(w http.ResponseWriter, site Site, c *engine.SessionCookie) {
	http.SetCookie(w, &http.Cookie{
		Name: session.CookieName(site.Tenant.ID, site.Secure), Value: c.Value, Path: "/",
		Expires: c.Expires, HttpOnly: true, Secure: site.Secure, SameSite: http.SameSiteLaxMode,
	})
}
