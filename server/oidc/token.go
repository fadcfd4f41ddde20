package oidc

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc/keyring"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// tokenResponse is a successful token response (RFC 6749 §5.1, OIDC Core
// §3.1.3.3).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	Scope        string `json:"scope"`
}

// tokenKeys are the keys a token response is signed with; id is nil for
// grants that issue no ID token.
type tokenKeys struct{ access, id *keyring.Key }

// Token returns the token endpoint ({issuer}/v1/token). It answers a POST
// of a form with one of three grant types:
//
//   - authorization_code: the code must be unused, unexpired, issued to
//     that client for the same redirect_uri, and the code_verifier must
//     match its S256 challenge. A code is used by its first presentation,
//     even a refused one; a replay is refused with invalid_grant and
//     revokes every token the first exchange issued (RFC 6749 §4.1.2).
//   - refresh_token: refresh tokens rotate: each is exchanged once for a
//     new one; presenting a used one again revokes its whole family.
//     Scope may narrow, never widen.
//   - client_credentials: service apps get an access token for
//     themselves. On the system tenant's default server, a service app of
//     any tenant that holds management scopes and signs with
//     private_key_jwt gets a token for the management API ("mgmt.…"
//     scopes, limited to its own tenant).
//
// The client authenticates with its registered method
// (client_secret_basic, client_secret_post, private_key_jwt, or none for
// public clients, which send client_id and no secret).
//
// The answer is JSON with Cache-Control: no-store: access_token (an ES256
// JWT, RFC 9068), token_type Bearer, expires_in, scope, and refresh_token
// (when the scope holds offline_access and the client may refresh) and
// id_token (with openid) as the grant allows; or an error, 400 or 401
// with a Basic challenge for invalid_client.
func (p *Provider) Token() http.Handler { return http.HandlerFunc(p.token) }

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	iss, form, ok := p.tokenRequest(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	grant := form.Get("grant_type")
	switch grant {
	case "":
		writeTokenError(w, iss, ErrInvalidRequest.WithDescription("grant_type is required"))
		return
	case tenant.GrantAuthorizationCode, tenant.GrantRefreshToken, tenant.GrantClientCredentials:
	default:
		writeTokenError(w, iss, ErrUnsupportedGrantType.WithDescription("grant_type must be authorization_code, refresh_token or client_credentials"))
		return
	}
	creds, e := credentials(r, form)
	if e != nil {
		writeTokenError(w, iss, *e)
		return
	}
	resp, e, err := p.grant(ctx, iss, grant, creds, form)
	switch {
	case err != nil:
		p.log.ErrorContext(ctx, "token: internal error", "tenant", iss.TenantID, "client_id", creds.id, "grant_type", grant, "err", err)
		writeTokenError(w, iss, ErrServerError)
	case e != nil:
		p.log.InfoContext(ctx, "token: refused", "tenant", iss.TenantID, "client_id", creds.id, "grant_type", grant, "error", e.Code, "description", e.Description)
		writeTokenError(w, iss, *e)
	default:
		writeJSON(w, http.StatusOK, resp)
	}
}

// grant authenticates the client and runs one grant in one transaction.
// A refusal is committed too: it records a code's one use, a replay's
// revocation, an assertion's jti.
func (p *Provider) grant(ctx context.Context, iss Issuer, grant string, creds clientCreds, form url.Values) (tokenResponse, *Error, error) {
	// Client credentials with a secret need nothing before the
	// transaction; assertions are verified (keys fetched) outside it, and
	// user grants need the app's ID token algorithm to load its key.
	ca := clientAuth{creds: creds}
	var e *Error
	var err error
	if creds.method == tenant.AuthPrivateKeyJWT || grant != tenant.GrantClientCredentials {
		if ca, e, err = p.preauthenticate(ctx, iss, creds, grant == tenant.GrantClientCredentials); e != nil || err != nil {
			return tokenResponse{}, e, err
		}
	}
	// Keys before the transaction: creating them takes transactions of
	// their own.
	keys, err := p.keys(ctx, iss, ca.app, grant != tenant.GrantClientCredentials)
	if err != nil {
		return tokenResponse{}, nil, err
	}
	var out issued
	var app tenant.App
	err = p.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		out, e = issued{}, nil
		var ae *Error
		var err error
		app, ae, err = p.authenticate(ctx, tx, iss, ca)
		switch {
		case err != nil:
			return err
		case ae != nil:
			e = ae
			return nil
		case !slices.Contains(app.GrantTypes, grant):
			e = ptr(ErrUnauthorizedClient.WithDescription("the client may not use the " + grant + " grant"))
			return nil
		}
		switch grant {
		case tenant.GrantAuthorizationCode:
			out, e, err = p.exchangeCode(ctx, tx, iss, app, form)
		case tenant.GrantRefreshToken:
			out, e, err = p.refresh(ctx, tx, iss, app, form)
		default:
			out, e, err = p.clientCredentials(ctx, tx, iss, app, form)
		}
		return err
	})
	if err != nil || e != nil {
		return tokenResponse{}, e, err
	}
	// Signing waits for the commit: the writer's lock is not held for it,
	// and a token exists only once its grant and event are stored.
	resp, err := p.mint(iss, app, out.m, keys)
	resp.RefreshToken = out.refresh
	return resp, nil, err
}

// issued is what a grant decided to issue: the tokens to sign and a new
// refresh token (stored already).
type issued struct {
	m       minted
	refresh string
}

// keys returns the keys a token response of iss for app is signed with:
// ES256 for the access token and, when withID, the app's ID token
// algorithm.
func (p *Provider) keys(ctx context.Context, iss Issuer, app tenant.App, withID bool) (tokenKeys, error) {
	at, err := p.ring.Signer(ctx, iss.TenantID, iss.Server, keyring.ES256)
	if err != nil || !withID {
		return tokenKeys{access: at}, err
	}
	alg := app.IDTokenAlg
	if alg == "" {
		alg = keyring.RS256
	}
	id, err := p.ring.Signer(ctx, iss.TenantID, iss.Server, alg)
	return tokenKeys{access: at, id: id}, err
}

// tokenEvent records an issued token in the system log.
func (p *Provider) tokenEvent(ctx context.Context, tx store.Tx, iss Issuer, app tenant.App, grant, userID string, outcome events.Outcome, details map[string]any) error {
	if details == nil {
		details = map[string]any{}
	}
	details["grant_type"] = grant
	details["server"] = iss.Server
	ev := events.Event{
		Type: "oauth2.token", TenantID: app.TenantID, Outcome: outcome, RequestID: requestid.From(ctx),
		Actor: events.Ref{Type: "app", ID: app.ID}, Target: events.Ref{Type: "app", ID: app.ID}, Details: details,
	}
	if userID != "" {
		ev.Actor, ev.Subject = events.Ref{Type: "user", ID: userID}, userID
	}
	_, err := p.events.Append(ctx, tx, ev)
	return err
}
