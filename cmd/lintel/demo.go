package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/mgmt"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// demoSlug names the tenant `lintel serve --demo` creates.
const demoSlug = "demo"

// demoSeed is what seedDemo made on the first start.
type demoSeed struct {
	tenant   tenant.Tenant
	app      tenant.App
	token    string
	login    string
	password string
}

// demoLogin is the demo user's login.
const demoLogin = "demo@example.com"

// seedDemo creates, once, a demo tenant with a demo app and an
// instance-admin token, all in one transaction with their system-log
// events. On later starts it returns nil: the token was shown already.
func seedDemo(ctx context.Context, s *system, publicURL string) (*demoSeed, error) {
	var seed *demoSeed
	password := readablePassword()
	// Hash before the transaction: hashing is slow and must not hold it.
	hash, err := s.passwords.Hash(ctx, password)
	if err != nil {
		return nil, err
	}
	err = s.store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
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
			PostLogoutRedirectURIs: []string{publicURL + "/demo/signed-out"},
		}); err != nil {
			return err
		}
		user, err := s.directory.CreateUser(ctx, tx, d.tenant.ID, directory.UserInput{Login: demoLogin, Email: demoLogin, EmailVerified: true, Name: "Demo User", Locale: "en"})
		if err != nil {
			return err
		}
		if err := s.directory.SetCredential(ctx, tx, d.tenant.ID, user.ID, "password", hash); err != nil {
			return err
		}
		d.login, d.password = demoLogin, password
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
  user    %s, password %s
  admin token (instance admin, 30 days):
    %s
  sign in: %s/demo
  try: curl -H "Authorization: Bearer %s" %s/api/v1/mgmt/tenants
  API docs: %s/api/v1/mgmt/docs
  theme studio: %s/studio (tenant demo, the admin token)

`, d.tenant.Slug, d.tenant.ID, d.app.Name, d.app.ID, d.login, d.password, d.token, publicURL, d.token, publicURL, publicURL, publicURL)
}

// readablePassword makes a random password that is easy to type: 15
// lowercase letters and digits in groups (about 77 bits).
func readablePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	var b [15]byte
	_, _ = rand.Read(b[:])
	var out []byte
	for i, c := range b {
		if i > 0 && i%5 == 0 {
			out = append(out, '-')
		}
		out = append(out, alphabet[int(c)%len(alphabet)])
	}
	return string(out)
}

// demoClient returns the demo app's client ID and a fresh secret for the
// demo client: the secret is rotated on every start (older ones stop at
// once), so it never needs to be stored.
func demoClient(ctx context.Context, s *system) (tenantID, clientID, secret string, err error) {
	err = s.store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		t, err := s.tenants.Tenant(ctx, tx, demoSlug)
		if err != nil {
			return err
		}
		apps, _, err := s.tenants.ListApps(ctx, tx, t.ID, tenant.AppFilter{Name: "Demo app", Limit: 1})
		if err != nil {
			return err
		}
		if len(apps) == 0 {
			return errors.New("the demo app is gone; delete the data directory to seed it again")
		}
		tenantID, clientID = t.ID, apps[0].ID
		if secret, err = s.tenants.RotateAppSecret(ctx, tx, t.ID, clientID, 0); err != nil {
			return err
		}
		_, err = s.events.Append(ctx, tx, events.Event{
			Type: "app.secret.rotated", TenantID: t.ID, Actor: events.Ref{Type: "system"},
			Target: events.Ref{Type: "app", ID: clientID}, Outcome: events.Success, Details: map[string]any{"reason": "demo client start"},
		})
		return err
	})
	return tenantID, clientID, secret, err
}
