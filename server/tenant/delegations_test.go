package tenant

import (
	"context"
	"testing"

	"github.com/lintel-id/lintel/server/store"
)

func TestAdministers(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		// a ── b ── c      x ── y
		//  └── d
		// Creation delegates a→b, b→c, a→d, x→y (non-transitive); each
		// case revokes or widens some of them and is rolled back.
		a := e.tenant(t, "a", "")
		b := e.tenant(t, "b", a.ID)
		c := e.tenant(t, "c", b.ID)
		d := e.tenant(t, "d", a.ID)
		x := e.tenant(t, "x", "")
		y := e.tenant(t, "y", x.ID)
		type edge struct{ parent, child string }
		for _, tc := range []struct {
			name          string
			revoke        []edge
			transitive    []edge
			admin, target string
			want          bool
		}{
			{name: "administers itself", admin: b.ID, target: b.ID, want: true},
			{name: "administers a child with a delegation", admin: a.ID, target: b.ID, want: true},
			{name: "does not administer a child without a delegation", revoke: []edge{{a.ID, d.ID}}, admin: a.ID, target: d.ID},
			{name: "does not reach a grandchild through a non-transitive grant", admin: a.ID, target: c.ID},
			{name: "reaches a grandchild through a transitive grant", transitive: []edge{{a.ID, b.ID}}, admin: a.ID, target: c.ID, want: true},
			{name: "does not reach a grandchild the child has not delegated", transitive: []edge{{a.ID, b.ID}}, revoke: []edge{{b.ID, c.ID}}, admin: a.ID, target: c.ID},
			{name: "a transitive last step alone does not reach a grandchild", transitive: []edge{{b.ID, c.ID}}, admin: a.ID, target: c.ID},
			{name: "does not administer a sibling", admin: b.ID, target: d.ID},
			{name: "does not administer its parent", admin: b.ID, target: a.ID},
			{name: "does not administer its grandparent", transitive: []edge{{a.ID, b.ID}}, admin: c.ID, target: a.ID},
			{name: "does not administer another tree", transitive: []edge{{a.ID, b.ID}}, admin: a.ID, target: y.ID},
			{name: "another tree does not administer it", admin: x.ID, target: b.ID},
			{name: "an unknown tenant is administered by no one", admin: "ten_unknown", target: "ten_unknown"},
			{name: "revoking takes effect at once", revoke: []edge{{a.ID, b.ID}}, admin: a.ID, target: b.ID},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.rolledBack(t, func(ctx context.Context, tx store.Tx) error {
					for _, g := range tc.transitive {
						if _, err := e.svc.Grant(ctx, tx, g.parent, g.child, true); err != nil {
							return err
						}
					}
					for _, r := range tc.revoke {
						if err := e.svc.Revoke(ctx, tx, r.parent, r.child); err != nil {
							return err
						}
					}
					got, err := e.svc.Administers(ctx, tx, tc.admin, tc.target)
					if err != nil {
						return err
					}
					if got != tc.want {
						t.Errorf("Administers(%s, %s) = %v, want %v", tc.admin, tc.target, got, tc.want)
					}
					return nil
				})
			})
		}
		t.Run("revocation is seen by the next transaction", func(t *testing.T) {
			check := func(want bool) {
				t.Helper()
				if got := get(t, e, func(ctx context.Context, tx store.Tx) (bool, error) {
					return e.svc.Administers(ctx, tx, x.ID, y.ID)
				}); got != want {
					t.Fatalf("Administers = %v, want %v", got, want)
				}
			}
			check(true)
			e.ok(t, func(ctx context.Context, tx store.Tx) error { return e.svc.Revoke(ctx, tx, x.ID, y.ID) })
			check(false)
		})
	})
}

func TestDelegations(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		a := e.tenant(t, "a", "")
		b := e.tenant(t, "b", a.ID)
		c := e.tenant(t, "c", b.ID)
		t.Run("creating a child with Delegate grants a non-transitive delegation", func(t *testing.T) {
			d := get(t, e, func(ctx context.Context, tx store.Tx) (Delegation, error) {
				return e.svc.Delegation(ctx, tx, a.ID, b.ID)
			})
			if d.Transitive || d.ParentID != a.ID || d.ChildID != b.ID || !d.CreatedAt.Equal(t0) {
				t.Fatalf("got %+v", d)
			}
		})
		t.Run("creating a child without Delegate grants nothing", func(t *testing.T) {
			n := get(t, e, func(ctx context.Context, tx store.Tx) (Tenant, error) {
				return e.svc.CreateTenant(ctx, tx, TenantInput{Slug: "n", Name: "N", ParentID: a.ID})
			})
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Delegation(ctx, tx, a.ID, n.ID)
				return err
			}))
		})
		t.Run("granting again updates transitivity in place", func(t *testing.T) {
			d := get(t, e, func(ctx context.Context, tx store.Tx) (Delegation, error) {
				return e.svc.Grant(ctx, tx, a.ID, b.ID, true)
			})
			if !d.Transitive || e.count(t, "tenant_delegations") != 2 {
				t.Fatalf("got %+v", d)
			}
		})
		for _, tc := range []struct{ name, parent, child string }{
			{"refuses a grant from a grandparent", a.ID, c.ID},
			{"refuses a grant from a child to its parent", b.ID, a.ID},
			{"refuses a grant to itself", a.ID, a.ID},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.Grant(ctx, tx, tc.parent, tc.child, true)
					return err
				}), "parent_id")
			})
		}
		t.Run("refuses a grant over an unknown tenant", func(t *testing.T) {
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Grant(ctx, tx, a.ID, "ten_unknown", false)
				return err
			}))
		})
		t.Run("revoking a missing delegation is not found", func(t *testing.T) {
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.Revoke(ctx, tx, a.ID, c.ID) }))
		})
	})
}
