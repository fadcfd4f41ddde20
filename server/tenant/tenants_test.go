package tenant

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

func TestTenantLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		acme := e.tenant(t, "acme", "")
		if acme.Depth != 1 || acme.ParentID != "" || acme.System || !strings.HasPrefix(acme.ID, "ten_") {
			t.Fatalf("created %+v", acme)
		}
		for _, key := range []string{acme.ID, "acme"} {
			got := get(t, e, func(ctx context.Context, tx store.Tx) (Tenant, error) { return e.svc.Tenant(ctx, tx, key) })
			if got != acme {
				t.Fatalf("Tenant(%q) = %+v, want %+v", key, got, acme)
			}
		}
		e.clk.Advance(time.Minute)
		name := "  ACME Corp  "
		up := get(t, e, func(ctx context.Context, tx store.Tx) (Tenant, error) {
			return e.svc.UpdateTenant(ctx, tx, acme.ID, TenantPatch{Name: &name})
		})
		if up.Name != "ACME Corp" || !up.UpdatedAt.After(acme.UpdatedAt) || up.Slug != "acme" {
			t.Fatalf("updated %+v", up)
		}
		bad := ""
		wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
			_, err := e.svc.UpdateTenant(ctx, tx, acme.ID, TenantPatch{Name: &bad})
			return err
		}), "name")
		e.ok(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteTenant(ctx, tx, acme.ID) })
		wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
			_, err := e.svc.Tenant(ctx, tx, acme.ID)
			return err
		}))
		wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteTenant(ctx, tx, acme.ID) }))
	})
}

func TestCreateTenantRefusesBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		top := e.tenant(t, "top", "")
		mid := e.tenant(t, "mid", top.ID)
		low := e.tenant(t, "low", mid.ID)
		sys := get(t, e, e.svc.EnsureSystem)
		before := e.count(t, "tenants")
		for _, tc := range []struct {
			name   string
			in     TenantInput
			fields []string
		}{
			{"refuses an empty slug", TenantInput{Name: "x"}, []string{"slug"}},
			{"refuses an uppercase slug", TenantInput{Slug: "Acme", Name: "x"}, []string{"slug"}},
			{"refuses a slug with a leading hyphen", TenantInput{Slug: "-acme", Name: "x"}, []string{"slug"}},
			{"refuses a slug of 64 characters", TenantInput{Slug: strings.Repeat("a", 64), Name: "x"}, []string{"slug"}},
			{"refuses the reserved slug", TenantInput{Slug: "system", Name: "x"}, []string{"slug"}},
			{"refuses an empty name", TenantInput{Slug: "ok", Name: "   "}, []string{"name"}},
			{"refuses a name of 101 characters", TenantInput{Slug: "ok", Name: strings.Repeat("é", 101)}, []string{"name"}},
			{"refuses a control character in the name", TenantInput{Slug: "ok", Name: "a\x00b"}, []string{"name"}},
			{"refuses an unknown parent", TenantInput{Slug: "ok", Name: "x", ParentID: "ten_nope"}, []string{"parent_id"}},
			{"refuses nesting deeper than the bound", TenantInput{Slug: "ok", Name: "x", ParentID: low.ID}, []string{"parent_id"}},
			{"refuses a child of the system tenant", TenantInput{Slug: "ok", Name: "x", ParentID: sys.ID}, []string{"parent_id"}},
			{"reports every problem at once", TenantInput{Slug: "A", Name: "", ParentID: low.ID}, []string{"name", "slug", "parent_id"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.CreateTenant(ctx, tx, tc.in)
					return err
				}), tc.fields...)
			})
		}
		t.Run("refuses a duplicate slug", func(t *testing.T) {
			wantConflict(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.CreateTenant(ctx, tx, TenantInput{Slug: "mid", Name: "Other"})
				return err
			}), "slug")
		})
		if n := e.count(t, "tenants"); n != before {
			t.Fatalf("refused creations left %d tenants, want %d", n, before)
		}
		if low.Depth != 3 || mid.Depth != 2 {
			t.Fatalf("depths %d, %d", mid.Depth, low.Depth)
		}
	})
}

func TestSystemTenantIsCreatedOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		a := get(t, e, e.svc.EnsureSystem)
		e.clk.Advance(time.Hour)
		b := get(t, e, e.svc.EnsureSystem)
		if a != b || !a.System || a.Slug != SystemSlug || a.Depth != 1 {
			t.Fatalf("first %+v, second %+v", a, b)
		}
		if n := e.count(t, "tenants"); n != 1 {
			t.Fatalf("%d tenants", n)
		}
		wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteTenant(ctx, tx, a.ID) }), "id")
	})
}

func TestListTenants(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var top, kids []string
		for i := range 7 {
			e.clk.Advance(time.Millisecond)
			p := e.tenant(t, "top"+string(rune('a'+i)), "")
			top = append(top, p.ID)
		}
		for i := range 4 {
			e.clk.Advance(time.Millisecond)
			kids = append(kids, e.tenant(t, "kid"+string(rune('a'+i)), top[0]).ID)
		}
		list := func(f TenantFilter) []string {
			return walk(t, e, func(t Tenant) string { return t.ID }, func(ctx context.Context, tx store.Tx, after string) ([]Tenant, string, error) {
				f.After, f.Limit = after, 3
				return e.svc.ListTenants(ctx, tx, f)
			})
		}
		all := append(slices.Clone(top), kids...)
		for _, tc := range []struct {
			name string
			f    TenantFilter
			want []string
		}{
			{"lists every tenant", TenantFilter{}, all},
			{"lists top-level tenants", TenantFilter{TopLevel: true}, top},
			{"lists the children of a tenant", TenantFilter{ParentID: top[0]}, kids},
			{"restricts to given IDs", TenantFilter{IDs: []string{kids[1], top[3], "ten_unknown"}}, []string{top[3], kids[1]}},
			{"restricts to given IDs among children", TenantFilter{ParentID: top[0], IDs: []string{kids[1], top[3]}}, []string{kids[1]}},
			{"lists nothing for an empty ID restriction", TenantFilter{IDs: []string{}}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := list(tc.f); !slices.Equal(got, tc.want) {
					t.Fatalf("got %q, want %q", got, tc.want)
				}
			})
		}
		t.Run("refuses a limit above the maximum", func(t *testing.T) {
			wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, _, err := e.svc.ListTenants(ctx, tx, TenantFilter{Limit: MaxLimit + 1})
				return err
			}), "limit")
		})
		t.Run("returns fewer than the default limit in one page", func(t *testing.T) {
			var got []Tenant
			var next string
			e.ok(t, func(ctx context.Context, tx store.Tx) error {
				var err error
				got, next, err = e.svc.ListTenants(ctx, tx, TenantFilter{})
				return err
			})
			if len(got) != len(all) || next != "" {
				t.Fatalf("got %d tenants and cursor %q", len(got), next)
			}
		})
	})
}

func TestDeleteTenant(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		parent := e.tenant(t, "parent", "")
		child := e.tenant(t, "child", parent.ID)
		t.Run("refuses while the tenant has sub-tenants", func(t *testing.T) {
			err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteTenant(ctx, tx, parent.ID) })
			if !errors.Is(err, ErrHasChildren) {
				t.Fatalf("got %v, want ErrHasChildren", err)
			}
			wantFields(t, err, "id")
		})
		t.Run("deletes what the tenant owns", func(t *testing.T) {
			app, _ := e.app(t, child.ID, webApp("Portal"))
			e.ok(t, func(ctx context.Context, tx store.Tx) error {
				b, err := e.svc.CreateBrand(ctx, tx, child.ID, BrandInput{Name: "Main"})
				if err != nil {
					return err
				}
				if _, err := e.svc.CreateDomain(ctx, tx, child.ID, DomainInput{Hostname: "login.child.com", BrandID: b.ID}); err != nil {
					return err
				}
				_, err = e.svc.CreateOrigin(ctx, tx, child.ID, OriginInput{Name: "Site", Origin: "https://child.com", AppIDs: []string{app.ID}})
				return err
			})
			other, _ := e.app(t, parent.ID, webApp("Kept"))
			e.ok(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteTenant(ctx, tx, child.ID) })
			for table, want := range map[string]int{"tenants": 1, "tenant_delegations": 0, "apps": 1, "app_secrets": 1,
				"brands": 0, "domains": 0, "trusted_origins": 0, "network_zones": 0} {
				if n := e.count(t, table); n != want {
					t.Errorf("%s has %d rows, want %d", table, n, want)
				}
			}
			get(t, e, func(ctx context.Context, tx store.Tx) (App, error) { return e.svc.App(ctx, tx, parent.ID, other.ID) })
		})
	})
}
