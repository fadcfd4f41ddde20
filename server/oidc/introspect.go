package oidc

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// Endpoint paths of introspection and revocation under the issuer URL.
const (
	PathIntrospect = "/v1/introspect"
	PathRevoke     = "/v1/revoke"
)

// introspection is an introspection answer (RFC 7662 §2.2). An inactive
// token is {"active": false} and nothing else.
type introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Subject   string `json:"sub,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	Issuer    string `json:"iss,omitempty"`
	Audience  string `json:"aud,omitempty"`
	JTI       string `json:"jti,omitempty"`
	TenantID  string `json:"tid,omitempty"`
}

// Introspect returns the introspection endpoint ({issuer}/v1/introspect,
// RFC 7662). A confidential client of the issuer's tenant authenticates
// (public clients may not introspect) and POSTs token and an optional
// token_type_hint. Access tokens of the issuer are described to any such
// client (resource servers introspect tokens issued to others); refresh
// tokens only to the client they were issued to. Anything unknown,
// expired, revoked, of another tenant or not the caller's to see is
// {"active": false}.
func (p *Provider) Introspect() http.Handler { return http.HandlerFunc(p.introspect) }

func (p *Provider) introspect(w http.ResponseWriter, r *http.Request) {
	iss, form, ok := p.tokenRequest(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	token := form.Get("token")
	at, err := p.presentedAccess(ctx, iss, token)
	if err != nil {
		p.log.ErrorContext(ctx, "introspect: verify", "tenant", iss.TenantID, "err", err)
		writeTokenError(w, iss, ErrServerError)
		return
	}
	var out introspection
	e, err := p.withClient(ctx, iss, r, form, false, func(ctx context.Context, tx store.Tx, app tenant.App) (*Error, error) {
		if token == "" {
			return ptr(ErrInvalidRequest.WithDescription("token is required")), nil
		}
		var err error
		out, err = p.describe(ctx, tx, iss, app, token, at)
		return nil, err
	})
	switch {
	case err != nil:
		p.log.ErrorContext(ctx, "introspect: internal error", "tenant", iss.TenantID, "err", err)
		writeTokenError(w, iss, ErrServerError)
	case e != nil:
		writeTokenError(w, iss, *e)
	default:
		writeJSON(w, http.StatusOK, out)
	}
}

// describe introspects one token for the authenticated client app.
func (p *Provider) describe(ctx context.Context, tx store.Tx, iss Issuer, app tenant.App, token string, at *accessClaims) (introspection, error) {
	if at != nil {
		live, err := p.accessLive(ctx, tx, iss, *at)
		if err != nil || !live {
			return introspection{}, err
		}
		t := accessToken(iss, *at)
		if t.TenantID != app.TenantID && iss.TenantID != app.TenantID {
			return introspection{}, nil
		}
		out := introspection{Active: true, Scope: at.Scope, ClientID: at.ClientID, Subject: at.Subject, TokenType: "Bearer",
			Exp: t.ExpiresAt.Unix(), Iat: t.IssuedAt.Unix(), Issuer: iss.URL, JTI: at.ID, TenantID: at.TenantID}
		if len(at.Audience) > 0 {
			out.Audience = at.Audience[0]
		}
		return out, nil
	}
	rt, err := p.loadRefresh(ctx, tx, token)
	if errors.Is(err, store.ErrNotFound) {
		return introspection{}, nil
	}
	if err != nil {
		return introspection{}, err
	}
	g, err := loadGrant(ctx, tx, rt.grantID)
	if errors.Is(err, store.ErrNotFound) {
		return introspection{}, nil
	}
	if err != nil {
		return introspection{}, err
	}
	now := p.now()
	if g.tenantID != iss.TenantID || g.server != iss.Server || rt.clientID != app.ID || g.revokedAt.Valid ||
		rt.usedAt.Valid || !now.Before(rt.expiresAt) || !now.Before(g.expiresAt) {
		return introspection{}, nil
	}
	return introspection{Active: true, Scope: rt.scope, ClientID: rt.clientID, Subject: g.userID, TokenType: "refresh_token",
		Exp: rt.expiresAt.Unix(), Iat: rt.createdAt.Unix(), Issuer: iss.URL}, nil
}

// withClient authenticates the client of an introspection or revocation
// request and runs fn in the same read-write transaction (an assertion's
// jti and a secret's last use are recorded). Public clients pass only
// when allowPublic.
func (p *Provider) withClient(ctx context.Context, iss Issuer, r *http.Request, form url.Values, allowPublic bool,
	fn func(ctx context.Context, tx store.Tx, app tenant.App) (*Error, error)) (*Error, error) {
	creds, e := credentials(r, form)
	if e != nil {
		return e, nil
	}
	if creds.method == tenant.AuthNone && !allowPublic {
		return ptr(ErrInvalidClient.WithDescription("this endpoint requires client authentication")), nil
	}
	// On the system server a management client of another tenant may
	// introspect and revoke its own tokens.
	ca, e, err := p.preauthenticate(ctx, iss, creds, true)
	if e != nil || err != nil {
		return e, err
	}
	err = p.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		app, ae, err := p.authenticate(ctx, tx, iss, ca)
		if err != nil || ae != nil {
			e = ae
			return err
		}
		e, err = fn(ctx, tx, app)
		return err
	})
	return e, err
}

// looksLikeJWT reports whether s has the shape of a compact JWS.
func looksLikeJWT(s string) bool {
	dots := 0
	for i := range len(s) {
		if s[i] == '.' {
			dots++
		}
	}
	return dots == 2 && len(s) < 16<<10
}
