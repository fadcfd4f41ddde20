package tenant

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// TestSiteBase checks where links in a tenant's mail point: its oldest
// custom domain whose ownership is proven, else the public host for the default tenant, else
// the tenant's subdomain of the public URL with its scheme and port.
func TestSiteBase(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		acme, globex, initech := e.tenant(t, "acme", ""), e.tenant(t, "globex", ""), e.tenant(t, "initech", "")
		child := e.tenant(t, "acme-eu", acme.ID)
		domain := func(tenantID, host string, state DomainState) {
			e.ok(t, func(ctx context.Context, tx store.Tx) error {
				d, err := e.svc.CreateDomain(ctx, tx, tenantID, DomainInput{Hostname: host})
				if err == nil && state != DomainPending {
					_, err = e.svc.SetDomainState(ctx, tx, d.ID, state, "")
				}
				return err
			})
			e.clk.Advance(time.Second)
		}
		// acme: a pending domain first, then two active ones; the older
		// active one wins, whatever the order of their names.
		domain(acme.ID, "new.acme.com", DomainPending)
		domain(acme.ID, "login.acme.com", DomainActive)
		domain(acme.ID, "auth.acme.com", DomainActive)
		// globex: only domains whose ownership is not proven: the edge
		// does not serve them.
		domain(globex.ID, "login.globex.com", DomainVerified)
		e.ok(t, func(ctx context.Context, tx store.Tx) error {
			d, err := e.svc.DomainByHost(ctx, tx, "login.globex.com")
			if err == nil {
				_, err = e.svc.RecordOwnershipFailed(ctx, tx, globex.ID, d.ID, "TXT record gone")
			}
			return err
		})
		domain(globex.ID, "old.globex.com", DomainFailed)
		domain(globex.ID, "next.globex.com", DomainPending)
		// hooli: a proven domain whose certificate failed still counts.
		hooli := e.tenant(t, "hooli", "")
		domain(hooli.ID, "login.hooli.com", DomainVerified)
		e.ok(t, func(ctx context.Context, tx store.Tx) error {
			d, err := e.svc.DomainByHost(ctx, tx, "login.hooli.com")
			if err == nil {
				_, err = e.svc.RecordCertificateFailed(ctx, tx, hooli.ID, d.ID, "acme: timeout")
			}
			return err
		})

		local := New(e.svc.sec, e.clk, Options{PublicURL: "http://LocalHost:8080/ignored/path", DefaultTenant: "initech"})
		byID := New(e.svc.sec, e.clk, Options{PublicURL: "https://id.example.com", DefaultTenant: globex.ID})
		hostOnly := New(e.svc.sec, e.clk, Options{PublicHost: "id.example.com:8443"})
		for _, tc := range []struct {
			name   string
			svc    *Service
			tenant string
			want   string
		}{
			{"uses the oldest proven custom domain over https", local, acme.ID, "https://login.acme.com"},
			{"finds the tenant by slug too", local, "acme", "https://login.acme.com"},
			{"ignores domains whose ownership is not proven", local, globex.ID, "http://globex.localhost:8080"},
			{"uses a proven domain whatever its certificate", local, hooli.ID, "https://login.hooli.com"},
			{"keeps the public URL's scheme and port on a subdomain", local, child.ID, "http://acme-eu.localhost:8080"},
			{"serves the default tenant on the public host", local, initech.ID, "http://localhost:8080"},
			{"recognizes the default tenant by ID", byID, globex.ID, "https://id.example.com"},
			{"puts other tenants on their subdomain", byID, initech.ID, "https://initech.id.example.com"},
			{"prefers a custom domain over the default tenant's public host", New(e.svc.sec, e.clk, Options{PublicURL: "https://id.example.com", DefaultTenant: "acme"}), acme.ID, "https://login.acme.com"},
			{"links over https on the public host when only it is known", hostOnly, initech.ID, "https://initech.id.example.com"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := get(t, e, func(ctx context.Context, tx store.Tx) (string, error) { return tc.svc.SiteBase(ctx, tx, tc.tenant) })
				if got != tc.want {
					t.Fatalf("SiteBase(%s) = %q, want %q", tc.tenant, got, tc.want)
				}
			})
		}

		t.Run("takes the public host from the URL", func(t *testing.T) {
			ok := get(t, e, func(ctx context.Context, tx store.Tx) (bool, error) {
				return local.TenantHasHost(ctx, tx, acme.ID, "acme.localhost")
			})
			if !ok {
				t.Fatal("acme.localhost is not acme's host under the public URL http://LocalHost:8080")
			}
		})

		for _, tc := range []struct {
			name    string
			svc     *Service
			tenant  string
			is      error
			invalid bool
		}{
			{"refuses an unknown tenant", local, "ten_nope", store.ErrNotFound, false},
			{"refuses the system tenant", local, SystemSlug, ErrNoSite, true},
			{"refuses without a public host", New(e.svc.sec, e.clk, Options{}), initech.ID, ErrNoSite, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.tenant == SystemSlug {
					e.ok(t, func(ctx context.Context, tx store.Tx) error {
						_, err := e.svc.EnsureSystem(ctx, tx)
						return err
					})
				}
				err := e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := tc.svc.SiteBase(ctx, tx, tc.tenant)
					return err
				})
				if !errors.Is(err, tc.is) || invalid.Is(err) != tc.invalid {
					t.Fatalf("err %v, want %v (invalid input: %v)", err, tc.is, tc.invalid)
				}
			})
		}
	})
}

func TestOrigins(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		acme, bare := e.tenant(t, "acme", ""), e.tenant(t, "bare", "")
		for _, d := range []struct {
			host  string
			state DomainState
		}{{"login.acme.com", DomainActive}, {"pending.acme.com", DomainPending}, {"login.acme.co.uk", DomainVerified}, {"failed.acme.com", DomainFailed}} {
			e.ok(t, func(ctx context.Context, tx store.Tx) error {
				dom, err := e.svc.CreateDomain(ctx, tx, acme.ID, DomainInput{Hostname: d.host})
				if err == nil && d.state != DomainPending {
					_, err = e.svc.SetDomainState(ctx, tx, dom.ID, d.state, "")
				}
				return err
			})
			e.clk.Advance(time.Second)
		}
		svc := New(e.svc.sec, e.clk, Options{PublicURL: "https://id.example.com:8443", DefaultTenant: "bare"})
		for _, tc := range []struct {
			name, tenant string
			want         []string
		}{
			{"lists proven custom domains, oldest first, then the public subdomain", acme.ID, []string{"https://login.acme.com", "https://login.acme.co.uk", "https://acme.id.example.com:8443"}},
			{"gives the default tenant the public host", bare.ID, []string{"https://id.example.com:8443"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var got []string
				e.ok(t, func(ctx context.Context, tx store.Tx) (err error) {
					got, err = svc.Origins(ctx, tx, tc.tenant)
					return err
				})
				if !slices.Equal(got, tc.want) {
					t.Fatalf("Origins = %q, want %q", got, tc.want)
				}
			})
		}
		if svc.PublicHost() != "id.example.com" {
			t.Fatalf("PublicHost = %q", svc.PublicHost())
		}
	})
}
