package oidc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// tokenResponse is a successful token response (RFC 6749 §5.1, OIDC Core
// §3.1.3.3).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	IDToken     string `json:"id_token,omitempty"`
	Scope       string `json:"scope"`
}

// tokenKeys are the keys a token response is signed with.
type tokenKeys struct{ access, id *signingKey }

// Token returns the token endpoint ({issuer}/v1/token). It answers a POST
// of a form with grant_type=authorization_code: the client authenticates
// with its registered method (client_secret_basic, client_secret_post, or
// none for public clients, which send client_id and no secret); the code
// must be unused, unexpired, issued to that client for the same
// redirect_uri, and the code_verifier must match its S256 challenge. A
// code is used by its first presentation, even a refused one; a replay is
// refused with invalid_grant and logged.
//
// The answer is JSON with Cache-Control: no-store: access_token (an ES256
// JWT, RFC 9068), token_type Bearer, expires_in, id_token (RS256) and
// scope; or an error, 400 or 401 with a Basic challenge for
// invalid_client.
func (p *Provider) Token() http.Handler { return http.HandlerFunc(p.token) }

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	iss, ok := p.issuerOf(w, r)
	if !ok || !allowMethods(w, r, http.MethodPost) {
		return
	}
	ctx := r.Context()
	form, e := readForm(w, r)
	if e != nil {
		writeTokenError(w, iss, *e)
		return
	}
	switch form.Get("grant_type") {
	case "":
		writeTokenError(w, iss, ErrInvalidRequest.WithDescription("grant_type is required"))
		return
	case tenant.GrantAuthorizationCode:
	default:
		writeTokenError(w, iss, ErrUnsupportedGrantType.WithDescription("grant_type must be authorization_code"))
		return
	}
	creds, e := credentials(r, form)
	if e != nil {
		writeTokenError(w, iss, *e)
		return
	}
	// Keys first: creating them takes transactions of their own.
	keys, err := p.keys(ctx, iss)
	if err != nil {
		p.log.ErrorContext(ctx, "token: signing keys", "tenant", iss.TenantID, "err", err)
		writeTokenError(w, iss, ErrServerError)
		return
	}
	var resp tokenResponse
	err = p.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		resp, e = tokenResponse{}, nil
		app, ae, err := p.authenticate(ctx, tx, iss, creds)
		switch {
		case err != nil:
			return err
		case ae != nil:
			e = ae
			return nil
		case !slices.Contains(app.GrantTypes, tenant.GrantAuthorizationCode):
			e = ptr(ErrUnauthorizedClient.WithDescription("the client may not use the authorization code grant"))
			return nil
		}
		// A refusal is committed too: it records the code's one use.
		resp, e, err = p.exchangeCode(ctx, tx, iss, app, form, keys)
		return err
	})
	switch {
	case err != nil:
		p.log.ErrorContext(ctx, "token: exchange code", "tenant", iss.TenantID, "client_id", creds.id, "err", err)
		writeTokenError(w, iss, ErrServerError)
	case e != nil:
		p.log.InfoContext(ctx, "token: refused", "tenant", iss.TenantID, "client_id", creds.id, "error", e.Code, "description", e.Description)
		writeTokenError(w, iss, *e)
	default:
		writeJSON(w, http.StatusOK, resp)
	}
}

// keys returns the keys a token response of iss is signed with.
func (p *Provider) keys(ctx context.Context, iss Issuer) (tokenKeys, error) {
	at, err := p.signer(ctx, iss, algES256)
	if err != nil {
		return tokenKeys{}, err
	}
	id, err := p.signer(ctx, iss, algRS256)
	return tokenKeys{access: at, id: id}, err
}

// exchangeCode redeems an authorization code for app (already
// authenticated) and mints its tokens.
func (p *Provider) exchangeCode(ctx context.Context, tx store.Tx, iss Issuer, app tenant.App, form url.Values, keys tokenKeys) (tokenResponse, *Error, error) {
	code, redirect, verifier := form.Get("code"), form.Get("redirect_uri"), form.Get("code_verifier")
	refuse := func(d string) (tokenResponse, *Error, error) {
		return tokenResponse{}, ptr(ErrInvalidGrant.WithDescription(d)), nil
	}
	switch {
	case code == "":
		return tokenResponse{}, ptr(ErrInvalidRequest.WithDescription("code is required")), nil
	case redirect == "":
		return tokenResponse{}, ptr(ErrInvalidRequest.WithDescription("redirect_uri is required")), nil
	case verifier == "":
		return tokenResponse{}, ptr(ErrInvalidRequest.WithDescription("code_verifier is required")), nil
	case !pkceValue(verifier):
		return tokenResponse{}, ptr(ErrInvalidRequest.WithDescription("code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]")), nil
	case len(code) > 128:
		return refuse("unknown authorization code")
	}
	row, err := loadCode(ctx, tx, p.sec.MAC(codeMACPurpose, []byte(code)))
	if errors.Is(err, store.ErrNotFound) {
		return refuse("unknown authorization code")
	}
	if err != nil {
		return tokenResponse{}, nil, err
	}
	now := p.now()
	first := !row.usedAt.Valid
	if first {
		if first, err = markUsed(ctx, tx, row.mac, now); err != nil {
			return tokenResponse{}, nil, err
		}
	}
	if !first {
		// Later: revoke what the code's first exchange issued (RFC 6749
		// §4.1.2).
		p.log.WarnContext(ctx, "authorization code replayed", "tenant", iss.TenantID, "client_id", app.ID,
			"code_client_id", row.clientID, "user", row.userID, "first_used_at", row.usedAt.Time)
		return refuse("authorization code already used")
	}
	switch {
	case row.tenantID != iss.TenantID || row.server != iss.Server:
		return refuse("unknown authorization code")
	case !now.Before(row.expiresAt):
		return refuse("authorization code expired")
	case row.clientID != app.ID:
		p.log.WarnContext(ctx, "authorization code presented by another client", "tenant", iss.TenantID,
			"client_id", app.ID, "code_client_id", row.clientID)
		return refuse("authorization code was issued to another client")
	case row.redirectURI != redirect:
		return refuse("redirect_uri does not match the authorization request")
	case !verifierMatches(verifier, row.challenge):
		return refuse("code_verifier does not match the code_challenge")
	}
	claims, err := p.claims(ctx, tx, iss.TenantID, row.userID)
	if errors.Is(err, errUserGone) {
		return refuse("the user may no longer sign in")
	}
	if err != nil {
		return tokenResponse{}, nil, err
	}
	resp, err := p.mint(iss, app, row, claims, keys)
	return resp, nil, err
}
