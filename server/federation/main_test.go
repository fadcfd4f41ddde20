package federation

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// fedT0 is when the store tests happen.
var fedT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fedWorld is one fresh database with tenants A and B, each with an app,
// tenant A with two network zones, and a Service over real secrets,
// tenant and directory services.
type fedWorld struct {
	st      store.Store
	svc     *Service
	tenants *tenant.Service
	dir     *directory.Directory
	clk     *clock.Fake
	// a and b are the tenants' IDs; app maps a tenant ID to its app.
	a, b string
	app  map[string]string
	// office (10.0.0.0/8) and vpn (192.0.2.0/24) are zones of tenant A.
	office, vpn string
}

// eachFedWorld runs fn on a fresh world of every dialect, in parallel
// with the other tests that use it.
func eachFedWorld(t *testing.T, fn func(t *testing.T, w *fedWorld)) {
	t.Helper()
	t.Parallel()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, newFedWorld(t, b.Open(t))) })
	}
}

func newFedWorld(t *testing.T, st store.Store) *fedWorld {
	t.Helper()
	ctx := context.Background()
	w := &fedWorld{st: st, clk: clock.NewFake(fedT0), app: map[string]string{}}
	kek, err := secrets.GenerateKEK(fedT0)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secrets.New(ctx, st, secrets.Keyring{Current: kek}, w.clk)
	if err != nil {
		t.Fatal(err)
	}
	w.dir = directory.New(w.clk, events.New(st, sec, w.clk), sec)
	w.tenants = tenant.New(sec, w.clk, tenant.Options{PublicHost: "id.example.com"})
	w.svc, err = New(Deps{Secrets: sec, Directory: w.dir, Tenants: w.tenants, HTTP: &http.Client{}, Clock: w.clk,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		for _, slug := range []string{"tenant-a", "tenant-b"} {
			ten, err := w.tenants.CreateTenant(ctx, tx, tenant.TenantInput{Slug: slug, Name: slug})
			if err != nil {
				return err
			}
			app, _, err := w.tenants.CreateApp(ctx, tx, ten.ID, tenant.AppInput{Name: "Portal", Type: "web",
				RedirectURIs: []string{"https://app.example.com/cb"}})
			if err != nil {
				return err
			}
			w.app[ten.ID] = app.ID
			if slug == "tenant-a" {
				w.a = ten.ID
			} else {
				w.b = ten.ID
			}
		}
		office, err := w.tenants.CreateZone(ctx, tx, w.a, tenant.ZoneInput{Name: "Office", CIDRs: []string{"10.0.0.0/8"}})
		if err != nil {
			return err
		}
		vpn, err := w.tenants.CreateZone(ctx, tx, w.a, tenant.ZoneInput{Name: "VPN", CIDRs: []string{"192.0.2.0/24"}})
		w.office, w.vpn = office.ID, vpn.ID
		return err
	})
	return w
}

// do runs fn in a transaction that commits whatever fn returns, so a
// refused call that wrote something would leave it behind.
func (w *fedWorld) do(t *testing.T, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	return storetest.Commit(t, w.st, fn)
}

// must runs fn in a transaction and fails the test on an error.
func (w *fedWorld) must(t *testing.T, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := w.st.Tx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// createIdP creates an identity provider of tenant, failing the test on
// an error.
func (w *fedWorld) createIdP(t *testing.T, tenantID string, in IdPInput) IdP {
	t.Helper()
	var p IdP
	w.must(t, func(ctx context.Context, tx store.Tx) (err error) {
		p, err = w.svc.CreateIdP(ctx, tx, tenantID, in)
		return err
	})
	return p
}

// oidcInput is an enabled OpenID Connect provider named name, with secret.
func oidcInput(name, secret string) IdPInput {
	return IdPInput{Name: name, Kind: KindOIDC, Enabled: true, Secret: &secret,
		Config: Config{Issuer: "https://login.acme.example", ClientID: "lintel"}}
}
