package events

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

func TestRetention(t *testing.T) {
	runOnBackends(t, []behaviour{
		{"purges at start and on every tick, keeping recent events", testRetentionTicks},
	})
}

func testRetentionTicks(t *testing.T, e *env) {
	old := change("app.updated")
	old.Time = e.clk.Now().Add(-48 * time.Hour)
	e.append(t, old)
	e.append(t, change("app.created")) // now
	ctx, cancel := context.WithCancel(context.Background())
	ticks := make(chan time.Time)
	done := make(chan struct{})
	go func() {
		Retention{Log: e.log, Keep: 24 * time.Hour, Logger: slog.New(slog.DiscardHandler)}.Run(ctx, ticks)
		close(done)
	}()
	// The tick is taken only after the first purge, so once it is
	// accepted the start-up purge has finished.
	ticks <- e.clk.Now()
	if got := e.all(t, Query{TenantID: "ten_a"}); len(got) != 1 || got[0].Type != "app.created" {
		t.Fatalf("after the start-up purge: %v", ids(got))
	}
	e.clk.Advance(25 * time.Hour)
	ticks <- e.clk.Now() // purges the second event
	ticks <- e.clk.Now() // accepted only after that purge finished
	if got := e.all(t, Query{TenantID: "ten_a"}); len(got) != 0 {
		t.Fatalf("after a day: %v", ids(got))
	}
	cancel()
	<-done
}
