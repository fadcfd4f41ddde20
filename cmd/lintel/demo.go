package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/mgmt"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// demoSlug names the tenant `lintel serve --demo` creates.
const demoSlug = "demo"

// demoSeed is what seedDemo made on the first start.
type demoSeed struct {
	tenant tenant.Tenant
	app    tenant.App
	token  string
}

// seedDemo creates, once, a demo tenant with a demo app and an
// instance-admin token, all in one transaction with their system-log
// events. On later starts it returns nil: the token was shown already.
func seedDemo(ctx context.Context, s *system, publicURL string) (*demoSeed, error) {
	var seed *demoSeed
	err := s.store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		seed = nil
		if _, err := s.tenants.Tenant(ctx, tx, demoSlug); err == nil {
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		sys, err := s.tenants.Tenant(ctx, tx, tenant.SystemSlug)
		if err != nil {
			return err
		}
		d := &demoSeed{}
		if d.tenant, err = s.tenants.CreateTenant(ctx, tx, tenant.TenantInput{Slug: demoSlug, Name: "Demo"}); err != nil {
			return err
		}
		if d.app, _, err = s.tenants.CreateApp(ctx, tx, d.tenant.ID, tenant.AppInput{
			Name: "Demo app", Type: tenant.AppType("web"),
			RedirectURIs:           []string{publicURL + "/demo/callback"},
			PostLogoutRedirectURIs: []string{publicURL + "/demo"},
		}); err != nil {
			return err
		}
		tok, secret, err := s.tokens.Create(ctx, tx, mgmt.TokenInput{
			TenantID: sys.ID, Name: "make run", Role: mgmt.RoleInstanceAdmin, CreatedBy: "demo",
		}, true)
		if err != nil {
			return err
		}
		d.token = secret
		for _, ev := range []events.Event{
			{Type: "tenant.created", TenantID: d.tenant.ID, Target: events.Ref{Type: "tenant", ID: d.tenant.ID}},
			{Type: "app.created", TenantID: d.tenant.ID, Target: events.Ref{Type: "app", ID: d.app.ID}},
			{Type: "mgmt_token.created", TenantID: sys.ID, Target: events.Ref{Type: "mgmt_token", ID: tok.ID}},
		} {
			ev.Actor, ev.Outcome, ev.RequestID = events.Ref{Type: "system"}, events.Success, requestid.From(ctx)
			if _, err := s.events.Append(ctx, tx, ev); err != nil {
				return err
			}
		}
		seed = d
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("demo data: %w", err)
	}
	return seed, nil
}

// print shows the seed to the person at the terminal, once; the token
// never goes through the logger.
func (d *demoSeed) print(w io.Writer, publicURL string) {
	fmt.Fprintf(w, `
Demo data created (shown once):
  tenant  %s (%s)
  app     %s, client_id %s
  admin token (instance admin, 30 days):
    %s
  try: curl -H "Authorization: Bearer %s" %s/api/v1/mgmt/tenants
  API docs: %s/api/v1/mgmt/docs

`, d.tenant.Slug, d.tenant.ID, d.app.Name, d.app.ID, d.token, d.token, publicURL, publicURL)
}
