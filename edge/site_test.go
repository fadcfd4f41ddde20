package edge

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// TestHostsResolveToSites checks every way a host reaches a tenant, and
// the hosts that reach none.
func TestHostsResolveToSites(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	ctx := context.Background()
	var other tenant.Tenant
	err := w.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if other, err = w.tenants.CreateTenant(ctx, tx, tenant.TenantInput{Slug: "globex", Name: "Globex"}); err != nil {
			return err
		}
		active, err := w.tenants.CreateDomain(ctx, tx, other.ID, tenant.DomainInput{Hostname: "login.globex.example"})
		if err != nil {
			return err
		}
		if _, err := w.tenants.SetDomainState(ctx, tx, active.ID, tenant.DomainActive, ""); err != nil {
			return err
		}
		if _, err = w.tenants.CreateDomain(ctx, tx, other.ID, tenant.DomainInput{Hostname: "pending.globex.example"}); err != nil {
			return err
		}
		verified, err := w.tenants.CreateDomain(ctx, tx, other.ID, tenant.DomainInput{Hostname: "verified.globex.example"})
		if err != nil {
			return err
		}
		if _, err := w.tenants.RecordOwnershipProven(ctx, tx, other.ID, verified.ID); err != nil {
			return err
		}
		renewal, err := w.tenants.CreateDomain(ctx, tx, other.ID, tenant.DomainInput{Hostname: "renewal.globex.example"})
		if err != nil {
			return err
		}
		if _, err := w.tenants.RecordOwnershipProven(ctx, tx, other.ID, renewal.ID); err != nil {
			return err
		}
		if _, err := w.tenants.RecordCertificateFailed(ctx, tx, other.ID, renewal.ID, "renewal refused"); err != nil {
			return err
		}
		revoked, err := w.tenants.CreateDomain(ctx, tx, other.ID, tenant.DomainInput{Hostname: "revoked.globex.example"})
		if err != nil {
			return err
		}
		if _, err := w.tenants.RecordOwnershipProven(ctx, tx, other.ID, revoked.ID); err != nil {
			return err
		}
		_, err = w.tenants.RecordOwnershipFailed(ctx, tx, other.ID, revoked.ID, "TXT record gone")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	public, _ := url.Parse("https://id.example.test:8443")
	s := &sites{store: w.st, tenants: w.tenants, public: public, defaultTenant: "acme"}
	cases := []struct {
		name, host string
		tls        bool
		tenant     string // "" = unknown host
		base       string
	}{
		{"public host serves the default tenant", "id.example.test:8443", true, w.acme.ID, "https://id.example.test:8443"},
		{"public host in capitals", "ID.Example.Test:8443", true, w.acme.ID, "https://id.example.test:8443"},
		{"slug subdomain of the public host", "globex.id.example.test:8443", true, other.ID, "https://globex.id.example.test:8443"},
		{"active custom domain over TLS", "login.globex.example", true, other.ID, "https://login.globex.example"},
		{"active custom domain without TLS", "login.globex.example", false, "", ""},
		{"pending custom domain", "pending.globex.example", true, "", ""},
		{"verified custom domain (its certificate comes with the first handshake)", "verified.globex.example", true, other.ID, "https://verified.globex.example"},
		{"custom domain whose certificate failed but ownership stands", "renewal.globex.example", true, other.ID, "https://renewal.globex.example"},
		{"custom domain whose ownership check failed later", "revoked.globex.example", true, "", ""},
		{"unknown slug", "nope.id.example.test:8443", true, "", ""},
		{"the system tenant by slug", "system.id.example.test", true, "", ""},
		{"a tenant ID as a label", w.acme.ID + ".id.example.test", true, "", ""},
		{"two labels deep", "a.b.id.example.test", true, "", ""},
		{"unrelated host", "example.org", true, "", ""},
		{"empty host", "", true, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			site, err := s.resolve(ctx, c.host, c.tls)
			if c.tenant == "" {
				if !errors.Is(err, errUnknownHost) {
					t.Fatalf("got %+v, %v; want unknown host", site, err)
				}
				return
			}
			if err != nil || site.Tenant.ID != c.tenant || site.Base != c.base {
				t.Fatalf("got tenant %s base %q (%v); want %s %q", site.Tenant.ID, site.Base, err, c.tenant, c.base)
			}
			if site.Issuer("default") != c.base+"/oauth2/default" {
				t.Fatalf("issuer %q", site.Issuer("default"))
			}
		})
	}
}
