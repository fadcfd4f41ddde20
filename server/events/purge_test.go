package events

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

func TestPurge(t *testing.T) {
	runOnBackends(t, []behaviour{
		{"removes only events older than the limit and reports the count", testPurgeOlder},
		{"purges more than one batch", testPurgeBatches},
		{"refuses a limit that is unset or in the future", testPurgeRefuses},
	})
}

func testPurgeOlder(t *testing.T, e *env) {
	var evs []Event
	for i := range 5 {
		ev := change("app.updated")
		ev.Time = t0.AddDate(0, 0, -10+2*i) // days -10, -8, -6, -4, -2
		evs = append(evs, e.append(t, ev)...)
	}
	ev := about("usr_ada", ada)
	ev.Time = t0.AddDate(0, 0, -9)
	evs = append(evs, e.append(t, ev)...)
	n, err := e.log.Purge(context.Background(), t0.AddDate(0, 0, -6)) // exclusive
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("purged %d, want 3", n)
	}
	got := e.all(t, Query{TenantID: "ten_a"})
	if want := ids(evs[2:5]); !slices.Equal(ids(got), want) {
		t.Fatalf("left %v, want %v", ids(got), want)
	}
	if n, err := e.log.Purge(context.Background(), t0.AddDate(0, 0, -6)); err != nil || n != 0 {
		t.Fatalf("second purge: %d, %v; want 0", n, err)
	}
}

func testPurgeBatches(t *testing.T, e *env) {
	const old = 2*purgeBatch + 1
	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for i := range old + 10 {
			ev := change("app.updated")
			ev.Time = t0.Add(-time.Duration(old-i) * time.Second) // the last 10 are at or after t0
			if _, err := e.log.Append(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.log.Purge(context.Background(), t0)
	if err != nil || n != old {
		t.Fatalf("purged %d, %v; want %d", n, err, old)
	}
	if left := e.count(t, "events"); left != 10 {
		t.Fatalf("%d events left, want 10", left)
	}
}

func testPurgeRefuses(t *testing.T, e *env) {
	e.append(t, change("app.updated"))
	for _, before := range []time.Time{{}, e.clk.Now().Add(time.Second)} {
		n, err := e.log.Purge(context.Background(), before)
		if errs := invalid.All(err); len(errs) != 1 || errs[0].Field != "before" || n != 0 {
			t.Errorf("Purge(%v) = %d, %v; want an invalid before", before, n, err)
		}
	}
	if left := e.count(t, "events"); left != 1 {
		t.Fatalf("%d events left, want 1", left)
	}
}
