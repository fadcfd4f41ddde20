package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lintel-id/lintel/server/oidc/keyring"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// PathLogout is the end-session endpoint under the issuer URL (OpenID
// Connect RP-Initiated Logout 1.0). The edge serves it: it shows pages.
const PathLogout = "/v1/logout"

// Length limits of logout request parameters, beyond those of
// authorization requests. Longer values are refused.
const (
	maxIDTokenHintLen = 8192
	maxLogoutURILen   = 2048
)

// hintSkew is how far in the future an id_token_hint's iat may be, for
// clocks that differ between nodes.
const hintSkew = 5 * time.Minute

// idTokenAlgs are the algorithms ID tokens are signed with.
var idTokenAlgs = []string{keyring.RS256, keyring.ES256, jwt.SigningMethodEdDSA.Alg()}

// logoutParams are the parameters of a logout request (RP-Initiated
// Logout §2); none may appear twice. Others are ignored.
var logoutParams = []string{"id_token_hint", "client_id", "post_logout_redirect_uri", "state", "ui_locales", "logout_hint"}

// EndSessionRequest is a validated logout request (OpenID Connect
// RP-Initiated Logout 1.0 §2).
type EndSessionRequest struct {
	// ClientID is the client_id parameter, or else the client the
	// id_token_hint was issued to (its azp, or its only aud); "" when the
	// request names no client. A non-empty ClientID is an app of the
	// issuer's tenant.
	ClientID string
	// PostLogoutRedirectURI is registered exactly for ClientID; "" when
	// the request asked for none.
	PostLogoutRedirectURI string
	// State and UILocales are as the client sent them.
	State, UILocales string
	// HintSubject and HintSessionID are the sub and sid claims of a valid
	// id_token_hint; "" without one (or, for HintSessionID, when the token
	// carries no sid).
	HintSubject, HintSessionID string
}

// PostLogoutRedirect returns where to send the browser once the session
// has ended: PostLogoutRedirectURI with state added to its query (which is
// otherwise kept as registered), or "" when the client asked for no
// redirect.
func (r EndSessionRequest) PostLogoutRedirect() string {
	if r.PostLogoutRedirectURI == "" {
		return ""
	}
	if r.State == "" {
		return r.PostLogoutRedirectURI
	}
	return appendQuery(r.PostLogoutRedirectURI, url.Values{"state": {r.State}})
}

// hintClaims are the claims of an id_token_hint that logout reads.
type hintClaims struct {
	jwt.RegisteredClaims
	AZP string `json:"azp"`
	SID string `json:"sid"`
}

// errBadHint means an id_token_hint did not verify; the reason is for
// logs only.
var errBadHint = errors.New("oidc: id_token_hint does not verify")

// ValidateEndSession validates a logout request for the issuer's tenant,
// from the query of a GET or the form of a POST.
//
// The rules: each parameter at most once, with the length limits of
// authorization requests. An id_token_hint must be an ID token of iss:
// signed (RS256, ES256 or EdDSA, the alg of its key) by one of iss's keys,
// with iss equal to the issuer URL, an iat not more than five minutes in
// the future and an aud holding the client; it may have expired (§2 allows
// hints of ended sessions). A client_id must name an app of the tenant and,
// with a hint, be in its aud. A post_logout_redirect_uri needs a client
// (client_id or hint) that registered it exactly.
//
// Every error means the request must not be redirected anywhere: the edge
// shows an error page. Errors are invalid_request, invalid_client (400)
// for an unknown client, or server_error when the store fails (logged).
//
// It reads in transactions of its own: do not call it inside one.
func (p *Provider) ValidateEndSession(ctx context.Context, iss Issuer, params url.Values) (EndSessionRequest, *Error) {
	if !iss.valid() {
		return EndSessionRequest{}, ptr(ErrInvalidRequest.WithStatus(http.StatusNotFound).WithDescription("unknown authorization server"))
	}
	if _, err := p.server(ctx, iss.TenantID, iss.Server); errors.Is(err, ErrUnknownServer) {
		return EndSessionRequest{}, ptr(ErrInvalidRequest.WithStatus(http.StatusNotFound).WithDescription("unknown authorization server"))
	} else if err != nil {
		p.log.ErrorContext(ctx, "logout: authorization server", "tenant", iss.TenantID, "err", err)
		return EndSessionRequest{}, ptr(ErrServerError)
	}
	for _, k := range logoutParams {
		if len(params[k]) > 1 {
			return EndSessionRequest{}, ptr(ErrInvalidRequest.WithDescription(k + " appears more than once"))
		}
	}
	for _, f := range []struct {
		name string
		max  int
	}{
		{"id_token_hint", maxIDTokenHintLen},
		{"client_id", maxClientIDLen},
		{"post_logout_redirect_uri", maxLogoutURILen},
		{"state", maxStateLen},
		{"ui_locales", maxHintLen},
		{"logout_hint", maxHintLen},
	} {
		if len(params.Get(f.name)) > f.max {
			return EndSessionRequest{}, ptr(ErrInvalidRequest.WithDescription(f.name + " is too long"))
		}
	}
	req := EndSessionRequest{ClientID: params.Get("client_id"), State: params.Get("state"), UILocales: params.Get("ui_locales")}
	if raw := params.Get("id_token_hint"); raw != "" {
		c, err := p.verifyHint(ctx, iss, raw)
		switch {
		case errors.Is(err, errBadHint):
			p.log.InfoContext(ctx, "logout: id_token_hint refused", "tenant", iss.TenantID, "err", err)
			return EndSessionRequest{}, ptr(ErrInvalidRequest.WithDescription("id_token_hint is not a valid ID token of this issuer"))
		case err != nil:
			p.log.ErrorContext(ctx, "logout: verify id_token_hint", "tenant", iss.TenantID, "err", err)
			return EndSessionRequest{}, ptr(ErrServerError)
		}
		switch {
		case req.ClientID != "":
			if !slices.Contains(c.Audience, req.ClientID) {
				return EndSessionRequest{}, ptr(ErrInvalidRequest.WithDescription("client_id is not an audience of id_token_hint"))
			}
		case c.AZP != "":
			req.ClientID = c.AZP
		case len(c.Audience) == 1:
			req.ClientID = c.Audience[0]
		}
		req.HintSubject, req.HintSessionID = c.Subject, c.SID
	}
	uri := params.Get("post_logout_redirect_uri")
	if req.ClientID == "" {
		if uri != "" {
			return EndSessionRequest{}, ptr(ErrInvalidRequest.WithDescription("post_logout_redirect_uri needs client_id or id_token_hint"))
		}
		return req, nil
	}
	app, err := p.authorizeApp(ctx, iss, req.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return EndSessionRequest{}, ptr(ErrInvalidClient.WithStatus(http.StatusBadRequest).WithDescription("unknown client_id"))
	}
	if err != nil {
		p.log.ErrorContext(ctx, "logout: look up client", "tenant", iss.TenantID, "client_id", req.ClientID, "err", err)
		return EndSessionRequest{}, ptr(ErrServerError)
	}
	if uri != "" && !postLogoutAllowed(app, uri) {
		return EndSessionRequest{}, ptr(ErrInvalidRequest.WithDescription("post_logout_redirect_uri is not registered for this client"))
	}
	req.PostLogoutRedirectURI = uri
	return req, nil
}

// postLogoutAllowed reports whether uri is one of app's registered
// post-logout redirect URIs, byte for byte.
func postLogoutAllowed(app tenant.App, uri string) bool {
	return slices.Contains(app.PostLogoutRedirectURIs, uri)
}

// verifyHint checks an id_token_hint: a JWT signed by one of iss's keys
// with the alg of that key, issued by iss, with a subject and an audience,
// issued not in the future (beyond hintSkew). Expiry is not checked. It
// returns an error wrapping errBadHint for a token that does not verify,
// and another error when the keys cannot be read.
func (p *Provider) verifyHint(ctx context.Context, iss Issuer, raw string) (hintClaims, error) {
	parser := jwt.NewParser(jwt.WithValidMethods(idTokenAlgs), jwt.WithoutClaimsValidation())
	var c hintClaims
	var lookupErr error
	_, err := parser.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); strings.EqualFold(typ, accessTokenType) || strings.EqualFold(typ, "application/"+accessTokenType) {
			return nil, errors.New("an access token is not an ID token")
		}
		k, err := p.tokenKey(ctx, iss, t, &lookupErr)
		if err != nil {
			return nil, err
		}
		if alg, _ := t.Header["alg"].(string); alg != k.Alg() {
			return nil, fmt.Errorf("alg %q is not the alg of key %q", alg, k.ID())
		}
		return k.Public(), nil
	})
	if lookupErr != nil {
		return hintClaims{}, fmt.Errorf("oidc: verification key: %w", lookupErr)
	}
	if err != nil {
		return hintClaims{}, fmt.Errorf("%w: %w", errBadHint, err)
	}
	switch {
	case c.Issuer != iss.URL:
		return hintClaims{}, fmt.Errorf("%w: iss is not the issuer", errBadHint)
	case c.Subject == "" || len(c.Audience) == 0:
		return hintClaims{}, fmt.Errorf("%w: missing sub or aud", errBadHint)
	case c.IssuedAt == nil:
		return hintClaims{}, fmt.Errorf("%w: missing iat", errBadHint)
	case c.IssuedAt.After(p.clk.Now().Add(hintSkew)):
		return hintClaims{}, fmt.Errorf("%w: iat is in the future", errBadHint)
	}
	return c, nil
}
