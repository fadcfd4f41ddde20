package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations holds the schema, one folder per dialect. Both folders carry
// the same versions with the same tables, columns and indexes (checked by
// the schema-parity test).
//
//go:embed migrations
var migrations embed.FS

// versionTable is where goose records applied migrations.
const versionTable = "schema_version"

// Migrations returns the embedded migration files of a dialect.
func Migrations(d Dialect) (fs.FS, error) {
	return fs.Sub(migrations, "migrations/"+string(d))
}

type migrator struct{ p *goose.Provider }

func (db *DB) migrator() (*migrator, error) {
	fsys, err := Migrations(db.dialect)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	opts := []goose.ProviderOption{
		goose.WithTableName(versionTable),
		goose.WithDisableGlobalRegistry(true),
	}
	gd := goose.DialectSQLite3
	if db.dialect == Postgres {
		gd = goose.DialectPostgres
		// An advisory lock keeps two nodes starting together from both
		// migrating.
		l, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("store: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(l))
	}
	p, err := goose.NewProvider(gd, db.write, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	return &migrator{p: p}, nil
}

// versions reports the database's schema version and the newest this
// binary knows.
func (m *migrator) versions(ctx context.Context) (current, target int64, err error) {
	current, err = m.p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("store: read schema version: %w", err)
	}
	srcs := m.p.ListSources()
	if len(srcs) > 0 {
		target = srcs[len(srcs)-1].Version
	}
	return current, target, nil
}

func (m *migrator) up(ctx context.Context) error {
	if _, err := m.p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// Migrate applies pending migrations and reports the versions before and
// after. It refuses a schema newer than this binary with ErrSchemaTooNew.
func (db *DB) Migrate(ctx context.Context) (from, to int64, err error) {
	m, err := db.migrator()
	if err != nil {
		return 0, 0, err
	}
	from, target, err := m.versions(ctx)
	if err != nil {
		return 0, 0, err
	}
	if from > target {
		return from, from, fmt.Errorf("%w: the database is at schema version %d but this lintel knows only up to %d", ErrSchemaTooNew, from, target)
	}
	if err := m.up(ctx); err != nil {
		return from, from, err
	}
	return from, target, nil
}

// SchemaVersion reports the database's current schema version and the
// newest this binary knows.
func (db *DB) SchemaVersion(ctx context.Context) (current, known int64, err error) {
	m, err := db.migrator()
	if err != nil {
		return 0, 0, err
	}
	return m.versions(ctx)
}
