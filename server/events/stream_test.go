package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// memSink records the batches it accepts; while fail is positive it
// refuses that many batches first.
type memSink struct {
	mu      sync.Mutex
	batches [][]Event
	// cursorAtWrite is what the cursor held when each batch arrived.
	cursorAtWrite []string
	cursor        *memCursor
	fail          int
	written       chan []Event // optional: each accepted batch
}

var errRefused = errors.New("receiver refused")

func (s *memSink) Write(_ context.Context, batch []Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		return errRefused
	}
	s.batches = append(s.batches, slices.Clone(batch))
	if s.cursor != nil {
		s.cursorAtWrite = append(s.cursorAtWrite, s.cursor.get())
	}
	if s.written != nil {
		s.written <- batch
	}
	return nil
}

// ids returns the IDs of every accepted event, in order.
func (s *memSink) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, b := range s.batches {
		out = append(out, ids(b)...)
	}
	return out
}

// memCursor is a Cursor in memory that records every save.
type memCursor struct {
	mu    sync.Mutex
	v     string
	saves []string
}

func (c *memCursor) Load(context.Context) (string, error) { return c.get(), nil }

func (c *memCursor) Save(_ context.Context, v string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.v = v
	c.saves = append(c.saves, v)
	return nil
}

func (c *memCursor) get() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.v
}

// follow runs one pass (no poll) of a Stream with settle over q.
func (e *env) follow(t *testing.T, settle time.Duration, q Query, sink Sink, cur Cursor) error {
	t.Helper()
	return e.log.Stream(StreamOptions{Settle: settle}).Follow(context.Background(), q, sink, cur, nil)
}

func TestFollow(t *testing.T) {
	runOnBackends(t, []behaviour{
		{"writes batches and saves the cursor after each", testFollowBatches},
		{"a failing sink does not move the cursor and gets the same events again", testFollowSinkFails},
		{"resumes from a saved cursor without duplicates", testFollowResumes},
		{"does not skip an event committed late within the settle window", testFollowLateCommit},
		{"keeps tenants apart", testFollowTenants},
		{"polls, retries after OnError and stops with its context", testFollowPolls},
		{"skips over a sparse filter's misses once caught up", testFollowSparse},
	})
}

func testFollowBatches(t *testing.T, e *env) {
	evs := e.append(t, change("app.created"), change("app.updated"), change("app.deleted"))
	e.clk.Advance(DefaultSettle + time.Second)
	cur := &memCursor{}
	sink := &memSink{cursor: cur}
	if err := e.follow(t, 0, Query{TenantID: "ten_a", Limit: 2}, sink, cur); err != nil {
		t.Fatal(err)
	}
	if len(sink.batches) != 2 || len(sink.batches[0]) != 2 || len(sink.batches[1]) != 1 {
		t.Fatalf("batches %v, want 2 then 1 events", sink.batches)
	}
	if got := sink.ids(); !slices.Equal(got, ids(evs)) {
		t.Fatalf("events %v, want %v", got, ids(evs))
	}
	// The cursor moved only after the sink accepted each batch.
	if want := []string{"", evs[1].ID}; !slices.Equal(sink.cursorAtWrite, want) {
		t.Fatalf("cursor when batches arrived %q, want %q", sink.cursorAtWrite, want)
	}
	if len(cur.saves) != 3 || cur.saves[0] != evs[1].ID || cur.saves[1] != evs[2].ID {
		t.Fatalf("saves %q: want the last ID of each batch, then the caught-up position", cur.saves)
	}
	if end := cur.saves[2]; end <= evs[2].ID || end != CursorAt(e.clk.Now().Add(-DefaultSettle)) {
		t.Fatalf("caught-up position %q, want the settle cut after %q", end, evs[2].ID)
	}
	if got := sink.batches[0][0]; got.Actor != (Ref{Type: "mgmt_token", ID: "tok_1"}) || got.Type != "app.created" {
		t.Fatalf("first event %+v", got)
	}
}

func testFollowSinkFails(t *testing.T, e *env) {
	evs := e.append(t, change("app.created"), change("app.updated"))
	e.clk.Advance(DefaultSettle + time.Second)
	cur := &memCursor{}
	sink := &memSink{fail: 1}
	err := e.follow(t, 0, Query{TenantID: "ten_a"}, sink, cur)
	if !errors.Is(err, errRefused) {
		t.Fatalf("Follow = %v, want the sink's error", err)
	}
	if cur.get() != "" || len(cur.saves) != 0 {
		t.Fatalf("cursor moved to %q after a refused batch", cur.get())
	}
	if err := e.follow(t, 0, Query{TenantID: "ten_a"}, sink, cur); err != nil {
		t.Fatal(err)
	}
	if got := sink.ids(); !slices.Equal(got, ids(evs)) {
		t.Fatalf("second pass wrote %v, want the refused events %v", got, ids(evs))
	}
}

func testFollowResumes(t *testing.T, e *env) {
	first := e.append(t, change("app.created"), change("app.updated"))
	e.clk.Advance(DefaultSettle + time.Second)
	cur := &memCursor{}
	sink := &memSink{}
	if err := e.follow(t, 0, Query{TenantID: "ten_a"}, sink, cur); err != nil {
		t.Fatal(err)
	}
	later := e.append(t, change("app.deleted"), change("app.created"))
	e.clk.Advance(DefaultSettle + time.Second)
	// A new sink: as a restarted process would have, with only the cursor.
	again := &memSink{}
	if err := e.follow(t, 0, Query{TenantID: "ten_a"}, again, cur); err != nil {
		t.Fatal(err)
	}
	if got := again.ids(); !slices.Equal(got, ids(later)) {
		t.Fatalf("resumed pass wrote %v, want only the newer %v (first pass: %v)", got, ids(later), ids(first))
	}
	// Nothing new: a third pass writes nothing.
	idle := &memSink{}
	if err := e.follow(t, 0, Query{TenantID: "ten_a"}, idle, cur); err != nil || len(idle.batches) != 0 {
		t.Fatalf("idle pass: %v, %v", err, idle.batches)
	}
}

func testFollowLateCommit(t *testing.T, e *env) {
	for _, tc := range []struct {
		name     string
		settle   time.Duration
		wantLate bool
	}{
		{"with the default settle window", 0, true},
		// Without a window the late event falls behind the cursor: the
		// case the window exists for.
		{"without one", -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tenant := "ten_" + strings.ReplaceAll(tc.name, " ", "_")
			ev := change("app.updated")
			ev.TenantID = tenant
			cur := &memCursor{}
			sink := &memSink{}
			q := Query{TenantID: tenant}
			on := e.append(t, ev)[0]
			e.clk.Advance(time.Millisecond)
			if err := e.follow(t, tc.settle, q, sink, cur); err != nil {
				t.Fatal(err)
			}
			// A transaction that stamped its event a second ago commits
			// only now, after the event above.
			late := ev
			late.Time = e.clk.Now().Add(-time.Second)
			late = e.append(t, late)[0]
			if late.ID > on.ID {
				t.Fatalf("late ID %s should sort before %s", late.ID, on.ID)
			}
			e.clk.Advance(DefaultSettle + time.Second)
			if err := e.follow(t, tc.settle, q, sink, cur); err != nil {
				t.Fatal(err)
			}
			got := sink.ids()
			if slices.Contains(got, late.ID) != tc.wantLate || !slices.Contains(got, on.ID) {
				t.Fatalf("wrote %v; late %s expected %v, on-time %s expected", got, late.ID, tc.wantLate, on.ID)
			}
			if tc.wantLate && !slices.Equal(got, []string{late.ID, on.ID}) {
				t.Fatalf("wrote %v, want oldest first", got)
			}
		})
	}
}

func testFollowTenants(t *testing.T, e *env) {
	a := change("app.created")
	b := change("app.created")
	b.TenantID = "ten_b"
	inst := Event{Type: "instance.updated", Actor: Ref{Type: "system"}, Outcome: Success}
	evs := e.append(t, a, b, inst, a)
	e.clk.Advance(DefaultSettle + time.Second)
	for _, tc := range []struct {
		name string
		q    Query
		want []string
	}{
		{"one tenant", Query{TenantID: "ten_a"}, []string{evs[0].ID, evs[3].ID}},
		{"another", Query{TenantID: "ten_b"}, []string{evs[1].ID}},
		{"every tenant and the instance", Query{AllTenants: true}, ids(evs)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &memSink{}
			if err := e.follow(t, 0, tc.q, sink, &memCursor{}); err != nil {
				t.Fatal(err)
			}
			if got := sink.ids(); !slices.Equal(got, tc.want) {
				t.Fatalf("wrote %v, want %v", got, tc.want)
			}
		})
	}
}

func testFollowPolls(t *testing.T, e *env) {
	first := e.append(t, change("app.created"))[0]
	e.clk.Advance(DefaultSettle + time.Second)
	cur := &memCursor{}
	sink := &memSink{written: make(chan []Event, 4)}
	errs := make(chan error, 4)
	poll := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	s := e.log.Stream(StreamOptions{OnError: func(err error) { errs <- err }})
	go func() { done <- s.Follow(ctx, Query{TenantID: "ten_a"}, sink, cur, poll) }()

	if got := <-sink.written; len(got) != 1 || got[0].ID != first.ID {
		t.Fatalf("first round wrote %v", ids(got))
	}
	// The second event fails once. It becomes visible only when the clock
	// passes the settle window, which may happen while the first round is
	// still running: whichever round sees it first reports the error.
	sink.mu.Lock()
	sink.fail = 1
	sink.mu.Unlock()
	second := e.append(t, change("app.updated"))[0]
	e.clk.Advance(DefaultSettle + time.Second)
	poll <- e.clk.Now()
	if err := <-errs; !errors.Is(err, errRefused) {
		t.Fatalf("OnError got %v", err)
	}
	if c := cur.get(); c != first.ID {
		t.Fatalf("cursor %q, want %s: it must not move past the refused %s", c, first.ID, second.ID)
	}
	poll <- e.clk.Now()
	if got := <-sink.written; len(got) != 1 || got[0].ID != second.ID {
		t.Fatalf("retry wrote %v, want %s", ids(got), second.ID)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Follow ended with %v, want context.Canceled", err)
	}
	if got := sink.ids(); !slices.Equal(got, []string{first.ID, second.ID}) {
		t.Fatalf("delivered %v", got)
	}
}

func testFollowSparse(t *testing.T, e *env) {
	var noise []Event
	for range 5 {
		noise = append(noise, change("user.updated"))
	}
	e.append(t, noise...)
	e.clk.Advance(DefaultSettle + time.Second)
	cur := &memCursor{}
	sink := &memSink{}
	if err := e.follow(t, 0, Query{TenantID: "ten_a", Types: []string{"app.*"}}, sink, cur); err != nil {
		t.Fatal(err)
	}
	if len(sink.batches) != 0 {
		t.Fatalf("wrote %v for a filter that matches nothing", sink.batches)
	}
	if want := CursorAt(e.clk.Now().Add(-DefaultSettle)); cur.get() != want {
		t.Fatalf("cursor %q, want the settle cut %q", cur.get(), want)
	}
}

func TestFollowRefusesBadInput(t *testing.T) {
	e := newEnv(t, storetest.SQLite().New(t))
	for _, tc := range []struct {
		name  string
		q     Query
		field string
	}{
		{"a query naming no tenant", Query{}, "tenant_id"},
		{"a position in the query", Query{TenantID: "ten_a", After: CursorAt(t0)}, "after"},
		{"a bad type pattern", Query{TenantID: "ten_a", Types: []string{"App.*"}}, "types[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := e.follow(t, 0, tc.q, &memSink{}, &memCursor{})
			if fs := invalid.All(err); len(fs) != 1 || fs[0].Field != tc.field {
				t.Fatalf("Follow = %v, want a refusal of %s", err, tc.field)
			}
		})
	}
	t.Run("a cursor that is not an event ID", func(t *testing.T) {
		err := e.follow(t, 0, Query{TenantID: "ten_a"}, &memSink{}, &memCursor{v: "nonsense"})
		if err == nil || !strings.Contains(err.Error(), "not an event ID") {
			t.Fatalf("Follow = %v", err)
		}
	})
}

func TestCursorAt(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 0, 0, 500_999_000, time.UTC)
	c := CursorAt(at)
	if !ident.Valid(IDPrefix, c) {
		t.Fatalf("%q is not an event ID", c)
	}
	for _, tc := range []struct {
		name  string
		t     time.Time
		after bool
	}{
		{"an event of the same millisecond", at.Truncate(time.Millisecond), true},
		{"an event later in the millisecond", at.Add(400 * time.Microsecond), true},
		{"an event of the next millisecond", at.Add(time.Millisecond), true},
		{"an event of the millisecond before", at.Add(-time.Millisecond), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 50 {
				id := ident.New(IDPrefix, tc.t)
				if (id > c) != tc.after {
					t.Fatalf("%s > %s is %v, want %v", id, c, id > c, tc.after)
				}
			}
		})
	}
}

func TestJSONLines(t *testing.T) {
	runOnBackends(t, []behaviour{
		{"writes what Export writes, appending to a file", testJSONLines},
	})
}

func testJSONLines(t *testing.T, e *env) {
	ev := about("usr_ada", ada)
	ev.Details = map[string]any{"note": "<&>"}
	e.append(t, change("app.created"))
	e.clk.Advance(DefaultSettle + time.Second)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	open := func() *os.File {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	// Two runs, as a restarted tail appends to its file.
	cur := &memCursor{}
	for _, ev := range []Event{ev, change("app.deleted")} {
		e.append(t, ev)
		e.clk.Advance(DefaultSettle + time.Second)
		if err := e.follow(t, 0, Query{TenantID: "ten_a", Limit: 1}, NewJSONLines(open()), cur); err != nil {
			t.Fatal(err)
		}
	}
	var want bytes.Buffer
	if _, err := e.log.Export(context.Background(), Query{TenantID: "ten_a"}, &want); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("file:\n%s\nExport:\n%s", got, want.Bytes())
	}
	if !strings.Contains(string(got), "ada@example.com") || strings.Count(string(got), "\n") != 3 {
		t.Fatalf("want three lines with the opened personal details:\n%s", got)
	}

	// MarshalExport: the same objects, as one JSON array.
	page, _, err := e.log.Query(context.Background(), Query{TenantID: "ten_a"})
	if err != nil {
		t.Fatal(err)
	}
	arr, err := MarshalExport(page)
	if err != nil {
		t.Fatal(err)
	}
	var objs []json.RawMessage
	if err := json.Unmarshal(arr, &objs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(want.String(), "\n"), "\n")
	if len(objs) != len(lines) {
		t.Fatalf("array of %d, want %d", len(objs), len(lines))
	}
	for i := range objs {
		if string(objs[i]) != lines[i] {
			t.Fatalf("object %d:\n%s\nwant\n%s", i, objs[i], lines[i])
		}
	}
}
