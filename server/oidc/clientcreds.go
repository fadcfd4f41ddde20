package oidc

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// ManagementScopePrefix starts the OAuth scopes that stand for management
// API scopes ("mgmt.users:read" for users:read).
const ManagementScopePrefix = "mgmt."

// clientCredentials runs the client_credentials grant (RFC 6749 §4.4) for
// a service app: an access token whose subject is the client itself, no
// refresh token, no ID token.
//
// Scopes: on the system tenant's default server a client with management
// scopes may ask for any of them as "mgmt.<scope>" (none asked means all
// of them) and its token carries its tenant (tid). Everywhere else the
// server's access policy decides: machine scopes of the server, expanded
// by implication; no scope asked gives the server's default scopes, or
// none (a token that names only the client).
func (p *Provider) clientCredentials(ctx context.Context, tx store.Tx, iss Issuer, app tenant.App, form url.Values) (issued, *Error, error) {
	system, err := p.isSystem(ctx, tx, iss)
	if err != nil {
		return issued{}, nil, err
	}
	if system && app.TokenEndpointAuthMethod == tenant.AuthPrivateKeyJWT && len(app.ManagementScopes) > 0 {
		return p.managementToken(ctx, tx, iss, app, form)
	}
	var asked []string
	if req := form.Get("scope"); req != "" {
		if strings.Contains(req, "  ") || strings.HasPrefix(req, " ") || strings.HasSuffix(req, " ") {
			return issued{}, ptr(ErrInvalidScope.WithDescription("scope values are separated by single spaces")), nil
		}
		asked = strings.Fields(req)
	}
	dc, e, err := p.decide(ctx, tx, iss, app, tenant.GrantClientCredentials, asked, nil)
	if e != nil || err != nil {
		return issued{}, e, err
	}
	m, err := p.tokens(ctx, tx, dc, minted{subject: app.ID})
	if err != nil {
		return issued{}, nil, err
	}
	err = p.tokenEvent(ctx, tx, iss, app, tenant.GrantClientCredentials, "", events.Success, map[string]any{"scope": m.scope})
	return issued{m: m}, nil, err
}

// managementToken issues a management API token to a service app: its
// management scopes as "mgmt.<scope>", its tenant as tid.
func (p *Provider) managementToken(ctx context.Context, tx store.Tx, iss Issuer, app tenant.App, form url.Values) (issued, *Error, error) {
	var allowed []string
	for _, s := range app.ManagementScopes {
		allowed = append(allowed, ManagementScopePrefix+s)
	}
	scope := strings.Join(allowed, " ")
	if req := form.Get("scope"); req != "" {
		var e *Error
		if scope, e = clientScope(req, allowed); e != nil {
			return issued{}, e, nil
		}
	}
	m := minted{subject: app.ID, scope: scope, tenantID: app.TenantID}
	err := p.tokenEvent(ctx, tx, iss, app, tenant.GrantClientCredentials, "", events.Success, map[string]any{"scope": scope})
	return issued{m: m}, nil, err
}

// clientScope checks a client_credentials scope request against what the
// client may hold and returns its normal form.
func clientScope(req string, allowed []string) (string, *Error) {
	var out []string
	for _, s := range strings.Split(req, " ") {
		switch {
		case s == "":
			return "", ptr(ErrInvalidScope.WithDescription("scope values are separated by single spaces"))
		case !slices.Contains(allowed, s):
			return "", ptr(ErrInvalidScope.WithDescription("the client may not request this scope"))
		case !slices.Contains(out, s):
			out = append(out, s)
		}
	}
	return strings.Join(out, " "), nil
}
