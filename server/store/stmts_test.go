package store

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// TestStatementCache shows that SQLite statements are prepared once and
// then reused by later transactions of both pools, and that the writer's
// single connection never deadlocks on a statement first seen inside a
// transaction.
func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Options{Dialect: SQLite, Path: filepath.Join(t.TempDir(), "c.db"), Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const q = `SELECT COUNT(*) FROM tenants WHERE slug = ?`
	cached := func(pool *stmtCacheView) bool { return pool.has(q) }
	for _, tc := range []struct {
		name string
		run  func(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
		pool *stmtCacheView
	}{
		{"writer", db.Tx, &stmtCacheView{db.stmts[db.write]}},
		{"readers", db.View, &stmtCacheView{db.stmts[db.read]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			deadline := time.Now().Add(10 * time.Second)
			for !cached(tc.pool) {
				if time.Now().After(deadline) {
					t.Fatal("the statement was never cached")
				}
				// Several statements in one transaction: the first use of
				// each must not wait for the connection the tx holds.
				err := tc.run(ctx, func(ctx context.Context, tx Tx) error {
					for range 3 {
						var n int
						if err := tx.QueryRow(ctx, q, "acme").Scan(&n); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				runtime.Gosched()
			}
			var n int
			if err := tc.run(ctx, func(ctx context.Context, tx Tx) error { return tx.QueryRow(ctx, q, "acme").Scan(&n) }); err != nil || n != 0 {
				t.Fatalf("cached statement: %d, %v", n, err)
			}
		})
	}
}

// stmtCacheView reads a cache under its lock.
type stmtCacheView struct{ c *stmtCache }

func (v *stmtCacheView) has(q string) bool {
	v.c.mu.Lock()
	defer v.c.mu.Unlock()
	return v.c.m[q] != nil
}
