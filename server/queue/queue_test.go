package queue

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var testTable = Table{Name: "queue_test", Pending: "pending", Finished: [2]string{"sent", "failed"}}

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// TestClaimAndPurge runs a queue table on every backend: claims take due
// pending messages oldest first, skip leased ones until the lease ends,
// and purges delete only messages finished before the cut-off.
func TestClaimAndPurge(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			ctx := context.Background()
			rows := []struct {
				id, status  string
				due         time.Time
				lockedUntil any
				finished    any
			}{
				{"m1", "pending", t0.Add(-time.Minute), nil, nil},
				{"m2", "pending", t0.Add(-2 * time.Minute), nil, nil},
				{"m3", "pending", t0.Add(time.Minute), nil, nil},                 // not due
				{"m4", "pending", t0.Add(-time.Hour), t0.Add(time.Minute), nil},  // leased
				{"m5", "pending", t0.Add(-time.Hour), t0.Add(-time.Second), nil}, // lease over
				{"m6", "sent", t0.Add(-time.Hour), nil, t0.Add(-48 * time.Hour)},
				{"m7", "failed", t0.Add(-time.Hour), nil, t0.Add(-time.Hour)},
				{"m8", "sent", t0.Add(-time.Hour), nil, t0.Add(-72 * time.Hour)},
			}
			err := st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
				if _, err := tx.Exec(ctx, `CREATE TABLE queue_test (id TEXT PRIMARY KEY, status TEXT NOT NULL,
					next_attempt_at TIMESTAMP NOT NULL, claim_id TEXT NOT NULL DEFAULT '', locked_until TIMESTAMP, finished_at TIMESTAMP)`); err != nil {
					return err
				}
				for _, r := range rows {
					if _, err := tx.Exec(ctx, `INSERT INTO queue_test (id, status, next_attempt_at, locked_until, finished_at) VALUES (?, ?, ?, ?, ?)`,
						r.id, r.status, r.due, r.lockedUntil, r.finished); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			claimed := func(claim string, limit int) []string {
				t.Helper()
				return storetest.Get(t, st, func(ctx context.Context, tx store.Tx) ([]string, error) {
					if _, err := testTable.Claim(ctx, tx, claim, t0, time.Minute, limit); err != nil {
						return nil, err
					}
					r, err := tx.Query(ctx, `SELECT id FROM queue_test WHERE claim_id = ? ORDER BY next_attempt_at, id`, claim)
					return store.Collect(r, err, func(s store.Scanner) (string, error) {
						var id string
						return id, s.Scan(&id)
					})
				})
			}
			if got := claimed("c1", 2); len(got) != 2 || got[0] != "m5" || got[1] != "m2" {
				t.Fatalf("first claim %v, want the two oldest due and free: m5 m2", got)
			}
			if got := claimed("c2", 10); len(got) != 1 || got[0] != "m1" {
				t.Fatalf("second claim %v, want m1 only (m3 not due, m4 and c1's leased)", got)
			}
			n, err := testTable.Purge(ctx, st, t0.Add(-24*time.Hour))
			if err != nil || n != 2 {
				t.Fatalf("purge: %d (%v), want m6 and m8", n, err)
			}
			left := storetest.Get(t, st, func(ctx context.Context, tx store.Tx) (int, error) {
				var c int
				return c, tx.QueryRow(ctx, `SELECT COUNT(*) FROM queue_test`).Scan(&c)
			})
			if left != 6 {
				t.Fatalf("%d rows left, want 6", left)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempts int
		want     time.Duration
	}{{0, time.Second}, {1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {7, 10 * time.Second}, {40, 10 * time.Second}} {
		for range 50 {
			got := Backoff(tc.attempts, time.Second, 10*time.Second)
			if got > tc.want || got < tc.want-tc.want/4 {
				t.Fatalf("Backoff(%d) = %v, want %v less at most a quarter", tc.attempts, got, tc.want)
			}
		}
	}
}

// TestRun delivers again at once while whole batches go out, waits for
// the next tick otherwise, and ends when the ticks end.
func TestRun(t *testing.T) {
	ticks := make(chan time.Time)
	calls, queued := 0, 5
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), ticks, 2, slog.New(slog.DiscardHandler), "test delivery", func(context.Context) (int, int, error) {
			calls++
			n := min(queued, 2)
			queued -= n
			return n, 0, nil
		})
	}()
	ticks <- t0
	ticks <- t0 // accepted only once the first tick's batches are done
	close(ticks)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// First tick: 2, 2, 1 (a short batch ends it); second tick: 0.
	if calls != 4 {
		t.Fatalf("deliver called %d times, want 4", calls)
	}
}
