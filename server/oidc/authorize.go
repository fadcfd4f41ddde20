package oidc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// AuthRequest is a validated authorization request (OIDC Core §3.1.2.1).
// Scope is normalised (known values, no duplicates, single spaces); the
// other fields are as the client sent them.
type AuthRequest struct {
	ClientID, RedirectURI, ResponseType, ResponseMode, Scope, State, Nonce string
	// CodeChallenge is the PKCE challenge; CodeChallengeMethod is always
	// "S256" in an accepted request.
	CodeChallenge, CodeChallengeMethod string
	// Prompt is zero or more of none, login, consent, select_account,
	// separated by spaces; none never comes with another value.
	Prompt, LoginHint, UILocales, ACRValues string
	// MaxAge is the max_age parameter in seconds, nil when absent.
	MaxAge *int
}

// HasPrompt reports whether the request's prompt holds v.
func (r AuthRequest) HasPrompt(v string) bool {
	return slices.Contains(strings.Fields(r.Prompt), v)
}

// Length limits of authorization request parameters. Longer values are
// refused rather than stored or echoed.
const (
	maxClientIDLen = 128
	maxStateLen    = 2048
	maxNonceLen    = 512
	maxHintLen     = 512
)

// authParams are the parameters that must not appear twice (RFC 6749 §3.1).
var authParams = []string{
	"client_id", "redirect_uri", "response_type", "response_mode", "scope", "state", "nonce",
	"code_challenge", "code_challenge_method", "prompt", "login_hint", "ui_locales", "acr_values",
	"max_age", "request", "request_uri", "display", "id_token_hint", "claims", "registration",
}

// promptValues are the prompt values the provider understands.
var promptValues = []string{"none", "login", "consent", "select_account"}

// ValidateAuthorize validates an authorization request for the issuer's
// tenant and returns it with the client's app.
//
// Errors found before the client and its redirect URI are proven (an
// unknown client or a client of another tenant, a missing or unregistered
// redirect_uri, a repeated client_id or redirect_uri) have Redirect false:
// the edge shows an error page. Every later error has Redirect true and is
// sent to the client with ErrorRedirect. The rules: response_type=code
// only, response_mode query only, PKCE with S256 for every client, scope
// with openid and known values only, prompt none|login|consent|
// select_account with none alone, no request objects.
//
// It reads the client in a transaction of its own: do not call it inside
// one (that fails with store.ErrNestedTx, answered as server_error).
func (p *Provider) ValidateAuthorize(ctx context.Context, iss Issuer, q url.Values) (AuthRequest, tenant.App, *AuthorizeError) {
	var req AuthRequest
	stop := func(e Error) (AuthRequest, tenant.App, *AuthorizeError) {
		return AuthRequest{}, tenant.App{}, &AuthorizeError{Err: e, Request: req}
	}
	if !iss.valid() {
		return stop(ErrInvalidRequest.WithStatus(http.StatusNotFound).WithDescription("unknown authorization server"))
	}
	if _, err := p.server(ctx, iss.TenantID, iss.Server); errors.Is(err, ErrUnknownServer) {
		return stop(ErrInvalidRequest.WithStatus(http.StatusNotFound).WithDescription("unknown authorization server"))
	} else if err != nil {
		p.log.ErrorContext(ctx, "authorize: authorization server", "tenant", iss.TenantID, "err", err)
		return stop(ErrServerError)
	}
	for _, k := range []string{"client_id", "redirect_uri"} {
		if len(q[k]) > 1 {
			return stop(ErrInvalidRequest.WithDescription(k + " appears more than once"))
		}
	}
	req.ClientID, req.RedirectURI = q.Get("client_id"), q.Get("redirect_uri")
	if len(q["state"]) == 1 && len(q.Get("state")) <= maxStateLen {
		req.State = q.Get("state")
	}
	req.ResponseMode = "query"
	if req.ClientID == "" {
		return stop(ErrInvalidRequest.WithDescription("client_id is required"))
	}
	app, err := p.authorizeApp(ctx, iss, req.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return stop(ErrInvalidClient.WithStatus(http.StatusBadRequest).WithDescription("unknown client_id"))
	}
	if err != nil {
		p.log.ErrorContext(ctx, "authorize: look up client", "tenant", iss.TenantID, "client_id", req.ClientID, "err", err)
		return stop(ErrServerError)
	}
	if req.RedirectURI == "" {
		return stop(ErrInvalidRequest.WithDescription("redirect_uri is required"))
	}
	if !redirectAllowed(app, req.RedirectURI) {
		return stop(ErrInvalidRequest.WithDescription("redirect_uri is not registered for this client"))
	}
	scopes, err := p.scopesFor(ctx, iss, app.ID)
	if err != nil {
		p.log.ErrorContext(ctx, "authorize: scopes", "tenant", iss.TenantID, "err", err)
		return stop(ErrServerError)
	}
	if e := checkAuthorize(q, app, scopes, &req); e != nil {
		return AuthRequest{}, tenant.App{}, &AuthorizeError{Err: *e, Redirect: true, Request: req}
	}
	return req, app, nil
}

// authorizeApp returns the app of the tenant whose client_id is clientID;
// anything else is store.ErrNotFound.
func (p *Provider) authorizeApp(ctx context.Context, iss Issuer, clientID string) (tenant.App, error) {
	if len(clientID) > maxClientIDLen {
		return tenant.App{}, store.ErrNotFound
	}
	var app tenant.App
	err := p.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		app, err = p.tenants.App(ctx, tx, iss.TenantID, clientID)
		return err
	})
	return app, err
}

// checkAuthorize checks the parameters of a request whose client and
// redirect URI are proven, filling req. Every error it returns may be
// redirected to the client.
func checkAuthorize(q url.Values, app tenant.App, scopes serverScopes, req *AuthRequest) *Error {
	for _, k := range authParams {
		if len(q[k]) > 1 {
			return ptr(ErrInvalidRequest.WithDescription(k + " appears more than once"))
		}
	}
	if len(q.Get("state")) > maxStateLen {
		return ptr(ErrInvalidRequest.WithDescription("state is too long"))
	}
	switch {
	case q.Get("request") != "":
		return ptr(ErrRequestNotSupported.WithDescription("request objects are not supported"))
	case q.Get("request_uri") != "":
		return ptr(ErrRequestURINotSupported.WithDescription("request_uri is not supported"))
	}
	switch m := q.Get("response_mode"); m {
	case "", "query":
	default:
		return ptr(ErrInvalidRequest.WithDescription("response_mode must be query"))
	}
	req.ResponseType = q.Get("response_type")
	switch req.ResponseType {
	case "":
		return ptr(ErrInvalidRequest.WithDescription("response_type is required"))
	case "code":
	default:
		return ptr(ErrUnsupportedResponseType.WithDescription("response_type must be code"))
	}
	if !slices.Contains(app.GrantTypes, tenant.GrantAuthorizationCode) {
		return ptr(ErrUnauthorizedClient.WithDescription("the client may not use the authorization code flow"))
	}
	scope, e := scopes.parseScope(q.Get("scope"))
	if e != nil {
		return e
	}
	req.Scope = scope
	if e := checkPKCE(q, req); e != nil {
		return e
	}
	if e := checkPrompt(q.Get("prompt")); e != nil {
		return e
	}
	req.Prompt = q.Get("prompt")
	if v := q.Get("max_age"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || strings.HasPrefix(v, "+") {
			return ptr(ErrInvalidRequest.WithDescription("max_age must be a non-negative integer"))
		}
		req.MaxAge = &n
	}
	for _, f := range []struct {
		name string
		max  int
		dst  *string
	}{
		{"nonce", maxNonceLen, &req.Nonce},
		{"login_hint", maxHintLen, &req.LoginHint},
		{"ui_locales", maxHintLen, &req.UILocales},
		{"acr_values", maxHintLen, &req.ACRValues},
	} {
		v := q.Get(f.name)
		if len(v) > f.max {
			return ptr(ErrInvalidRequest.WithDescription(f.name + " is too long"))
		}
		*f.dst = v
	}
	return nil
}

// checkPKCE requires a code_challenge with method S256 (RFC 7636; PKCE is
// required for every client and plain is refused).
func checkPKCE(q url.Values, req *AuthRequest) *Error {
	c, m := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case c == "":
		return ptr(ErrInvalidRequest.WithDescription("code_challenge is required (PKCE with S256)"))
	case m != "S256":
		return ptr(ErrInvalidRequest.WithDescription("code_challenge_method must be S256"))
	case !pkceValue(c):
		return ptr(ErrInvalidRequest.WithDescription("code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]"))
	}
	req.CodeChallenge, req.CodeChallengeMethod = c, m
	return nil
}

// pkceValue reports whether s is a valid code_verifier or code_challenge:
// 43–128 unreserved characters (RFC 7636 §4.1).
func pkceValue(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}

// checkPrompt checks the prompt parameter (OIDC Core §3.1.2.1): known
// values, each once, none alone.
func checkPrompt(prompt string) *Error {
	if prompt == "" {
		return nil
	}
	vals := strings.Split(prompt, " ")
	for i, v := range vals {
		switch {
		case !slices.Contains(promptValues, v):
			return ptr(ErrInvalidRequest.WithDescription("prompt must be none, login, consent or select_account"))
		case slices.Index(vals, v) < i:
			return ptr(ErrInvalidRequest.WithDescription("prompt repeats a value"))
		}
	}
	if len(vals) > 1 && slices.Contains(vals, "none") {
		return ptr(ErrInvalidRequest.WithDescription("prompt none cannot be combined with other values"))
	}
	return nil
}
