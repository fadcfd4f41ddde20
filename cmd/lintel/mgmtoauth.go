package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/lintel-id/lintel/edge"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"

	"github.com/lintel-id/lintel/server/mgmt"
	"github.com/lintel-id/lintel/server/oidc"
)

// mgmtOAuth lets the management API accept access tokens of the system
// tenant's default authorization server: the bridge between mgmt and
// oidc, which do not know each other's types.
type mgmtOAuth struct {
	provider *oidc.Provider
	issuer   oidc.Issuer
}

// VerifyManagementToken verifies an access token for the management API:
// a live token of the management issuer that names its client's tenant;
// its mgmt.* scopes become management scopes, other scopes are dropped.
func (m mgmtOAuth) VerifyManagementToken(ctx context.Context, raw string) (mgmt.OAuthToken, error) {
	at, err := m.provider.VerifyAccessToken(ctx, m.issuer, raw)
	if errors.Is(err, oidc.ErrTokenInactive) {
		return mgmt.OAuthToken{}, fmt.Errorf("%w: %w", mgmt.ErrTokenInvalid, err)
	}
	if err != nil {
		return mgmt.OAuthToken{}, err
	}
	out := mgmt.OAuthToken{ID: at.ID, ClientID: at.ClientID, TenantID: at.TenantID, ExpiresAt: at.ExpiresAt}
	for _, s := range at.Scopes {
		if name, ok := strings.CutPrefix(s, oidc.ManagementScopePrefix); ok {
			out.Scopes = append(out.Scopes, mgmt.Scope(name))
		}
	}
	// Only a client's own client-credentials token with management
	// scopes is a management credential; a user's token never is.
	if at.GrantID != "" || at.Subject != at.ClientID || at.TenantID == "" || len(out.Scopes) == 0 {
		return mgmt.OAuthToken{}, fmt.Errorf("%w: not a management token", mgmt.ErrTokenInvalid)
	}
	return out, nil
}

// managementOAuth returns the verifier of management OAuth tokens: the
// system tenant's default authorization server at the public URL.
func (s *system) managementOAuth(ctx context.Context, public *url.URL) (mgmtOAuth, error) {
	var sys tenant.Tenant
	err := s.store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		sys, err = s.tenants.Tenant(ctx, tx, tenant.SystemSlug)
		return err
	})
	if err != nil {
		return mgmtOAuth{}, fmt.Errorf("system tenant: %w", err)
	}
	return mgmtOAuth{provider: s.oidc, issuer: oidc.Issuer{TenantID: sys.ID, Server: oidc.DefaultServer, URL: edge.ManagementIssuer(public)}}, nil
}
