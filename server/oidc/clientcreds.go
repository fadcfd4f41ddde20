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
// of them) and its token carries its tenant (tid). Elsewhere no scope is
// defined for clients yet (custom authorization servers bring them), so
// the token has an empty scope and asking for one is invalid_scope.
func (p *Provider) clientCredentials(ctx context.Context, tx store.Tx, iss Issuer, app tenant.App, form url.Values) (issued, *Error, error) {
	system, err := p.isSystem(ctx, tx, iss)
	if err != nil {
		return issued{}, nil, err
	}
	var allowed []string
	if system && app.TokenEndpointAuthMethod == tenant.AuthPrivateKeyJWT {
		for _, s := range app.ManagementScopes {
			allowed = append(allowed, ManagementScopePrefix+s)
		}
	}
	scope := strings.Join(allowed, " ")
	if req := form.Get("scope"); req != "" {
		var e *Error
		if scope, e = clientScope(req, allowed); e != nil {
			return issued{}, e, nil
		}
	}
	m := minted{subject: app.ID, scope: scope}
	if system && len(allowed) > 0 {
		m.tenantID = app.TenantID
	}
	err = p.tokenEvent(ctx, tx, iss, app, tenant.GrantClientCredentials, "", events.Success, map[string]any{"scope": scope})
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
