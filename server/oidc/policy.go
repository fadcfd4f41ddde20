package oidc

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/clientip"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// ErrPolicyDenied is returned by IssueCode when the server's access
// policy refuses the request; the engine answers the client with
// access_denied (or invalid_scope, per the wrapped authserver error).
var ErrPolicyDenied = errors.New("oidc: the access policy refuses the request")

// decided is a policy decision with what the tokens need from it.
type decided struct {
	srv authserver.Server
	req authserver.Request
	d   authserver.Decision
}

// decide runs the access policy of iss's server inside tx for a grant of
// app asking for scopes, for user (nil for client credentials), from the
// client address in ctx. A refusal comes back as a protocol error
// (invalid_scope or access_denied) with the decision filled for preview.
func (p *Provider) decide(ctx context.Context, tx store.Tx, iss Issuer, app tenant.App, grant string, scopes []string, user *Claims) (decided, *Error, error) {
	srv, err := p.authz.ServerByName(ctx, tx, iss.TenantID, iss.Server)
	if err != nil {
		return decided{}, nil, err
	}
	req := requestOf(app, user)
	req.Server, req.GrantType, req.Scopes, req.IP = srv, grant, scopes, clientip.From(ctx)
	d, err := p.authz.Decide(ctx, tx, req, p.tenants)
	out := decided{srv: srv, req: req, d: d}
	switch {
	case errors.Is(err, authserver.ErrNoPolicy):
		return out, ptr(ErrAccessDenied.WithStatus(400).WithDescription("the access policy does not allow this request: " + d.Reason)), nil
	case errors.Is(err, authserver.ErrNoScope), errors.Is(err, authserver.ErrScopeUnknown), errors.Is(err, authserver.ErrScopeNotAllowed):
		return out, ptr(ErrInvalidScope.WithDescription(d.Reason)), nil
	case err != nil:
		return decided{}, nil, err
	}
	return out, nil, nil
}

// requestOf is who a request is about, as policies and expressions see
// them: the app (id, name, type, tags) and the person, nil for client
// credentials (id, login, email, name, status, profile; their groups' IDs
// and names). Tokens and SAML attribute statements both describe people
// from it, so a rule reads the same variables whatever the protocol.
func requestOf(app tenant.App, user *Claims) authserver.Request {
	req := authserver.Request{
		ClientID: app.ID,
		App:      map[string]any{"id": app.ID, "name": app.Name, "type": string(app.Type), "tags": anyList(app.Tags)},
	}
	if user != nil {
		req.UserID = user.Subject
		profile := user.Profile
		if profile == nil {
			profile = map[string]any{}
		}
		req.User = map[string]any{"id": user.Subject, "login": user.Login, "email": user.Email, "name": user.Name,
			"status": user.Status, "profile": profile}
		for _, g := range user.Groups {
			req.Groups = append(req.Groups, g.ID)
			req.GroupNames = append(req.GroupNames, g.Name)
		}
	}
	return req
}

// tokens turns a granted decision into what mint needs: the granted
// scope, the server's audience, the rule's access token lifetime and the
// server's custom claims (an ID token only with openid and a user).
func (p *Provider) tokens(ctx context.Context, tx store.Tx, dc decided, m minted) (minted, error) {
	access, id, err := p.authz.TokenClaims(ctx, tx, dc.req, dc.d)
	if err != nil {
		return minted{}, err
	}
	m.scope = strings.Join(dc.d.Scopes, " ")
	m.audience = dc.srv.Audiences
	m.accessLifetime = dc.d.AccessTokenLifetime
	m.extraAccess, m.extraID = access, id
	m.server = dc.srv
	if !hasScope(m.scope, ScopeOpenID) {
		m.user = nil
	}
	return m, nil
}

// refreshLifetimes returns the absolute and idle lifetimes of a grant's
// refresh tokens under a decision, falling back to the provider's.
func (p *Provider) refreshLifetimes(d authserver.Decision) (absolute, idle time.Duration) {
	absolute, idle = d.RefreshTokenLifetime, d.RefreshTokenIdle
	if absolute <= 0 {
		absolute = p.refreshAbsolute
	}
	if idle <= 0 {
		idle = p.refreshIdle
	}
	return absolute, min(idle, absolute)
}

func anyList(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}
