package tenant

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// env is one fresh database with a Service over it.
type env struct {
	st  store.Store
	svc *Service
	clk *clock.Fake
}

// eachBackend runs fn on a fresh database of every dialect.
func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, newEnv(t, b)) })
	}
}

func newEnv(t *testing.T, b storetest.Backend) *env {
	t.Helper()
	st := b.Open(t)
	clk := clock.NewFake(t0)
	kek, err := secrets.GenerateKEK(t0)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secrets.New(context.Background(), st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, svc: New(sec, clk, Options{PublicHost: "id.example.com"}), clk: clk}
}

// do runs fn in a transaction that commits whatever fn returns, so a
// refused call that wrote something would leave it behind. It returns
// fn's error.
func (e *env) do(t *testing.T, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	return storetest.Commit(t, e.st, fn)
}

// ok runs fn in a transaction and fails the test on an error.
func (e *env) ok(t *testing.T, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := e.st.Tx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// get runs fn in a transaction and returns its value, failing on an error.
func get[T any](t *testing.T, e *env, fn func(ctx context.Context, tx store.Tx) (T, error)) T {
	t.Helper()
	return storetest.Get(t, e.st, fn)
}

// errRollback undoes a case's changes.
var errRollback = errors.New("roll back")

// rolledBack runs fn in a transaction that is always rolled back.
func (e *env) rolledBack(t *testing.T, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if err := fn(ctx, tx); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
}

// count returns the number of rows of a table.
func (e *env) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	e.ok(t, func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n)
	})
	return n
}

// tenant creates a tenant, failing the test on an error.
func (e *env) tenant(t *testing.T, slug, parent string) Tenant {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (Tenant, error) {
		return e.svc.CreateTenant(ctx, tx, TenantInput{Slug: slug, Name: "Tenant " + slug, ParentID: parent, Delegate: parent != ""})
	})
}

// app creates an app, failing the test on an error.
func (e *env) app(t *testing.T, tenantID string, in AppInput) (App, string) {
	t.Helper()
	var a App
	var secret string
	e.ok(t, func(ctx context.Context, tx store.Tx) error {
		var err error
		a, secret, err = e.svc.CreateApp(ctx, tx, tenantID, in)
		return err
	})
	return a, secret
}

func webApp(name string) AppInput {
	return AppInput{Name: name, Type: AppWeb, RedirectURIs: []string{"https://app.example.com/callback"}}
}

// wantFields checks that err is refused input naming exactly these fields.
func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	var got []string
	for _, e := range invalid.All(err) {
		got = append(got, e.Field)
	}
	if err == nil || !slices.Equal(got, fields) {
		t.Fatalf("error %v names fields %q, want %q", err, got, fields)
	}
}

// wantConflict checks that err is a conflict naming field.
func wantConflict(t *testing.T, err error, field string) {
	t.Helper()
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("got %v, want ErrConflict", err)
	}
	wantFields(t, err, field)
}

// wantNotFound checks that err wraps store.ErrNotFound.
func wantNotFound(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
}

// walk collects every page of a list, checking that cursors advance.
func walk[T any](t *testing.T, e *env, id func(T) string, page func(ctx context.Context, tx store.Tx, after string) ([]T, string, error)) []string {
	t.Helper()
	var ids []string
	after := ""
	for range 100 {
		var list []T
		var next string
		e.ok(t, func(ctx context.Context, tx store.Tx) error {
			var err error
			list, next, err = page(ctx, tx, after)
			return err
		})
		for _, v := range list {
			ids = append(ids, id(v))
		}
		if next == "" {
			return ids
		}
		if next <= after {
			t.Fatalf("cursor went from %q to %q", after, next)
		}
		after = next
	}
	t.Fatal("pagination did not end")
	return nil
}
