package events

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// t0 is where every test's fake clock starts.
var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// env is one test's log on a fresh database.
type env struct {
	st  store.Store
	clk *clock.Fake
	log *Log
}

type behaviour struct {
	name string
	fn   func(t *testing.T, e *env)
}

// runOnBackends runs each behaviour on a fresh database of each dialect.
func runOnBackends(t *testing.T, tests []behaviour) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, newEnv(t, b.New(t))) })
			}
		})
	}
}

func newEnv(t *testing.T, open storetest.Opener) *env {
	t.Helper()
	st := open(t)
	clk := clock.NewFake(t0)
	kek, err := secrets.GenerateKEK(t0)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secrets.New(context.Background(), st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, clk: clk, log: New(st, sec, clk)}
}

// append records each event in its own transaction, advancing the clock by
// a millisecond first so that generated IDs follow the order of the calls.
func (e *env) append(t *testing.T, evs ...Event) []Event {
	t.Helper()
	out := make([]Event, 0, len(evs))
	for _, ev := range evs {
		e.clk.Advance(time.Millisecond)
		err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			got, err := e.log.Append(ctx, tx, ev)
			if err != nil {
				return err
			}
			out = append(out, got)
			return nil
		})
		if err != nil {
			t.Fatalf("append %s: %v", ev.Type, err)
		}
	}
	return out
}

// all pages through everything q selects.
func (e *env) all(t *testing.T, q Query) []Event {
	t.Helper()
	var out []Event
	for {
		page, next, err := e.log.Query(context.Background(), q)
		if err != nil {
			t.Fatalf("query %+v: %v", q, err)
		}
		out = append(out, page...)
		if next == "" {
			return out
		}
		q.After = next
	}
}

// count counts the rows of a table.
func (e *env) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// change is a typical management change by a token in tenant ten_a.
func change(typ string) Event {
	return Event{
		Type: typ, TenantID: "ten_a", Outcome: Success, RequestID: "req_1",
		Actor:  Ref{Type: "mgmt_token", ID: "tok_1"},
		Target: Ref{Type: "app", ID: "app_1"},
	}
}

func ids(evs []Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func TestAppend(t *testing.T) {
	runOnBackends(t, []behaviour{
		{"an appended change appears with actor, tenant and request id", testAppendAppears},
		{"fills the ID and time from the clock", testAppendFills},
		{"leaves no event and no subject key when the transaction rolls back", testAppendRollback},
		{"refuses bad input naming the field and writes nothing", testAppendRefuses},
		{"refuses a duplicate ID as a conflict", testAppendDuplicate},
		{"concurrent first uses of a subject share one key", testAppendConcurrentSubject},
	})
}

func testAppendAppears(t *testing.T, e *env) {
	in := change("app.created")
	in.Details = map[string]any{"fields": []any{"name", "redirect_uris"}, "count": float64(2)}
	got := e.append(t, in)[0]
	evs := e.all(t, Query{TenantID: "ten_a"})
	if len(evs) != 1 {
		t.Fatalf("got %d events, want 1", len(evs))
	}
	if !reflect.DeepEqual(evs[0], got) {
		t.Fatalf("read %+v\nappended %+v", evs[0], got)
	}
	if evs[0].Actor != (Ref{"mgmt_token", "tok_1"}) || evs[0].TenantID != "ten_a" || evs[0].RequestID != "req_1" {
		t.Fatalf("event lost its actor, tenant or request id: %+v", evs[0])
	}
}

func testAppendFills(t *testing.T, e *env) {
	got := e.append(t, change("app.created"))[0]
	if !ident.Valid(IDPrefix, got.ID) {
		t.Errorf("ID %q is not an event ID", got.ID)
	}
	if !got.Time.Equal(e.clk.Now()) || got.Time.Location() != time.UTC {
		t.Errorf("time %v, want the clock's %v in UTC", got.Time, e.clk.Now())
	}
	given := change("app.updated")
	given.Time = t0.Add(-time.Hour).In(time.FixedZone("CET", 3600))
	got = e.append(t, given)[0]
	if !got.Time.Equal(given.Time) || got.Time.Location() != time.UTC {
		t.Errorf("given time came back as %v", got.Time)
	}
	if want := ident.New(IDPrefix, given.Time)[:14]; got.ID[:14] != want {
		t.Errorf("ID %q does not encode the given time (want prefix %q)", got.ID, want)
	}
}

func testAppendRollback(t *testing.T, e *env) {
	boom := errors.New("the change failed")
	in := change("user.created")
	in.Subject, in.Personal = "usr_1", map[string]string{"email": "ada@example.com"}
	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if _, err := e.log.Append(ctx, tx, in); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx returned %v", err)
	}
	if n := e.count(t, "events"); n != 0 {
		t.Errorf("%d events after rollback", n)
	}
	if n := e.count(t, "subject_keys"); n != 0 {
		t.Errorf("%d subject keys after rollback", n)
	}
	// The key made in the rolled-back transaction is not reused.
	e.append(t, in)
	if got := e.all(t, Query{TenantID: "ten_a"}); len(got) != 1 || got[0].Personal["email"] != "ada@example.com" {
		t.Fatalf("after a rollback, a new append reads back as %+v", got)
	}
}

func testAppendRefuses(t *testing.T, e *env) {
	tests := []struct {
		name   string
		modify func(ev *Event)
		field  string
	}{
		{"an empty type", func(ev *Event) { ev.Type = "" }, "type"},
		{"an undotted type", func(ev *Event) { ev.Type = "created" }, "type"},
		{"an uppercase type", func(ev *Event) { ev.Type = "App.Created" }, "type"},
		{"a type with an empty part", func(ev *Event) { ev.Type = "app..created" }, "type"},
		{"a type over 64 bytes", func(ev *Event) { ev.Type = "app." + strings.Repeat("a", 61) }, "type"},
		{"an unknown outcome", func(ev *Event) { ev.Outcome = "maybe" }, "outcome"},
		{"a missing outcome", func(ev *Event) { ev.Outcome = "" }, "outcome"},
		{"an actor without type", func(ev *Event) { ev.Actor.Type = "" }, "actor.type"},
		{"an email as actor ID", func(ev *Event) { ev.Actor.ID = "ada@example.com" }, "actor.id"},
		{"a target ID without type", func(ev *Event) { ev.Target.Type = "" }, "target.type"},
		{"a request ID with spaces", func(ev *Event) { ev.RequestID = "req 1" }, "request_id"},
		{"personal details without subject", func(ev *Event) { ev.Personal = map[string]string{"email": "ada@example.com"} }, "personal"},
		{"details that are not JSON", func(ev *Event) { ev.Details = map[string]any{"f": func() {}} }, "details"},
		{"an ID not made for events", func(ev *Event) { ev.ID = "app_01jdgq00000000000000000001" }, "id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := change("app.created")
			tc.modify(&ev)
			err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				_, err := e.log.Append(ctx, tx, ev)
				return err
			})
			fields := []string{}
			for _, f := range invalid.All(err) {
				fields = append(fields, f.Field)
			}
			if !slices.Contains(fields, tc.field) {
				t.Fatalf("error %v names fields %v, want %q", err, fields, tc.field)
			}
		})
	}
	if n := e.count(t, "events"); n != 0 {
		t.Errorf("%d events written by refused appends", n)
	}
}

func testAppendDuplicate(t *testing.T, e *env) {
	first := e.append(t, change("app.created"))[0]
	again := change("app.updated")
	again.ID = first.ID
	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := e.log.Append(ctx, tx, again)
		return err
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate ID: %v, want store.ErrConflict", err)
	}
}

func testAppendConcurrentSubject(t *testing.T, e *env) {
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			ev := change("user.signed_in")
			ev.Subject, ev.Personal = "usr_1", map[string]string{"ip": fmt.Sprintf("192.0.2.%d", i)}
			errs[i] = e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				_, err := e.log.Append(ctx, tx, ev)
				return err
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if k := e.count(t, "subject_keys"); k != 1 {
		t.Fatalf("%d subject keys, want 1", k)
	}
	evs := e.all(t, Query{TenantID: "ten_a"})
	if len(evs) != n {
		t.Fatalf("%d events, want %d", len(evs), n)
	}
	for _, ev := range evs {
		if ev.Personal["ip"] == "" {
			t.Errorf("event %s: personal details lost: %+v", ev.ID, ev)
		}
	}
}
