package edge

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/federation"
	"github.com/lintel-id/lintel/server/oidc"
)

// Sign-in through upstream identity providers, as the site serves it (see
// server/engine/federation.go for the four moves):
//
//	POST /federation/handover/{flow} handover: the flow secret, top-level, from
//	                              the hosted page or the widget's page
//	GET|POST /federation/callback the provider's answer (OAuth 2 / OIDC;
//	                              POST for Apple's form_post)
//	POST /federation/saml/acs     the SAML assertion consumer service
//	GET  /federation/return/{flow} return: the browser holding the flow
//	                              finishes the sign-in
//	GET  /federation/saml/metadata the tenant's SAML SP metadata
//
// The handover answers with a page that moves on to the provider by a
// meta refresh, not a redirect: a form's redirect chain is checked against
// the page's CSP form-action (which names only the site), and a refresh is
// a navigation of its own.

// SAMLMetadataPath is where every site serves its tenant's SAML
// service-provider metadata (the entity ID is this URL).
const SAMLMetadataPath = "/federation/saml/metadata"

// maxCallbackForm bounds a callback's form: a SAML response is the
// largest (the service provider refuses more than 256 KiB decoded).
const maxCallbackForm = 512 << 10

// federationPOST reports whether r is one of the POSTs other sites send
// to the federation endpoints: each carries its own proof (the flow
// secret, a state bound to it, a signed assertion) in place of the CSRF
// token, which a cross-site POST cannot have.
func federationPOST(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	p := r.URL.Path
	return p == engine.CallbackPath || p == engine.ACSPath || strings.HasPrefix(p, engine.HandoverPrefix)
}

// idpHandover hands a flow at the redirect-idp step over to the site and
// sends the browser on to the provider.
func (s *siteHandlers) idpHandover(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	id := r.PathValue("flow")
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "error.request.invalid")
		return
	}
	secret := r.PostForm.Get("flow_secret")
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" || origin == site.Base {
		// From the site itself: the flow cookie must hold the same secret
		// (as for every form of the hosted page).
		if c := readCookie(r, site.Secure, flowCookie(id)); secret == "" || c != secret {
			s.flowError(w, r, engine.ErrFlowNotFound)
			return
		}
		origin = site.Base
	}
	s.handover(w, r, id, secret, origin)
}

// handover runs the engine's handover and renders the page that moves on
// to the provider.
func (s *siteHandlers) handover(w http.ResponseWriter, r *http.Request, id, secret, origin string) {
	site, _ := SiteFrom(r.Context())
	iss := site.AuthServer(oidc.DefaultServer)
	res, err := s.engine.Handover(r.Context(), iss, id, secret, origin, site.Base)
	if err != nil {
		switch {
		case errors.Is(err, federation.ErrUpstream), errors.Is(err, federation.ErrNotFound), errors.Is(err, federation.ErrConfig):
			// Discovery failed, or the provider is gone or misconfigured.
			s.log.WarnContext(r.Context(), "edge: identity provider handover", "flow", id, "err", err)
			s.errorPage(w, r, http.StatusBadGateway, "error.http_502.text")
		default:
			s.flowError(w, r, err)
		}
		return
	}
	if res.Secret != "" {
		// The flow moved to the site: its new secret, kept in a cookie.
		setCookie(w, site.Secure, flowCookie(id), res.Secret, int(s.flowTTL/time.Second))
		secret = res.Secret
	}
	cur, err := s.engine.Current(r.Context(), iss, id, secret, site.Base)
	if err != nil {
		s.flowError(w, r, err)
		return
	}
	l := s.localizerFor(cur.Flow.Context.Locale, r)
	p := s.pageFor(r.Context(), l, wire.StepTitle(wire.StepRedirectIdP), cur.Flow.Context.App.ID)
	p.RefreshTo = res.URL
	s.render(w, r, http.StatusOK, pages.IdPRedirect(p, cur.Flow, res.URL))
}

// idpCallback takes a provider's answer: the query of a GET, the form of
// a POST (Apple's form_post, SAML's POST binding). The browser then goes
// to the flow's return page, where its cookie (sent on that top-level
// GET even after a cross-site POST) finishes the sign-in.
func (s *siteHandlers) idpCallback(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxCallbackForm)
		if err := r.ParseForm(); err != nil {
			s.errorPage(w, r, http.StatusBadRequest, "error.request.invalid")
			return
		}
		params = r.PostForm
	}
	if r.URL.Path == engine.ACSPath && params.Get("RelayState") == "" {
		s.idpInitiated(w, r, params)
		return
	}
	id, err := s.engine.Callback(r.Context(), site.AuthServer(oidc.DefaultServer), params)
	switch {
	case errors.Is(err, engine.ErrStateInvalid):
		s.errorPage(w, r, http.StatusBadRequest, "error.request.invalid")
		return
	case err != nil:
		s.flowError(w, r, err)
		return
	}
	http.Redirect(w, r, engine.ReturnPath(id), http.StatusSeeOther)
}

// idpInitiated takes a SAML response no request of Lintel's asked for:
// refused unless the provider allows it, and then the person is signed in
// and sent to the app's sign-in start (which finds the session).
func (s *siteHandlers) idpInitiated(w http.ResponseWriter, r *http.Request, form url.Values) {
	site, _ := SiteFrom(r.Context())
	res, err := s.engine.SAMLIdPInitiated(r.Context(), site.AuthServer(oidc.DefaultServer), site.Base, form, sessionCookie(r, site))
	if err != nil {
		s.log.WarnContext(r.Context(), "edge: IdP-initiated SAML", "err", err)
		s.errorPage(w, r, http.StatusBadRequest, "error.request.invalid")
		return
	}
	if res.SetSession != nil {
		setSessionCookie(w, site, res.SetSession)
	}
	http.Redirect(w, r, res.RedirectURI, http.StatusSeeOther)
}

// idpReturn finishes the sign-in in the browser that holds the flow.
func (s *siteHandlers) idpReturn(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	id := r.PathValue("flow")
	secret := readCookie(r, site.Secure, flowCookie(id))
	res, err := s.engine.Return(r.Context(), site.AuthServer(oidc.DefaultServer), id, secret, site.Base, sessionCookie(r, site))
	if err != nil {
		s.flowError(w, r, err)
		return
	}
	if res.SetSession != nil {
		setSessionCookie(w, site, res.SetSession)
	}
	if res.Flow.Step == wire.StepDone && res.Flow.Redirect != "" {
		setCookie(w, site.Secure, flowCookie(id), "", -1)
		http.Redirect(w, r, res.Flow.Redirect, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/signin/"+url.PathEscape(id), http.StatusSeeOther)
}

// samlMetadata serves the tenant's SAML service-provider metadata for
// this site.
func (s *siteHandlers) samlMetadata(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	md, err := s.engine.SPMetadata(r.Context(), site.Tenant.ID, site.Base)
	if err != nil {
		s.log.ErrorContext(r.Context(), "edge: SAML SP metadata", "err", err)
		s.errorPage(w, r, http.StatusInternalServerError, "error.server")
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(md)
}

// chosenIdP reports whether v is a redirect-idp step whose provider is
// chosen: its page hands over at once.
func chosenIdP(v wire.Flow) bool {
	if v.Step != wire.StepRedirectIdP {
		return false
	}
	for _, a := range v.Actions {
		if a.Name == engine.ActionRedirect {
			return true
		}
	}
	return false
}
