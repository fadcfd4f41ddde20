package session

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

// Tenants and users of the tests; sessions do not check that they exist.
const (
	tenantA = "ten_a"
	tenantB = "ten_b"
	alice   = "usr_alice"
	bob     = "usr_bob"
)

// env is one fresh database with Sessions over it (default options).
type env struct {
	st  store.Store
	ses *Sessions
	clk *clock.Fake
}

// eachBackend runs fn on a fresh database of every dialect.
func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	eachBackendWith(t, Options{}, fn)
}

// eachBackendWith runs fn on a fresh database of every dialect, with
// Sessions configured by opts.
func eachBackendWith(t *testing.T, opts Options, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
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
			fn(t, &env{st: st, ses: New(sec, clk, opts), clk: clk})
		})
	}
}

// do runs fn in a transaction that commits whatever fn returns, so a
// refused call that wrote something would leave it behind. It returns
// fn's error.
func (e *env) do(t *testing.T, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	return e.doIn(t, context.Background(), fn)
}

// doIn is do with the transaction's context derived from ctx (which may
// carry a client address and User-Agent).
func (e *env) doIn(t *testing.T, ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	var got error
	if err := e.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		got = fn(ctx, tx)
		return nil
	}); err != nil {
		t.Fatalf("commit: %v", err)
	}
	return got
}

// create starts a session, failing the test on an error.
func (e *env) create(t *testing.T, tenantID, userID string, amr ...string) (Session, string) {
	t.Helper()
	var ses Session
	var cookie string
	if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
		var err error
		ses, cookie, err = e.ses.Create(ctx, tx, tenantID, userID, amr, "")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return ses, cookie
}

// lookup looks a cookie up in a committed transaction.
func (e *env) lookup(t *testing.T, tenantID, cookie string) (Session, error) {
	t.Helper()
	var ses Session
	err := e.do(t, func(ctx context.Context, tx store.Tx) error {
		var err error
		ses, err = e.ses.Lookup(ctx, tx, tenantID, cookie)
		return err
	})
	return ses, err
}

// live fails the test unless the cookie stands for a live session.
func (e *env) live(t *testing.T, tenantID, cookie string) Session {
	t.Helper()
	ses, err := e.lookup(t, tenantID, cookie)
	if err != nil {
		t.Fatalf("lookup at %v: %v", e.clk.Now(), err)
	}
	return ses
}

// gone fails the test unless the cookie stands for no live session.
func (e *env) gone(t *testing.T, tenantID, cookie string) {
	t.Helper()
	if ses, err := e.lookup(t, tenantID, cookie); !errors.Is(err, ErrNoSession) {
		t.Fatalf("lookup at %v: got %+v, %v; want ErrNoSession", e.clk.Now(), ses, err)
	}
}

// count returns the number of rows of the sessions table.
func (e *env) count(t *testing.T) int {
	t.Helper()
	var n int
	if err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM sessions`).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
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

// equalSessions compares sessions, times with Equal.
func equalSessions(a, b Session) bool {
	times := func(s Session) []time.Time {
		return []time.Time{s.AuthTime, s.CreatedAt, s.LastSeenAt, s.IdleExpiresAt, s.AbsoluteExpiresAt}
	}
	return a.ID == b.ID && a.TenantID == b.TenantID && a.UserID == b.UserID && slices.Equal(a.AMR, b.AMR) &&
		a.ACR == b.ACR && slices.EqualFunc(times(a), times(b), time.Time.Equal) && a.IP == b.IP && a.UserAgent == b.UserAgent
}
