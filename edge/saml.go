package edge

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/samlidp"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// SAML identity-provider paths of an app on a site (see package samlidp:
// the metadata URL is also the IdP's entity ID for that app).
const (
	samlMetadataPath = engine.SAMLPrefix + "{app}/metadata"
	samlSSOPath      = engine.SAMLPrefix + "{app}/sso"
	samlSLOPath      = engine.SAMLPrefix + "{app}/slo"
	samlRespondPath  = engine.SAMLPrefix + "{app}/respond/{flow}"
	// samlTicketParam carries a request verified from a cross-site POST
	// to a GET of the same endpoint (engine.SAMLTicket).
	samlTicketParam = "lintel_ticket"
)

// mountSAML serves the SAML identity provider's endpoints of each app:
// metadata, SSO (SP- and IdP-initiated), SLO and the page that posts a
// finished sign-in's Response. All but the metadata are pages, behind
// the security middleware (page); SAMLPOST names the cross-site POSTs
// it lets through.
func (s *siteHandlers) mountSAML(site, pagesMux *http.ServeMux, page http.Handler) {
	site.HandleFunc("GET "+samlMetadataPath, s.samlIdPMetadata)
	for _, p := range []string{samlSSOPath, samlSLOPath, samlRespondPath} {
		site.Handle(p, page)
	}
	pagesMux.HandleFunc("GET "+samlSSOPath, s.samlSSO)
	pagesMux.HandleFunc("POST "+samlSSOPath, s.samlSSO)
	pagesMux.HandleFunc("GET "+samlSLOPath, s.samlSLO)
	pagesMux.HandleFunc("POST "+samlSLOPath, s.samlSLO)
	pagesMux.HandleFunc("GET "+samlRespondPath, s.samlRespond)
}

// samlPOST reports whether r is a SAML binding's POST from an SP's page
// to an SSO or SLO endpoint: cross-site by design, without our CSRF
// token; the message carries its own proof (the SP's signature, checked
// against the app's registered SP, and an ACS that must be the app's).
func samlPOST(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	rest, ok := strings.CutPrefix(r.URL.Path, engine.SAMLPrefix)
	if !ok {
		return false
	}
	_, endpoint, ok := strings.Cut(rest, "/")
	return ok && (endpoint == "sso" || endpoint == "slo")
}

// samlIdPMetadata serves an app's IdP metadata: its entity ID, SSO and
// SLO endpoints and the tenant's signing certificates.
func (s *siteHandlers) samlIdPMetadata(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	md, err := s.engine.SAMLMetadata(r.Context(), site.Tenant.ID, r.PathValue("app"), site.Base)
	switch {
	case errors.Is(err, samlidp.ErrNotConfigured), errors.Is(err, engine.ErrSAMLUnavailable):
		http.NotFound(w, r)
		return
	case err != nil:
		s.log.ErrorContext(r.Context(), "edge: SAML IdP metadata", "err", err)
		http.Error(w, "server error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	// Short: a rotated key must reach SPs that re-read the metadata.
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(md)
}

// samlSSO starts a sign-in for an app's SP: an AuthnRequest by the
// Redirect binding (GET) or the POST binding, or, with no request, an
// IdP-initiated sign-in when the app allows it. A POST is verified and
// carried to a GET of the same endpoint first, where the browser sends
// its SSO session cookie (SameSite=Lax keeps it off cross-site POSTs).
func (s *siteHandlers) samlSSO(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	appID := r.PathValue("app")
	ctx := r.Context()
	var req samlidp.Request
	var err error
	switch q := r.URL.Query(); {
	case r.Method == http.MethodPost:
		req, err = s.engine.ParseSAML(ctx, site.Tenant.ID, appID, site.Base, r)
		if err == nil {
			u := url.URL{Path: r.URL.Path, RawQuery: url.Values{samlTicketParam: {s.engine.SAMLTicket(req)}}.Encode()}
			http.Redirect(w, r, u.String(), http.StatusSeeOther)
			return
		}
	case q.Has(samlTicketParam):
		req, err = s.engine.SAMLFromTicket(site.Tenant.ID, appID, q.Get(samlTicketParam))
	case q.Has("SAMLRequest"):
		req, err = s.engine.ParseSAML(ctx, site.Tenant.ID, appID, site.Base, r)
	default:
		req, err = s.engine.UnsolicitedSAML(ctx, site.Tenant.ID, appID, site.Base, q.Get("RelayState"))
	}
	if err != nil {
		s.samlError(w, r, err)
		return
	}
	app, err := s.samlApp(ctx, site.Tenant.ID, appID)
	if err != nil {
		s.samlError(w, r, err)
		return
	}
	if retry, ok := s.limits.client(ctx, site.Tenant.ID, app.ID); !ok {
		s.tooManyRequests(w, r, retry)
		return
	}
	l := s.locales.Localizer(s.locales.Match("", "", r.Header.Get("Accept-Language")))
	res, err := s.engine.StartSAML(ctx, engine.SAMLBegin{
		Issuer: site.AuthServer(oidc.DefaultServer), Request: req, App: app, Session: sessionCookie(r, site),
		Locale: l.Lang(), Dir: l.Dir(), Base: site.Base, Device: hostedDeviceID(w, r, site),
	})
	if err != nil {
		s.samlError(w, r, err)
		return
	}
	if res.Flow.Step == wire.StepDone {
		http.Redirect(w, r, res.Flow.Redirect, http.StatusSeeOther)
		return
	}
	setCookie(w, site.Secure, flowCookie(res.Flow.ID), res.Secret, int(s.flowTTL/time.Second))
	http.Redirect(w, r, "/signin/"+url.PathEscape(res.Flow.ID), http.StatusSeeOther)
}

// samlApp returns the tenant's app appID.
func (s *siteHandlers) samlApp(ctx context.Context, tenantID, appID string) (tenant.App, error) {
	var app tenant.App
	err := s.engine.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		app, err = s.tenants.App(ctx, tx, tenantID, appID)
		return err
	})
	return app, err
}

// samlRespond posts a finished sign-in's Response to the app's ACS: a
// form the page submits by itself (or the person, without JavaScript).
// The link works once.
func (s *siteHandlers) samlRespond(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	// The flow's end has been reached: its cookie is no longer needed.
	setCookie(w, site.Secure, flowCookie(r.PathValue("flow")), "", -1)
	resp, err := s.engine.SAMLResponse(r.Context(), site.Tenant.ID, r.PathValue("app"), r.PathValue("flow"), r.URL.Query().Get("t"))
	if err != nil {
		s.samlError(w, r, err)
		return
	}
	u, err := url.Parse(resp.URL)
	if err != nil || u.Scheme == "" {
		// samlidp answers only with an app's registered ACS: this is ours.
		if err == nil {
			err = errors.New("no scheme")
		}
		s.samlError(w, r, fmt.Errorf("edge: SAML response to a malformed ACS URL: %w", err))
		return
	}
	allowFormTarget(r.Context(), formSource(u))
	fields := make([]pages.PostField, 0, len(resp.Fields))
	for _, name := range slices.Sorted(maps.Keys(resp.Fields)) {
		fields = append(fields, pages.PostField{Name: name, Value: resp.Fields[name]})
	}
	l := s.localizerFor("", r)
	p := s.pageFor(r.Context(), l, "saml.post.title", r.PathValue("app"))
	p.AutoPost = true
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, pages.PostPage(p, "", resp.URL, fields))
}

// samlSLO answers an SP's LogoutRequest (Redirect or POST binding): the
// browser's session ends and the browser goes back to the SP with a
// signed LogoutResponse. A POST is carried to a GET first, as for SSO,
// so that the session cookie comes along.
func (s *siteHandlers) samlSLO(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	appID := r.PathValue("app")
	ctx := r.Context()
	if r.Method == http.MethodPost {
		ticket, err := s.engine.SAMLLogoutTicket(ctx, site.Tenant.ID, appID, site.Base, r)
		if err != nil {
			s.samlError(w, r, err)
			return
		}
		u := url.URL{Path: r.URL.Path, RawQuery: url.Values{samlTicketParam: {ticket}}.Encode()}
		http.Redirect(w, r, u.String(), http.StatusSeeOther)
		return
	}
	to, ended, err := s.engine.SAMLLogout(ctx, site.Tenant.ID, appID, site.Base, sessionCookie(r, site), r, r.URL.Query().Get(samlTicketParam))
	if err != nil {
		s.samlError(w, r, err)
		return
	}
	if ended {
		setSessionCookie(w, site, &engine.SessionCookie{Value: "", Expires: time.Unix(1, 0)})
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// samlError answers a refused SAML message or flow with a branded page.
func (s *siteHandlers) samlError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, samlidp.ErrNotConfigured), errors.Is(err, engine.ErrSAMLUnavailable), errors.Is(err, store.ErrNotFound):
		s.errorPage(w, r, http.StatusNotFound, "error.not_found")
	case errors.Is(err, samlidp.ErrUnsolicited):
		s.errorPage(w, r, http.StatusForbidden, "error.saml.unsolicited")
	case errors.Is(err, samlidp.ErrRefused):
		s.log.InfoContext(r.Context(), "edge: SAML message refused", "err", err)
		s.errorPage(w, r, http.StatusBadRequest, "error.request.invalid")
	default:
		s.flowError(w, r, err)
	}
}
