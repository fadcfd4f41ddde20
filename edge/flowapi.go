package edge

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/lintel-id/lintel/edge/pages"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// FlowSecretHeader carries the flow secret on the JSON flow API.
const FlowSecretHeader = "Lintel-Flow-Secret"

// Headers of every flow API answer, so that a client reading the HTML
// fragment (the widget's loader) knows the flow without parsing markup:
// its ID, its step kind, on the done step where the client goes next,
// and the writing direction of its language (Content-Language tells the
// language).
const (
	FlowIDHeader       = "Lintel-Flow-Id"
	FlowStepHeader     = "Lintel-Flow-Step"
	FlowRedirectHeader = "Lintel-Flow-Redirect"
	FlowDirHeader      = "Lintel-Flow-Dir"
)

// flowExposed are the flow API's headers a trusted origin's script reads.
var flowExposed = strings.Join([]string{FlowSecretHeader, FlowIDHeader, FlowStepHeader, FlowRedirectHeader, FlowDirHeader}, ", ")

// maxFlowBody bounds flow API request bodies.
const maxFlowBody = 16 << 10

// apiError answers the flow API with a stable error code and the message
// ID a client shows (translated with the same catalogs as the pages).
func apiError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "message": message})
}

// flowCaller is the web origin a flow API request comes from, the flow's
// Origin the engine compares: the site's own when the request names none.
// Browsers send no Origin with a same-origin GET, so a page on the site
// itself (the demo's widget page) would otherwise lose its flow once it
// reads it; a page of another origin always sends its own (CORS), and
// the hosted pages drive their flows as site.Base too.
func flowCaller(r *http.Request, site Site) string {
	if origin := r.Header.Get("Origin"); origin != "" {
		return origin
	}
	return site.Base
}

// flowOrigin returns the caller's web origin (flowCaller) and whether it
// may drive flows of app: the site itself or one of the tenant's trusted
// origins for CORS. The server enforces this, not CORS.
func (s *siteHandlers) flowOrigin(ctx context.Context, r *http.Request, site Site, appID string) (string, bool, error) {
	origin := flowCaller(r, site)
	if origin == site.Base {
		return origin, true, nil
	}
	var ok bool
	err := s.engine.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		ok, err = s.tenants.OriginAllowed(ctx, tx, site.Tenant.ID, appID, origin, tenant.PurposeCORS)
		return err
	})
	return origin, ok, err
}

// cors answers a trusted origin's browser with the headers it needs.
func cors(w http.ResponseWriter, origin string, site Site) {
	if origin == "" || origin == site.Base {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Expose-Headers", flowExposed)
}

// corsTrusted sets the CORS headers before anything is answered when the
// site's tenant trusts the caller's origin for CORS with any app, so that
// its script can read the flow API's errors too. Whether the origin may
// drive a flow of a particular app is still checked (flowOrigin, and the
// engine compares every later request's Origin with the flow's). It
// returns false when it already answered with an error.
func (s *siteHandlers) corsTrusted(w http.ResponseWriter, r *http.Request) bool {
	origin, err := trustedOrigin(w, r, s.engine.Store, s.tenants)
	if err != nil {
		s.log.ErrorContext(r.Context(), "edge: check origin", "err", err)
		apiError(w, http.StatusInternalServerError, "server_error", "error.server")
		return false
	}
	if origin != "" {
		site, _ := SiteFrom(r.Context())
		cors(w, origin, site)
	}
	return true
}

// browserCORS lets the scripts of the tenant's trusted origins call a
// machine endpoint (token, keys, revoke): a single-page app that embeds
// the widget redeems its code itself. No credentials are allowed (these
// endpoints take no cookie), and the requests are simple ones (a form
// POST, a GET), so no preflight is needed.
func (s *siteHandlers) browserCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin, err := trustedOrigin(w, r, s.engine.Store, s.tenants)
		if err != nil {
			s.log.ErrorContext(r.Context(), "edge: check origin", "err", err)
		} else if origin != "" {
			w.Header().Set("Access-Control-Allow-Origin", origin)
		}
		next.ServeHTTP(w, r)
	})
}

// flowPreflight answers the CORS preflight of the flow API: a trusted
// origin may POST JSON with the flow secret.
func (s *siteHandlers) flowPreflight(w http.ResponseWriter, r *http.Request) {
	if !s.corsTrusted(w, r) {
		return
	}
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		h := w.Header()
		h.Set("Access-Control-Allow-Methods", "GET, POST")
		h.Set("Access-Control-Allow-Headers", "Content-Type, "+FlowSecretHeader)
		h.Set("Access-Control-Max-Age", "600")
	}
	w.WriteHeader(http.StatusNoContent)
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFlowBody))
	if err != nil {
		apiError(w, http.StatusRequestEntityTooLarge, "request_too_large", "error.request.invalid")
		return nil, false
	}
	return b, true
}

// startFlow is POST /api/v1/flows.
func (s *siteHandlers) startFlow(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	if !s.corsTrusted(w, r) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	start, err := wire.ParseStartRequest(body)
	if err != nil {
		apiError(w, http.StatusBadRequest, "invalid_request", "error.request.invalid")
		return
	}
	server := start.Server
	if server == "" {
		server = oidc.DefaultServer
	}
	iss, err := s.oidc.Issuer(r.Context(), site.Tenant.ID, server, site.Base)
	if errors.Is(err, oidc.ErrUnknownServer) {
		apiError(w, http.StatusNotFound, "invalid_request", "error.not_found")
		return
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "edge: flow authorization server", "err", err)
		apiError(w, http.StatusInternalServerError, "server_error", "error.server")
		return
	}
	q := url.Values{"response_type": {"code"}}
	for k, v := range map[string]string{
		"client_id": start.ClientID, "redirect_uri": start.RedirectURI, "scope": start.Scope, "state": start.State,
		"nonce": start.Nonce, "code_challenge": start.CodeChallenge, "code_challenge_method": start.CodeChallengeMethod,
		"login_hint": start.LoginHint, "ui_locales": start.UILocales, "prompt": start.Prompt, "acr_values": start.ACRValues,
	} {
		if v != "" {
			q.Set(k, v)
		}
	}
	req, app, aerr := s.oidc.ValidateAuthorize(r.Context(), iss, q)
	if aerr != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		out := map[string]string{"error": aerr.Err.Code, "error_description": aerr.Err.Description}
		if aerr.Redirect {
			out["redirect"] = oidc.ErrorRedirect(iss, aerr.Request, aerr.Err)
		}
		_ = json.NewEncoder(w).Encode(out)
		return
	}
	origin, allowed, err := s.flowOrigin(r.Context(), r, site, app.ID)
	if err != nil {
		s.log.ErrorContext(r.Context(), "edge: check origin", "err", err)
		apiError(w, http.StatusInternalServerError, "server_error", "error.server")
		return
	}
	if !allowed {
		apiError(w, http.StatusForbidden, "origin_not_allowed", "error.request.invalid")
		return
	}
	if retry, ok := s.limits.client(r.Context(), site.Tenant.ID, app.ID); !ok {
		tooManyRequestsAPI(w, retry)
		return
	}
	l := s.locales.Localizer(s.locales.Match(req.UILocales, "", r.Header.Get("Accept-Language")))
	res, err := s.engine.Start(r.Context(), engine.Begin{
		Issuer: iss, Request: req, App: app, Origin: origin, Base: site.Base,
		Session: sessionCookie(r, site), Locale: l.Lang(), Dir: l.Dir(), LocaleFixed: s.uiLocalesChose(req.UILocales),
		Device: knownDeviceID(w, r, site),
	})
	if err != nil {
		s.log.ErrorContext(r.Context(), "edge: start flow", "err", err)
		apiError(w, http.StatusInternalServerError, "server_error", "error.server")
		return
	}
	w.Header().Set(FlowSecretHeader, res.Secret)
	s.writeFlow(w, r, http.StatusCreated, res, res.Secret)
}

// flowByID is GET /api/v1/flows/{id}.
func (s *siteHandlers) flowByID(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	if !s.corsTrusted(w, r) {
		return
	}
	iss := site.AuthServer(oidc.DefaultServer)
	secret := r.Header.Get(FlowSecretHeader)
	origin := flowCaller(r, site)
	res, err := s.engine.Current(r.Context(), iss, r.PathValue("flow"), secret, origin)
	if err != nil {
		s.flowAPIError(w, r, err)
		return
	}
	s.writeFlow(w, r, http.StatusOK, res, secret)
}

// continueFlow is POST /api/v1/flows/{id}.
func (s *siteHandlers) continueFlow(w http.ResponseWriter, r *http.Request) {
	site, _ := SiteFrom(r.Context())
	if !s.corsTrusted(w, r) {
		return
	}
	iss := site.AuthServer(oidc.DefaultServer)
	secret := r.Header.Get(FlowSecretHeader)
	if secret == "" {
		apiError(w, http.StatusUnauthorized, "flow_secret_required", "error.flow.not_found")
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	req, err := wire.ParseContinueRequest(body)
	if err != nil {
		apiError(w, http.StatusBadRequest, "invalid_request", "error.request.invalid")
		return
	}
	origin := flowCaller(r, site)
	res, err := s.engine.Continue(r.Context(), iss, r.PathValue("flow"), secret, origin, req, sessionCookie(r, site))
	if err != nil {
		s.flowAPIError(w, r, err)
		return
	}
	if res.SetSession != nil {
		setSessionCookie(w, site, res.SetSession)
	}
	s.writeFlow(w, r, http.StatusOK, res, secret)
}

// writeFlow answers with the flow as JSON, or as the HTML fragment of the
// same markup the hosted page uses when the client asks for text/html.
func (s *siteHandlers) writeFlow(w http.ResponseWriter, r *http.Request, status int, res engine.Result, secret string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set(FlowIDHeader, res.Flow.ID)
	h.Set(FlowStepHeader, string(res.Flow.Step))
	if res.Flow.Step == wire.StepDone && res.Flow.Redirect != "" {
		h.Set(FlowRedirectHeader, res.Flow.Redirect)
	}
	if r.Header.Get("Accept") == "text/html" {
		site, _ := SiteFrom(r.Context())
		l := s.localizerFor(res.Flow.Context.Locale, r)
		h.Set("Content-Language", l.Lang())
		h.Set(FlowDirHeader, l.Dir())
		p := pages.Page{L: l, Title: pages.StepTitle(res.Flow.Step)}
		s.render(w, r, status, pages.FlowFragment(p, pages.FlowForm{Flow: res.Flow, Action: site.Base + "/api/v1/flows/" + res.Flow.ID, Secret: secret}))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(res.Flow.AppendJSON(nil))
}

func (s *siteHandlers) flowAPIError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, engine.ErrFlowNotFound):
		apiError(w, http.StatusNotFound, "flow_not_found", "error.flow.not_found")
	case errors.Is(err, engine.ErrFlowExpired), errors.Is(err, engine.ErrFlowDone):
		apiError(w, http.StatusGone, "flow_expired", "error.flow.expired")
	case errors.Is(err, engine.ErrUnknownAction):
		apiError(w, http.StatusBadRequest, "unknown_action", "error.request.invalid")
	default:
		s.log.ErrorContext(r.Context(), "edge: flow API", "err", err)
		apiError(w, http.StatusInternalServerError, "server_error", "error.server")
	}
}
