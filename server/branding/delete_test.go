package branding

import (
	"context"
	"testing"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/themes"
)

// TestThemesGoWithTheirScope checks that deleting a brand, an app or a
// tenant through server/tenant leaves no theme rows behind.
func TestThemesGoWithTheirScope(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		a, _, err := e.put(t, e.a.ID, "image/png", pngOf(t, blue, 2, 2))
		if err != nil {
			t.Fatal(err)
		}
		for _, scope := range []string{e.a.ID, e.brand[e.a.ID], e.app[e.a.ID]} {
			e.saveAndPublish(t, scope, themes.Document{Tokens: themes.Tokens{"logo": a.ID}})
			e.save(t, scope, primary("#123456"))
		}
		scopeRows := func(scope string) int {
			return get(t, e, func(ctx context.Context, tx store.Tx) (int, error) {
				var n, m int
				if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM theme_versions WHERE scope_id = ?`, scope).Scan(&n); err != nil {
					return 0, err
				}
				return n + m, tx.QueryRow(ctx, `SELECT COUNT(*) FROM theme_live WHERE scope_id = ?`, scope).Scan(&m)
			})
		}
		del := func(fn func(ctx context.Context, tx store.Tx) error) { t.Helper(); e.must(t, fn) }
		del(func(ctx context.Context, tx store.Tx) error {
			return e.tenants.DeleteBrand(ctx, tx, e.a.ID, e.brand[e.a.ID])
		})
		if n := scopeRows(e.brand[e.a.ID]); n != 0 {
			t.Fatalf("%d rows of the deleted brand", n)
		}
		del(func(ctx context.Context, tx store.Tx) error {
			return e.tenants.DeleteApp(ctx, tx, e.a.ID, e.app[e.a.ID])
		})
		if n := scopeRows(e.app[e.a.ID]); n != 0 {
			t.Fatalf("%d rows of the deleted app", n)
		}
		if n := scopeRows(e.a.ID); n != 3 {
			t.Fatalf("the tenant's own rows: %d, want 3", n)
		}
		del(func(ctx context.Context, tx store.Tx) error { return e.tenants.DeleteTenant(ctx, tx, e.a.ID) })
		for tbl, n := range e.rows(t) {
			if n != 0 {
				t.Errorf("%d rows left in %s", n, tbl)
			}
		}
	})
}
