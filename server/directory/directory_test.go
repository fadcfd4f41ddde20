package directory

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Tenants of the tests. The directory does not check that they exist.
const (
	tenantA = "ten_a"
	tenantB = "ten_b"
)

// env is one fresh database with a Directory over it.
type env struct {
	st  store.Store
	dir *Directory
	clk *clock.Fake
	ev  *events.Log
}

// eachBackend runs fn on a fresh database of every dialect.
func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, newEnv(t, b.Open(t)))
		})
	}
}

// newEnv returns a Directory over st, with a real system log.
func newEnv(t testing.TB, st store.Store) *env {
	t.Helper()
	clk := clock.NewFake(t0)
	kek, err := secrets.GenerateKEK(clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secrets.New(context.Background(), st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		t.Fatal(err)
	}
	ev := events.New(st, sec, clk)
	return &env{st: st, dir: New(clk, ev, sec), clk: clk, ev: ev}
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

// user creates a user, failing the test on an error.
func (e *env) user(t *testing.T, tenantID string, in UserInput) User {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (User, error) {
		return e.dir.CreateUser(ctx, tx, tenantID, in)
	})
}

// count returns the number of rows of a table.
func (e *env) count(t *testing.T, table string) int {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (int, error) {
		var n int
		return n, tx.QueryRow(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n)
	})
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

// wantNotFound checks that err wraps store.ErrNotFound.
func wantNotFound(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
}

func TestNormalizeLogin(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"lowercases an email", "Alice@Example.COM", "alice@example.com"},
		{"lowercases a username", "BobTheBuilder", "bobthebuilder"},
		{"trims surrounding white space", " \t carol@example.com\n", "carol@example.com"},
		{"composes decomposed characters", "Jose\u0301", "jos\u00e9"},
		{"maps compatibility forms (NFKC)", "\uff21lice\ufb01", "alicefi"},
		{"folds case beyond lowercasing", "STRASSE", "strasse"},
		{"folds sharp s", "Stra\u00dfe", "strasse"},
		{"folds final sigma", "\u039f\u0394\u039f\u03a3", "\u03bf\u03b4\u03bf\u03c3"},
		{"keeps inner spaces", "Dan Smith", "dan smith"},
		{"is idempotent on a normalized login", "erin@example.com", "erin@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NormalizeLogin(tc.in); got != tc.want {
				t.Fatalf("NormalizeLogin(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if again := NormalizeLogin(tc.want); again != tc.want {
				t.Fatalf("NormalizeLogin is not idempotent: %q → %q", tc.want, again)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		s             Status
		valid, signIn bool
	}{
		{StatusActive, true, true},
		{StatusSuspended, true, false},
		{StatusStaged, true, false},
		{StatusProvisioned, true, false},
		{StatusRecovery, true, false},
		{StatusLockedOut, true, false},
		{StatusPasswordExpired, true, false},
		{StatusDeprovisioned, true, false},
		{"active", false, false},
		{"deleted", false, false},
		{"", false, false},
	} {
		if tc.s.Valid() != tc.valid || tc.s.CanSignIn() != tc.signIn {
			t.Errorf("%q: Valid %v CanSignIn %v, want %v %v", tc.s, tc.s.Valid(), tc.s.CanSignIn(), tc.valid, tc.signIn)
		}
	}
}
