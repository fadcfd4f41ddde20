package storetest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// scratchDDL creates the suite's own table; it is not part of the schema.
var scratchDDL = map[store.Dialect]string{
	store.SQLite: `CREATE TABLE storetest_items (
		id TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0,
		at TIMESTAMP NULL, data BLOB NULL, doc JSON_TEXT NULL, flag BOOLEAN NOT NULL DEFAULT FALSE)`,
	store.Postgres: `CREATE TABLE storetest_items (
		id TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL, n BIGINT NOT NULL DEFAULT 0,
		at TIMESTAMPTZ NULL, data BYTEA NULL, doc JSONB NULL, flag BOOLEAN NOT NULL DEFAULT FALSE)`,
}

// CreateScratch creates the suite's table storetest_items (id, name unique,
// n, at, data, doc, flag) on s, for benchmarks and tests of the store itself.
func CreateScratch(t testing.TB, s store.Store) {
	t.Helper()
	err := s.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.Exec(ctx, scratchDDL[tx.Dialect()]); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `CREATE UNIQUE INDEX storetest_items_name ON storetest_items (name)`)
		return err
	})
	if err != nil {
		t.Fatalf("create scratch table: %v", err)
	}
}

func insert(ctx context.Context, tx store.Tx, id, name string) error {
	_, err := tx.Exec(ctx, `INSERT INTO storetest_items (id, name) VALUES (?, ?)`, id, name)
	return err
}

func count(t testing.TB, s store.Store) int {
	t.Helper()
	var n int
	err := s.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM storetest_items`).Scan(&n)
	})
	if err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}

// Run checks every behaviour of the store.Store contract on fresh
// databases of backend b, one per subtest.
func Run(t *testing.T, b Backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"reports a missing row as ErrNotFound", testNotFound},
		{"refuses a duplicate key with ErrConflict", testConflict},
		{"rolls back when the function fails", testRollbackOnError},
		{"rolls back and re-panics when the function panics", testRollbackOnPanic},
		{"rolls back when the context is cancelled mid-transaction", testCancelMidTx},
		{"interrupts a running statement when the deadline passes", testInterrupt},
		{"retries a transaction the database refused for contention", testRetry},
		{"round-trips times in UTC at microsecond precision", testTimeRoundTrip},
		{"compares stored times in queries", testTimeOrder},
		{"round-trips NULL times through sql.NullTime", testNullTime},
		{"round-trips bytes", testBytes},
		{"round-trips JSON", testJSON},
		{"round-trips booleans", testBool},
		{"lets exactly one of 50 parallel writers win a unique key", testParallelWriters},
		{"refuses writes inside a read-only view", testViewReadOnly},
		{"refuses a transaction nested in another", testNested},
		{"counts commits and rollbacks", testStats},
		{"answers ping", testPing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, b.New(t))
		})
	}
}

func testNotFound(t *testing.T, open Opener) {
	s := open(t)
	CreateScratch(t, s)
	err := s.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var name string
		return tx.QueryRow(ctx, `SELECT name FROM storetest_items WHERE id = ?`, "nope").Scan(&name)
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
}

func testConflict(t *testing.T, open Opener) {
	s := open(t)
	CreateScratch(t, s)
	ctx := context.Background()
	if err := s.Tx(ctx, func(ctx context.Context, tx store.Tx) error { return insert(ctx, tx, "a", "alpha") }); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, id, name string }{
		{"primary key", "a", "other"},
		{"unique index", "b", "alpha"},
	} {
		err := s.Tx(ctx, func(ctx context.Context, tx store.Tx) error { return insert(ctx, tx, c.id, c.name) })
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("%s: got %v, want ErrConflict", c.what, err)
		}
	}
	if n := count(t, s); n != 1 {
		t.Fatalf("rows = %d, want 1", n)
	}
}

func testRollbackOnError(t *testing.T, open Opener) {
	s := open(t)
	CreateScratch(t, s)
	boom := errors.New("boom")
	err := s.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if err := insert(ctx, tx, "a", "alpha"); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the function's error", err)
	}
	if n := count(t, s); n != 0 {
		t.Fatalf("rows = %d after rollback, want 0", n)
	}
}

func testRollbackOnPanic(t *testing.T, open Opener) {
	s := open(t)
	CreateScratch(t, s)
	func() {
		defer func() {
			if r := recover(); r != "kaboom" {
				t.Fatalf("recovered %v, want the original panic", r)
			}
		}()
		_ = s.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			if err := insert(ctx, tx, "a", "alpha"); err != nil {
				return err
			}
			panic("kaboom")
		})
	}()
	if n := count(t, s); n != 0 {
		t.Fatalf("rows = %d after panic, want 0", n)
	}
	// The connection must be usable again (SQLite has a single writer).
	if err := s.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error { return insert(ctx, tx, "b", "beta") }); err != nil {
		t.Fatalf("write after panic: %v", err)
	}
}

func testCancelMidTx(t *testing.T, open Opener) {
	s := open(t)
	CreateScratch(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := s.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := insert(ctx, tx, "a", "alpha"); err != nil {
			return err
		}
		cancel()
		return insert(ctx, tx, "b", "beta")
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if n := count(t, s); n != 0 {
		t.Fatalf("rows = %d after cancellation, want 0", n)
	}
}

func testInterrupt(t *testing.T, open Opener) {
	s := open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := s.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var n int64
		// Long enough to outlast the deadline by far on either dialect.
		return tx.QueryRow(ctx, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) FROM c`).Scan(&n)
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
}

// testRetry makes a second handle hold a write on a row while the first
// handle's transaction reads and writes it: SQLite refuses the first with
// SQLITE_BUSY, PostgreSQL with a serialization failure. Both must succeed
// after a retry and the count must show both increments.
func testRetry(t *testing.T, open Opener) {
	s1, s2 := open(t), open(t)
	CreateScratch(t, s1)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := s1.Tx(ctx, func(ctx context.Context, tx store.Tx) error { return insert(ctx, tx, "counter", "counter") }); err != nil {
		t.Fatal(err)
	}
	locked, release := make(chan struct{}), make(chan struct{})
	err2 := make(chan error, 1)
	go func() {
		var once sync.Once
		err2 <- s2.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE storetest_items SET n = n + 1 WHERE id = 'counter'`); err != nil {
				return err
			}
			once.Do(func() { close(locked) })
			select {
			case <-release:
			case <-ctx.Done():
			}
			return nil
		})
	}()
	<-locked
	snapshot := make(chan struct{}, 1)
	err1 := make(chan error, 1)
	attempts := 0
	go func() {
		err1 <- s1.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
			attempts++
			var n int64
			if err := tx.QueryRow(ctx, `SELECT n FROM storetest_items WHERE id = 'counter'`).Scan(&n); err != nil {
				return err
			}
			select {
			case snapshot <- struct{}{}:
			default:
			}
			_, err := tx.Exec(ctx, `UPDATE storetest_items SET n = ? WHERE id = 'counter'`, n+1)
			return err
		})
	}()
	// Release the second handle once the first has either taken its
	// snapshot (PostgreSQL) or been refused the lock (SQLite).
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-snapshot:
			break wait
		case <-tick.C:
			if s1.Stats().Retries > 0 {
				break wait
			}
		case <-ctx.Done():
			t.Fatal("first transaction neither started nor retried")
		}
	}
	close(release)
	if err := <-err2; err != nil {
		t.Fatalf("holder: %v", err)
	}
	if err := <-err1; err != nil {
		t.Fatalf("contender: %v", err)
	}
	if got := s1.Stats().Retries; got < 1 {
		t.Fatalf("retries = %d, want at least 1", got)
	}
	var n int64
	if err := s1.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT n FROM storetest_items WHERE id = 'counter'`).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("counter = %d, want 2 (a lost update)", n)
	}
}

func testTimeRoundTrip(t *testing.T, open Opener) {
	s := open(t)
	CreateScratch(t, s)
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	cases := []time.Time{
		time.Date(2026, 11, 25, 10, 30, 15, 123456789, zone),
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2038, 1, 19, 3, 14, 8, 1000, time.UTC),
	}
	for i, in := range cases {
		var out time.Time
		err := s.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			id := fmt.Sprint("t", i)
			if _, err := tx.Exec(ctx, `INSERT INTO storetest_items (id, name, at) VALUES (?, ?, ?)`, id, id, in); err != nil {
				return err
			}
			return tx.QueryRow(ctx, `SELECT at FROM storetest_items WHERE id = ?`, id).Scan(&out)
		})
		if err != nil {
			t.Fatal(err)
		}
		want := in.UTC().Truncate(time.Microsecond)
		if !out.Equal(want) || out.Location() != time.UTC {
			t.Errorf("wrote %v, read %v (%v), want %v in UTC", in, out, out.Location(), want)
		}
	}
}

func testTimeOrder(t *testing.T, open Opener) {
	s := open(t)
	CreateScratch(t, s)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err := s.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for i, d := range []time.Duration{time.Microsecond, time.Second, time.Hour, 1000 * time.Hour} {
			id := fmt.Sprint("o", i)
			if _, err := tx.Exec(ctx, `INSERT INTO storetest_items (id, name, at) VALUES (?, ?, ?)`, id, id, base.Add(d)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var latest time.Time
	err = s.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM storetest_items WHERE at > ?`, base.Add(time.Second).In(time.FixedZone("x", -7200))).Scan(&n); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT max(at) FROM storetest_items`).Scan(&latest)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("rows after base+1s = %d, want 2", n)
	}
	if want := base.Add(1000 * time.Hour); !latest.Equal(want) {
		t.Errorf("max(at) = %v, want %v", latest, want)
	}
}

func testNullTime(t *testing.T, open Opener) {
	s := open(t)
	CreateScratch(t, s)
	var nt sql.NullTime
	nt.Valid = true
	err := s.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if err := insert(ctx, tx, "a", "alpha"); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT at FROM storetest_items WHERE id = 'a'`).Scan(&nt)
	})
	if err != nil {
		t.Fatal(err)
	}
	if nt.Valid {
		t.Fatalf("NULL read as %v", nt.Time)
	}
}

func testBytes(t *testing.T, open Opener) {
	s := open(t)
	CreateScratch(t, s)
	in := []byte{0, 1, 2, 0xff, 0xfe, 0, 'x', 0x80}
	var out []byte
	err := s.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO storetest_items (id, name, data) VALUES ('b', 'b', ?)`, in); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT data FROM storetest_items WHERE id = 'b'`).Scan(&out)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in, out) {
		t.Fatalf("wrote %x, read %x", in, out)
	}
}

func testJSON(t *testing.T, open Opener) {
	s := open(t)
	CreateScratch(t, s)
	in := json.RawMessage(`{"a": [1, 2.5, null], "b": "ünïcode \u2028", "c": {"d": true}}`)
	var out json.RawMessage
	err := s.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO storetest_items (id, name, doc) VALUES ('j', 'j', ?)`, in); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT doc FROM storetest_items WHERE id = 'j'`).Scan(&out)
	})
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(in, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatalf("read back invalid JSON %q: %v", out, err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("wrote %s, read %s", in, out)
	}
}

func testBool(t *testing.T, open Opener) {
	s := open(t)
	CreateScratch(t, s)
	for _, in := range []bool{true, false} {
		var out bool
		err := s.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			id := fmt.Sprint(in)
			if _, err := tx.Exec(ctx, `INSERT INTO storetest_items (id, name, flag) VALUES (?, ?, ?)`, id, id, in); err != nil {
				return err
			}
			return tx.QueryRow(ctx, `SELECT flag FROM storetest_items WHERE id = ? AND flag = ?`, id, in).Scan(&out)
		})
		if err != nil {
			t.Fatal(err)
		}
		if out != in {
			t.Fatalf("wrote %v, read %v", in, out)
		}
	}
}

func testParallelWriters(t *testing.T, open Opener) {
	s := open(t)
	CreateScratch(t, s)
	const writers = 50
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs <- s.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				return insert(ctx, tx, fmt.Sprint("w", i), "the-one-name")
			})
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	won, lost := 0, 0
	for err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, store.ErrConflict):
			lost++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if won != 1 || lost != writers-1 {
		t.Fatalf("won %d, lost %d; want 1 and %d", won, lost, writers-1)
	}
	if n := count(t, s); n != 1 {
		t.Fatalf("rows = %d, want 1", n)
	}
}

func testViewReadOnly(t *testing.T, open Opener) {
	s := open(t)
	CreateScratch(t, s)
	err := s.View(context.Background(), func(ctx context.Context, tx store.Tx) error { return insert(ctx, tx, "a", "alpha") })
	if err == nil {
		t.Fatal("write inside View succeeded")
	}
	if n := count(t, s); n != 0 {
		t.Fatalf("rows = %d, want 0", n)
	}
}

func testNested(t *testing.T, open Opener) {
	s := open(t)
	err := s.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return s.Tx(ctx, func(context.Context, store.Tx) error { return nil })
	})
	if !errors.Is(err, store.ErrNestedTx) {
		t.Fatalf("got %v, want ErrNestedTx", err)
	}
}

func testStats(t *testing.T, open Opener) {
	s := open(t)
	CreateScratch(t, s)
	before := s.Stats()
	_ = s.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error { return insert(ctx, tx, "a", "alpha") })
	_ = s.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error { return errors.New("no") })
	after := s.Stats()
	if after.Commits-before.Commits != 1 || after.Rollbacks-before.Rollbacks != 1 {
		t.Fatalf("stats went from %+v to %+v, want one commit and one rollback", before, after)
	}
}

func testPing(t *testing.T, open Opener) {
	s := open(t)
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.Dialect() != store.SQLite && s.Dialect() != store.Postgres {
		t.Fatalf("dialect %q", s.Dialect())
	}
}
