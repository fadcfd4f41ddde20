package authserver

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Tenant IDs of the tests: the service trusts its caller's tenant, so
// none needs a row.
const (
	tenantA = "ten_a"
	tenantB = "ten_b"
)

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
	clk := clock.NewFake(t0)
	return &env{st: b.Open(t), svc: New(clk), clk: clk}
}

// do runs fn in a transaction that commits whatever fn returns, so a
// refused call that wrote something would leave it behind. It returns
// fn's error.
func (e *env) do(t *testing.T, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	var got error
	if err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		got = fn(ctx, tx)
		return nil
	}); err != nil {
		t.Fatalf("commit: %v", err)
	}
	return got
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
	var v T
	e.ok(t, func(ctx context.Context, tx store.Tx) error {
		var err error
		v, err = fn(ctx, tx)
		return err
	})
	return v
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

// counts returns the row counts of every table of the package.
func (e *env) counts(t *testing.T) [4]int {
	t.Helper()
	return [4]int{e.count(t, "auth_servers"), e.count(t, "auth_scopes"), e.count(t, "auth_policies"), e.count(t, "auth_policy_rules")}
}

// defaultServer makes sure a tenant's default server exists.
func (e *env) defaultServer(t *testing.T, tenantID string) Server {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (Server, error) { return e.svc.EnsureDefault(ctx, tx, tenantID) })
}

// server creates a server, failing the test on an error.
func (e *env) server(t *testing.T, tenantID string, in ServerInput) Server {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (Server, error) {
		return e.svc.CreateServer(ctx, tx, tenantID, in)
	})
}

// scope creates a scope, failing the test on an error.
func (e *env) scope(t *testing.T, tenantID, serverID string, in ScopeInput) Scope {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (Scope, error) {
		return e.svc.CreateScope(ctx, tx, tenantID, serverID, in)
	})
}

// policy creates a policy, failing the test on an error.
func (e *env) policy(t *testing.T, tenantID, serverID string, in PolicyInput) Policy {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (Policy, error) {
		return e.svc.CreatePolicy(ctx, tx, tenantID, serverID, in)
	})
}

// rule creates a rule, failing the test on an error.
func (e *env) rule(t *testing.T, tenantID, policyID string, in RuleInput) Rule {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (Rule, error) {
		return e.svc.CreateRule(ctx, tx, tenantID, policyID, in)
	})
}

// machine is a scope input with a name and the machine kind.
func machine(name string, implies ...string) ScopeInput {
	return ScopeInput{Name: name, Kinds: []string{KindMachine}, Implies: implies}
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

// wantKind checks that err wraps sentinel and names field.
func wantKind(t *testing.T, err, sentinel error, field string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("got %v, want %v", err, sentinel)
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

// fakeHosts knows the hosts of tenantA.
type fakeHosts struct{}

func (fakeHosts) TenantHasHost(_ context.Context, _ store.Tx, tenantID, host string) (bool, error) {
	return tenantID == tenantA && host == "login.acme.com", nil
}

// fakeZones knows the zones of tenantA.
type fakeZones struct{}

func (fakeZones) ZoneExists(_ context.Context, _ store.Tx, tenantID, id string) (bool, error) {
	return tenantID == tenantA && (id == "nzn_office" || id == "nzn_vpn"), nil
}

var (
	_ Hosts = fakeHosts{}
	_ Zones = fakeZones{}
)
