package policy

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/factor"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// env is one fresh database with a Service over it, and the tenant
// service that holds its network zones.
type env struct {
	st      store.Store
	svc     *Service
	tenants *tenant.Service
	dir     *directory.Directory
	clk     *clock.Fake
}

// eachBackend runs fn on a fresh database of every dialect.
func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, newEnv(t, b.Open(t))) })
	}
}

func newEnv(t testing.TB, st store.Store) *env {
	t.Helper()
	clk := clock.NewFake(t0)
	kek, err := secrets.GenerateKEK(t0)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secrets.New(context.Background(), st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		t.Fatal(err)
	}
	tenants := tenant.New(sec, clk, tenant.Options{PublicHost: "id.example.com"})
	dir := directory.New(clk, events.New(st, sec, clk), sec)
	svc, err := New(Deps{Store: st, Clock: clk, Passwords: factor.NewPasswords(0), Zones: tenants, Types: dir})
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, svc: svc, tenants: tenants, dir: dir, clk: clk}
}

// tenant creates a tenant.
func (e *env) tenant(t *testing.T, slug string) tenant.Tenant {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (tenant.Tenant, error) {
		return e.tenants.CreateTenant(ctx, tx, tenant.TenantInput{Slug: slug, Name: slug})
	})
}

// do runs fn in a transaction that commits whatever fn returns, so a
// refused call that wrote something would leave it behind. It returns
// fn's error.
func (e *env) do(t *testing.T, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	return storetest.Commit(t, e.st, fn)
}

// get runs fn in a transaction and returns its value, failing on an error.
func get[T any](t *testing.T, e *env, fn func(ctx context.Context, tx store.Tx) (T, error)) T {
	t.Helper()
	return storetest.Get(t, e.st, fn)
}

// count returns the rows of a table.
func (e *env) count(t *testing.T, table string) int {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (int, error) {
		var n int
		err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n)
		return n, err
	})
}

// wantFields checks that err holds field errors naming exactly fields.
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

// wantNotFound checks that err wraps store.ErrNotFound.
func wantNotFound(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
}

// compiler returns a Service that only compiles conditions.
func compiler(t testing.TB) *Service {
	t.Helper()
	env, err := newConditionEnv()
	if err != nil {
		t.Fatal(err)
	}
	return &Service{env: env}
}

func TestNewRequiresItsDependencies(t *testing.T) {
	if _, err := New(Deps{Clock: clock.NewFake(t0), Passwords: factor.NewPasswords(1)}); err == nil {
		t.Fatal("New without a store and zones succeeded")
	}
}
