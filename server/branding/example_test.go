package branding_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/branding"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
	"github.com/lintel-id/lintel/themes"
)

// open returns a Service and a tenant over a fresh SQLite database, and a
// function that removes it.
func open() (*branding.Service, store.Store, tenant.Tenant, func()) {
	dir, err := os.MkdirTemp("", "branding-example")
	if err != nil {
		panic(err)
	}
	ctx, clk := context.Background(), clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	st, err := store.Open(ctx, store.Options{Dialect: store.SQLite, Path: filepath.Join(dir, "lintel.db"), Migrate: true})
	if err != nil {
		panic(err)
	}
	kek, err := secrets.GenerateKEK(clk.Now())
	if err != nil {
		panic(err)
	}
	sec, err := secrets.New(ctx, st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		panic(err)
	}
	tenants := tenant.New(sec, clk, tenant.Options{PublicHost: "id.example.com"})
	svc, err := branding.New(branding.Deps{Store: st, Tenants: tenants, Clock: clk, MAC: sec.MAC})
	if err != nil {
		panic(err)
	}
	var acme tenant.Tenant
	err = st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		acme, err = tenants.CreateTenant(ctx, tx, tenant.TenantInput{Slug: "acme", Name: "Acme"})
		return err
	})
	if err != nil {
		panic(err)
	}
	return svc, st, acme, func() { _ = st.Close(); _ = os.RemoveAll(dir) }
}

func ExampleService_Publish() {
	svc, st, acme, done := open()
	defer done()
	ctx := context.Background()
	publish := func(doc themes.Document, in branding.PublishInput) error {
		return st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
			if _, _, err := svc.SaveDraft(ctx, tx, acme.ID, acme.ID, doc); err != nil {
				return err
			}
			_, err := svc.Publish(ctx, tx, acme.ID, acme.ID, in)
			return err
		})
	}
	// Pale grey text on white cards is refused: it fails WCAG 2.2 AA.
	err := publish(themes.Document{Tokens: themes.Tokens{"color-text": "#bbbbbb"}}, branding.PublishInput{})
	var ce *branding.ContrastError
	if errors.As(err, &ce) {
		for _, f := range ce.Failures {
			fmt.Printf("refused: %s on %s is %.2f:1, needs %g:1\n", f.Foreground, f.Background, f.Ratio, f.Min)
		}
	}
	if err := publish(themes.Document{Tokens: themes.Tokens{"color-primary": "#0b5394"}}, branding.PublishInput{}); err != nil {
		panic(err)
	}
	r, err := svc.Resolve(ctx, acme.ID, "", "", "en")
	if err != nil {
		panic(err)
	}
	fmt.Println("primary:", r.Tokens["color-primary"])
	// Output:
	// refused: color-text on color-surface is 1.91:1, needs 4.5:1
	// refused: color-text on color-background is 1.76:1, needs 4.5:1
	// primary: #0b5394
}
