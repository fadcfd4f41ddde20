package keyring

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestKeyMigrationActivatesExistingKeysAtTheirCreation migrates a database
// back to before key rotation, stores a key as that schema did, and checks
// that migrating forward makes it sign from its creation.
func TestKeyMigrationActivatesExistingKeysAtTheirCreation(t *testing.T) {
	ctx := context.Background()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			opts := store.Options{Dialect: d, Migrate: true}
			driver, gd := "sqlite", goose.DialectSQLite3
			if d == store.Postgres {
				opts.URL = storetest.NewPostgresDatabase(t)
				driver, gd = "pgx", goose.DialectPostgres
			} else {
				opts.Path = filepath.Join(t.TempDir(), "lintel.db")
			}
			st, err := store.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			dsn := opts.URL
			if d == store.SQLite {
				dsn = opts.Path
			}
			db, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			fsys, err := store.Migrations(d)
			if err != nil {
				t.Fatal(err)
			}
			g, err := goose.NewProvider(gd, db, fsys, goose.WithTableName("schema_version"), goose.WithDisableGlobalRegistry(true))
			if err != nil {
				t.Fatal(err)
			}
			var before int64
			for _, s := range g.ListSources() {
				if s.Version < 14 {
					before = s.Version
				}
			}
			if _, err := g.DownTo(ctx, before); err != nil {
				t.Fatalf("migrate down to %d: %v", before, err)
			}
			created := rt0.Add(-30 * 24 * time.Hour)
			stamp := any(created)
			if d == store.SQLite {
				stamp = created.Format("2006-01-02 15:04:05.000000+00:00")
			}
			q := `INSERT INTO oidc_keys (id, tenant_id, server, alg, generation, public_jwk, private_sealed, status, created_at)
				VALUES ('kid-old', 'ten_1', 'default', 'RS256', 1, '{}', $1, 'active', $2)`
			if d == store.SQLite {
				q = strings.NewReplacer("$1", "?", "$2", "?").Replace(q)
			}
			if _, err := db.ExecContext(ctx, q, []byte{1}, stamp); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			st, err = store.Open(ctx, opts)
			if err != nil {
				t.Fatalf("migrate up: %v", err)
			}
			defer st.Close()
			var activates time.Time
			err = st.View(ctx, func(ctx context.Context, tx store.Tx) error {
				return tx.QueryRow(ctx, `SELECT activates_at FROM oidc_keys WHERE id = 'kid-old'`).Scan(&activates)
			})
			if err != nil || !activates.Equal(created) {
				t.Errorf("activates_at %v, %v, want the creation %v", activates, err, created)
			}
		})
	}
}
