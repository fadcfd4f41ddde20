package tenant_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// open returns a Service over a fresh SQLite database and a function that
// removes it.
func open() (*tenant.Service, store.Store, func()) {
	dir, err := os.MkdirTemp("", "tenant-example")
	if err != nil {
		panic(err)
	}
	ctx, now := context.Background(), time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st, err := store.Open(ctx, store.Options{Dialect: store.SQLite, Path: filepath.Join(dir, "lintel.db"), Migrate: true})
	if err != nil {
		panic(err)
	}
	kek, err := secrets.GenerateKEK(now)
	if err != nil {
		panic(err)
	}
	sec, err := secrets.New(ctx, st, secrets.Keyring{Current: kek}, clock.NewFake(now))
	if err != nil {
		panic(err)
	}
	svc := tenant.New(sec, clock.NewFake(now), tenant.Options{PublicHost: "id.example.com"})
	return svc, st, func() { _ = st.Close(); _ = os.RemoveAll(dir) }
}

func ExampleService_Administers() {
	svc, st, done := open()
	defer done()
	err := st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		acme, err := svc.CreateTenant(ctx, tx, tenant.TenantInput{Slug: "acme", Name: "Acme"})
		if err != nil {
			return err
		}
		// Delegate: acme's admins administer acme-eu, but not below it.
		eu, err := svc.CreateTenant(ctx, tx, tenant.TenantInput{Slug: "acme-eu", Name: "Acme EU", ParentID: acme.ID, Delegate: true})
		if err != nil {
			return err
		}
		fr, err := svc.CreateTenant(ctx, tx, tenant.TenantInput{Slug: "acme-fr", Name: "Acme France", ParentID: eu.ID, Delegate: true})
		if err != nil {
			return err
		}
		show := func() {
			for _, target := range []tenant.Tenant{eu, fr} {
				ok, _ := svc.Administers(ctx, tx, acme.ID, target.ID)
				fmt.Printf("acme administers %s: %v\n", target.Slug, ok)
			}
		}
		show()
		// A transitive grant extends through acme-eu's own delegations.
		if _, err := svc.Grant(ctx, tx, acme.ID, eu.ID, true); err != nil {
			return err
		}
		show()
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// acme administers acme-eu: true
	// acme administers acme-fr: false
	// acme administers acme-eu: true
	// acme administers acme-fr: true
}

func ExampleService_CreateApp() {
	svc, st, done := open()
	defer done()
	err := st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		acme, err := svc.CreateTenant(ctx, tx, tenant.TenantInput{Slug: "acme", Name: "Acme"})
		if err != nil {
			return err
		}
		_, _, err = svc.CreateApp(ctx, tx, acme.ID, tenant.AppInput{
			Name: "Portal", Type: tenant.AppWeb,
			RedirectURIs: []string{"https://portal.acme.com/callback", "http://portal.acme.com/callback", "https://*.acme.com/cb"},
			GrantTypes:   []string{"implicit"},
		})
		for _, e := range invalid.All(err) {
			fmt.Println(e)
		}
		app, secret, err := svc.CreateApp(ctx, tx, acme.ID, tenant.AppInput{
			Name: "Portal", Type: tenant.AppWeb, RedirectURIs: []string{"https://portal.acme.com/callback"},
		})
		if err != nil {
			return err
		}
		fmt.Println(app.GrantTypes, app.TokenEndpointAuthMethod, strings.HasPrefix(secret, tenant.SecretPrefix))
		_, err = svc.VerifyAppSecret(ctx, tx, app.TenantID, app.ID, secret)
		fmt.Println("verified:", err == nil)
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// redirect_uris[1]: must use https (http is allowed only on loopback: 127.0.0.1, [::1], localhost)
	// redirect_uris[2]: must not contain wildcards (*): redirect URIs match exactly
	// grant_types[0]: the implicit grant is not supported (OAuth 2.1 removed it)
	// [authorization_code refresh_token] client_secret_basic true
	// verified: true
}
