package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func TestConformance(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { storetest.Run(t, b) })
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	for _, opts := range freshOptions(t) {
		t.Run(string(opts.Dialect), func(t *testing.T) {
			ctx := context.Background()
			s, err := store.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO schema_version (version_id, is_applied) VALUES (?, ?)`, 999999, true)
				return err
			})
			_ = s.Close()
			if err != nil {
				t.Fatal(err)
			}
			_, err = store.Open(ctx, opts)
			if !errors.Is(err, store.ErrSchemaTooNew) {
				t.Fatalf("got %v, want ErrSchemaTooNew", err)
			}
		})
	}
}

// freshOptions returns options for an empty database of each dialect.
func freshOptions(t *testing.T) []store.Options {
	return []store.Options{
		{Dialect: store.SQLite, Path: filepath.Join(t.TempDir(), "lintel.db"), Migrate: true},
		{Dialect: store.Postgres, URL: storetest.NewPostgresDatabase(t), Migrate: true},
	}
}

func TestOpenErrorsNameTheProblem(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		opts store.Options
		want string
	}{
		{"unknown dialect", store.Options{Dialect: "oracle"}, "unknown dialect"},
		{"missing data directory", store.Options{Dialect: store.SQLite, Path: filepath.Join(t.TempDir(), "nope", "lintel.db")}, "data directory"},
		{"not a postgres URL", store.Options{Dialect: store.Postgres, URL: "mysql://x"}, "not a postgres:// URL"},
		{"unreachable postgres hides the password", store.Options{Dialect: store.Postgres, URL: "postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=2"}, "unreachable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := store.Open(ctx, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, c.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error leaks the password: %v", err)
			}
		})
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			s := b.Open(t).(*store.DB)
			from, to, err := s.Migrate(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if from != to || to < 1 {
				t.Fatalf("second migrate went %d → %d, want no change at ≥ 1", from, to)
			}
		})
	}
}

func TestLockedSQLiteIsReported(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lintel.db")
	ctx := context.Background()
	s, err := store.Open(ctx, store.Options{Dialect: store.SQLite, Path: path, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hold, release := make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO secret_data_keys (id, kek_id, wrapped, created_at) VALUES ('x', 'k', X'00', '2026-01-01 00:00:00.000000+00:00')`); err != nil {
				return err
			}
			close(hold)
			<-release
			return errors.New("roll back")
		})
	}()
	<-hold
	defer close(release)
	s2, err := store.Open(ctx, store.Options{Dialect: store.SQLite, Path: path, BusyTimeout: 50_000_000, MaxAttempts: 2})
	if err != nil {
		t.Fatalf("a second reader should open: %v", err)
	}
	defer s2.Close()
	err = s2.Tx(ctx, func(ctx context.Context, tx store.Tx) error { return nil })
	if !errors.Is(err, store.ErrTooManyRetries) || !store.IsContention(err) {
		t.Fatalf("got %v, want contention after the retry budget", err)
	}
}
