// Package storetest is the conformance suite every store.Store must pass on
// every dialect, and the test backends (a fresh SQLite file, a fresh
// PostgreSQL database cloned from a migrated template) that other packages'
// tests use to run their own suites on both dialects.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// PostgresURLEnv names the variable that points tests at a PostgreSQL server
// whose user may create databases. It is not a LINTEL_* variable on
// purpose: the binary refuses unknown LINTEL_* variables.
const PostgresURLEnv = "TEST_POSTGRES_URL"

// defaultPostgresURL is the machine's shared server.
const defaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// dbPrefix marks databases made by tests; the sweep drops old ones.
const dbPrefix = "lintel_test_"

// Opener returns a new, independent handle to one database, as a second
// node or process would open it. Handles are closed in t.Cleanup.
type Opener func(t testing.TB) store.Store

// Backend makes fresh databases of one dialect for tests.
type Backend struct {
	// Name is the dialect, used as the subtest name.
	Name string
	// New creates an empty, migrated database that is dropped when t ends,
	// and returns an opener of handles to it.
	New func(t testing.TB) Opener
}

// Open is a shortcut for a fresh database with one handle.
func (b Backend) Open(t testing.TB) store.Store { return b.New(t)(t) }

// Backends returns SQLite and PostgreSQL, the dialects every suite runs on.
func Backends() []Backend { return []Backend{SQLite(), Postgres()} }

// SQLite returns the backend of fresh database files in t.TempDir().
func SQLite() Backend {
	return Backend{Name: string(store.SQLite), New: func(t testing.TB) Opener {
		path := filepath.Join(t.TempDir(), "lintel.db")
		return func(t testing.TB) store.Store {
			t.Helper()
			s, err := store.Open(context.Background(), store.Options{
				Dialect: store.SQLite, Path: path, Migrate: true,
				// Short, so contention between handles surfaces as retries
				// within a test's patience.
				BusyTimeout: 100 * time.Millisecond,
			})
			if err != nil {
				t.Fatalf("open SQLite store: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		}
	}}
}

// Postgres returns the backend of fresh databases on the server named by
// TEST_POSTGRES_URL (default: the machine's server at 127.0.0.1:5432), each
// cloned from one migrated template per test binary.
func Postgres() Backend {
	return Backend{Name: string(store.Postgres), New: func(t testing.TB) Opener {
		t.Helper()
		u := NewPostgresDatabase(t)
		return func(t testing.TB) store.Store {
			t.Helper()
			s, err := store.Open(context.Background(), store.Options{Dialect: store.Postgres, URL: u, Migrate: true, MaxConns: 60})
			if err != nil {
				t.Fatalf("open PostgreSQL store: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		}
	}}
}

// PostgresAdminURL is the URL tests connect to for creating databases.
func PostgresAdminURL() string {
	if u := os.Getenv(PostgresURLEnv); u != "" {
		return u
	}
	return defaultPostgresURL
}

// template is the migrated database a test binary clones. Test binaries
// are separate processes, so each has its own.
var template struct {
	sync.Mutex
	name string
	err  error
}

// NewPostgresDatabase creates an empty, migrated database for t, dropped in
// t.Cleanup, and returns its URL.
func NewPostgresDatabase(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("pgx", PostgresAdminURL())
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer admin.Close()
	ctx := context.Background()
	tpl, err := ensureTemplate(ctx, admin)
	if err != nil {
		t.Fatalf("postgres template (is PostgreSQL running at %s?): %v", redacted(PostgresAdminURL()), err)
	}
	name := newName()
	template.Lock()
	_, err = admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tpl)
	template.Unlock()
	if err != nil {
		t.Fatalf("postgres: create database: %v", err)
	}
	t.Cleanup(func() { dropDatabase(PostgresAdminURL(), name) })
	return withDatabase(PostgresAdminURL(), name)
}

// DropTemplate removes this binary's template; call it from TestMain after
// m.Run. Templates left behind by killed runs go in the hourly sweep.
func DropTemplate() {
	template.Lock()
	defer template.Unlock()
	if template.name != "" {
		dropDatabase(PostgresAdminURL(), template.name)
		template.name = ""
	}
}

// Main runs a package's tests and then drops the PostgreSQL template.
func Main(m *testing.M) {
	code := m.Run()
	DropTemplate()
	os.Exit(code)
}

func ensureTemplate(ctx context.Context, admin *sql.DB) (string, error) {
	template.Lock()
	defer template.Unlock()
	if template.name != "" || template.err != nil {
		return template.name, template.err
	}
	template.err = func() error {
		sweep(ctx, admin)
		name := newName()
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			return err
		}
		s, err := store.Open(ctx, store.Options{Dialect: store.Postgres, URL: withDatabase(PostgresAdminURL(), name), Migrate: true})
		if err != nil {
			dropDatabase(PostgresAdminURL(), name)
			return err
		}
		// CREATE DATABASE … TEMPLATE needs the template to have no sessions.
		if err := s.Close(); err != nil {
			return err
		}
		template.name = name
		return nil
	}()
	return template.name, template.err
}

// sweep drops test databases older than an hour, left by killed runs.
func sweep(ctx context.Context, admin *sql.DB) {
	rows, err := admin.QueryContext(ctx, "SELECT datname FROM pg_database WHERE datname LIKE '"+dbPrefix+"%'")
	if err != nil {
		return
	}
	var old []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) != nil {
			continue
		}
		ts, _, ok := strings.Cut(strings.TrimPrefix(n, dbPrefix), "_")
		sec, err := strconv.ParseInt(ts, 10, 64)
		if ok && err == nil && time.Since(time.Unix(sec, 0)) > time.Hour {
			old = append(old, n)
		}
	}
	_ = rows.Close()
	for _, n := range old {
		_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+n+" WITH (FORCE)")
	}
}

func dropDatabase(adminURL, name string) {
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return
	}
	defer admin.Close()
	_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
}

// newName embeds the creation time so the sweep can tell old from new.
func newName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s%d_%s", dbPrefix, time.Now().Unix(), hex.EncodeToString(b[:]))
}
