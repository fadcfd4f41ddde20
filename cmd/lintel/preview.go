package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/lintel-id/lintel/edge"
	"github.com/lintel-id/lintel/server/mgmt"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// previewer lets the management API preview token requests: the
// provider's Preview with the issuer URL the tenant's server has where
// clients reach it (its fixed host, the public URL for the default
// tenant, {slug}.{public host} otherwise).
func (s *system) previewer(public *url.URL, defaultTenant string) mgmt.PreviewFunc {
	return func(ctx context.Context, tenantID, server string, in oidc.PreviewInput) (oidc.PreviewResult, error) {
		var t tenant.Tenant
		var srv authserver.Server
		err := s.store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
			var err error
			if t, err = s.tenants.Tenant(ctx, tx, tenantID); err != nil {
				return err
			}
			srv, err = s.authz.ServerByName(ctx, tx, t.ID, server)
			return err
		})
		if err != nil {
			return oidc.PreviewResult{}, err
		}
		res, err := s.oidc.Preview(ctx, t.ID, server, issuerBase(public, defaultTenant, t, srv)+"/oauth2/"+server, in)
		if errors.Is(err, oidc.ErrUnknownServer) {
			err = fmt.Errorf("%w: %w", store.ErrNotFound, err)
		}
		return res, err
	}
}

// issuerBase is scheme://host[:port][/system] where a tenant's server is
// reached, as the edge builds it.
func issuerBase(public *url.URL, defaultTenant string, t tenant.Tenant, srv authserver.Server) string {
	host := public.Host
	switch {
	case srv.IssuerMode == authserver.IssuerFixed && !strings.EqualFold(srv.IssuerHost, public.Hostname()):
		return "https://" + srv.IssuerHost
	case t.System:
		return strings.TrimSuffix(edge.ManagementIssuer(public), "/oauth2/"+oidc.DefaultServer)
	case t.Slug != defaultTenant:
		host = t.Slug + "." + host
	}
	return public.Scheme + "://" + host
}
