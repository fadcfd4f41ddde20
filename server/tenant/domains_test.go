package tenant

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

func TestBrands(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten, other := e.tenant(t, "acme", ""), e.tenant(t, "other", "")
		brand := get(t, e, func(ctx context.Context, tx store.Tx) (Brand, error) {
			return e.svc.CreateBrand(ctx, tx, ten.ID, BrandInput{Name: " Main "})
		})
		if brand.Name != "Main" || !strings.HasPrefix(brand.ID, "brand_") {
			t.Fatalf("created %+v", brand)
		}
		t.Run("refuses a duplicate name", func(t *testing.T) {
			wantConflict(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.CreateBrand(ctx, tx, ten.ID, BrandInput{Name: "MAIN"})
				return err
			}), "name")
		})
		t.Run("refuses an empty name", func(t *testing.T) {
			wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.CreateBrand(ctx, tx, ten.ID, BrandInput{})
				return err
			}), "name")
		})
		t.Run("hides another tenant's brand", func(t *testing.T) {
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Brand(ctx, tx, other.ID, brand.ID)
				return err
			}))
		})
		t.Run("renames", func(t *testing.T) {
			e.clk.Advance(time.Second)
			n := "Holiday"
			up := get(t, e, func(ctx context.Context, tx store.Tx) (Brand, error) {
				return e.svc.UpdateBrand(ctx, tx, ten.ID, brand.ID, BrandPatch{Name: &n})
			})
			if up.Name != n || !up.UpdatedAt.After(brand.UpdatedAt) {
				t.Fatalf("updated %+v", up)
			}
		})
		t.Run("refuses deletion while a domain uses the brand", func(t *testing.T) {
			d := get(t, e, func(ctx context.Context, tx store.Tx) (Domain, error) {
				return e.svc.CreateDomain(ctx, tx, ten.ID, DomainInput{Hostname: "login.acme.com", BrandID: brand.ID})
			})
			err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteBrand(ctx, tx, ten.ID, brand.ID) })
			if !errors.Is(err, ErrInUse) {
				t.Fatalf("got %v, want ErrInUse", err)
			}
			wantFields(t, err, "id")
			unbind := ""
			e.ok(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdateDomain(ctx, tx, ten.ID, d.ID, DomainPatch{BrandID: &unbind})
				return err
			})
			e.ok(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteBrand(ctx, tx, ten.ID, brand.ID) })
		})
		t.Run("lists page by page", func(t *testing.T) {
			var want []string
			for _, n := range []string{"A", "B", "C"} {
				e.clk.Advance(time.Millisecond)
				want = append(want, get(t, e, func(ctx context.Context, tx store.Tx) (Brand, error) {
					return e.svc.CreateBrand(ctx, tx, ten.ID, BrandInput{Name: n})
				}).ID)
			}
			got := walk(t, e, func(b Brand) string { return b.ID }, func(ctx context.Context, tx store.Tx, after string) ([]Brand, string, error) {
				return e.svc.ListBrands(ctx, tx, ten.ID, Page{After: after, Limit: 2})
			})
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	})
}

func TestDomains(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten, other := e.tenant(t, "acme", ""), e.tenant(t, "other", "")
		brand := get(t, e, func(ctx context.Context, tx store.Tx) (Brand, error) {
			return e.svc.CreateBrand(ctx, tx, ten.ID, BrandInput{Name: "Main"})
		})
		theirBrand := get(t, e, func(ctx context.Context, tx store.Tx) (Brand, error) {
			return e.svc.CreateBrand(ctx, tx, other.ID, BrandInput{Name: "Theirs"})
		})
		d := get(t, e, func(ctx context.Context, tx store.Tx) (Domain, error) {
			return e.svc.CreateDomain(ctx, tx, ten.ID, DomainInput{Hostname: "Login.Acme.com", BrandID: brand.ID})
		})
		if d.State != DomainPending || d.Hostname != "login.acme.com" || d.BrandID != brand.ID || len(d.VerificationToken) < 32 {
			t.Fatalf("created %+v", d)
		}
		before := e.count(t, "domains")
		create := func(tenantID string, in DomainInput) error {
			return e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.CreateDomain(ctx, tx, tenantID, in)
				return err
			})
		}
		for _, tc := range []struct {
			name, host string
			brand      string
			fields     []string
		}{
			{name: "refuses an empty hostname", fields: []string{"hostname"}},
			{name: "refuses a single label", host: "localhost", fields: []string{"hostname"}},
			{name: "refuses an IPv4 address", host: "192.0.2.1", fields: []string{"hostname"}},
			{name: "refuses an IPv6 address", host: "[2001:db8::1]", fields: []string{"hostname"}},
			{name: "refuses a trailing dot", host: "login.acme.com.", fields: []string{"hostname"}},
			{name: "refuses an underscore", host: "log_in.acme.com", fields: []string{"hostname"}},
			{name: "refuses an empty label", host: "login..acme.com", fields: []string{"hostname"}},
			{name: "refuses a label with a trailing hyphen", host: "login-.acme.com", fields: []string{"hostname"}},
			{name: "refuses a label of 64 characters", host: strings.Repeat("a", 64) + ".com", fields: []string{"hostname"}},
			{name: "refuses a name of 254 characters", host: strings.Repeat("a.", 126) + "ab", fields: []string{"hostname"}},
			{name: "refuses an all-numeric top-level label", host: "login.acme.123", fields: []string{"hostname"}},
			{name: "refuses a wildcard", host: "*.acme.com", fields: []string{"hostname"}},
			{name: "refuses a port", host: "login.acme.com:443", fields: []string{"hostname"}},
			{name: "refuses the instance's host", host: "id.example.com", fields: []string{"hostname"}},
			{name: "refuses a name under the instance's host", host: "acme.id.example.com", fields: []string{"hostname"}},
			{name: "refuses another tenant's brand", host: "auth.acme.com", brand: theirBrand.ID, fields: []string{"brand_id"}},
			{name: "reports every problem at once", host: "x", brand: "brand_nope", fields: []string{"hostname", "brand_id"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantFields(t, create(ten.ID, DomainInput{Hostname: tc.host, BrandID: tc.brand}), tc.fields...)
			})
		}
		t.Run("refuses a hostname another tenant registered", func(t *testing.T) {
			wantConflict(t, create(other.ID, DomainInput{Hostname: "LOGIN.acme.com"}), "hostname")
		})
		if n := e.count(t, "domains"); n != before {
			t.Fatalf("refused creations left %d domains, want %d", n, before)
		}
		t.Run("allows a sibling of the instance's host", func(t *testing.T) {
			if err := create(ten.ID, DomainInput{Hostname: "myid.example.com"}); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("finds a domain by host in any case", func(t *testing.T) {
			got := get(t, e, func(ctx context.Context, tx store.Tx) (Domain, error) {
				return e.svc.DomainByHost(ctx, tx, "LOGIN.ACME.COM.")
			})
			if got != d {
				t.Fatalf("got %+v, want %+v", got, d)
			}
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.DomainByHost(ctx, tx, "nope.acme.com")
				return err
			}))
		})
		t.Run("hides another tenant's domain", func(t *testing.T) {
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Domain(ctx, tx, other.ID, d.ID)
				return err
			}))
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteDomain(ctx, tx, other.ID, d.ID) }))
		})
		t.Run("rebinds the brand only within the tenant", func(t *testing.T) {
			wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdateDomain(ctx, tx, ten.ID, d.ID, DomainPatch{BrandID: &theirBrand.ID})
				return err
			}), "brand_id")
		})
		t.Run("records verification outcomes", func(t *testing.T) {
			e.clk.Advance(time.Minute)
			failed := get(t, e, func(ctx context.Context, tx store.Tx) (Domain, error) {
				return e.svc.SetDomainState(ctx, tx, d.ID, DomainFailed, "no TXT record")
			})
			if failed.State != DomainFailed || failed.LastError != "no TXT record" || !failed.UpdatedAt.After(d.UpdatedAt) {
				t.Fatalf("got %+v", failed)
			}
			active := get(t, e, func(ctx context.Context, tx store.Tx) (Domain, error) {
				return e.svc.SetDomainState(ctx, tx, d.ID, DomainActive, "")
			})
			got := get(t, e, func(ctx context.Context, tx store.Tx) (Domain, error) { return e.svc.Domain(ctx, tx, ten.ID, d.ID) })
			if !reflect.DeepEqual(got, active) || got.State != DomainActive || got.LastError != "" || !got.OwnershipProven() {
				t.Fatalf("got %+v", got)
			}
			pending := get(t, e, func(ctx context.Context, tx store.Tx) (Domain, error) {
				return e.svc.SetDomainState(ctx, tx, d.ID, DomainPending, "")
			})
			if pending.OwnershipProven() {
				t.Fatalf("forced back to pending, still proven: %+v", pending)
			}
			wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.SetDomainState(ctx, tx, d.ID, "bogus", strings.Repeat("x", MaxLastErrorLen+1))
				return err
			}), "state", "last_error")
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.SetDomainState(ctx, tx, "dom_nope", DomainActive, "")
				return err
			}))
		})
		t.Run("lists and deletes", func(t *testing.T) {
			ids := walk(t, e, func(d Domain) string { return d.ID }, func(ctx context.Context, tx store.Tx, after string) ([]Domain, string, error) {
				return e.svc.ListDomains(ctx, tx, ten.ID, Page{After: after, Limit: 1})
			})
			if len(ids) != 2 {
				t.Fatalf("listed %q", ids)
			}
			e.ok(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteDomain(ctx, tx, ten.ID, d.ID) })
			if err := create(other.ID, DomainInput{Hostname: d.Hostname}); err != nil {
				t.Fatalf("a deleted hostname is free again: %v", err)
			}
		})
	})
}
