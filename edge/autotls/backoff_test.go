package autotls

import (
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
)

func TestBackoff(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

	t.Run("refuses until the first wait has passed", func(t *testing.T) {
		clk := clock.NewFake(start)
		b := newBackoff(clk, 5*time.Minute, time.Hour)
		if _, ok := b.blocked("a.example"); ok {
			t.Fatal("blocked before any failure")
		}
		until := b.failed("a.example")
		if want := start.Add(5 * time.Minute); !until.Equal(want) {
			t.Fatalf("failed() = %v, want %v", until, want)
		}
		clk.Advance(5*time.Minute - time.Second)
		if _, ok := b.blocked("a.example"); !ok {
			t.Fatal("not blocked inside the wait")
		}
		if _, ok := b.blocked("b.example"); ok {
			t.Fatal("another name is blocked")
		}
		clk.Advance(time.Second)
		if _, ok := b.blocked("a.example"); ok {
			t.Fatal("still blocked once the wait has passed")
		}
	})

	t.Run("doubles the wait per failure up to the maximum", func(t *testing.T) {
		clk := clock.NewFake(start)
		b := newBackoff(clk, 5*time.Minute, 30*time.Minute)
		for i, want := range []time.Duration{5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 30 * time.Minute, 30 * time.Minute} {
			now := clk.Now()
			if got := b.failed("a.example").Sub(now); got != want {
				t.Fatalf("failure %d: wait %v, want %v", i+1, got, want)
			}
			clk.Advance(want)
		}
	})

	t.Run("forgets failures after a success", func(t *testing.T) {
		clk := clock.NewFake(start)
		b := newBackoff(clk, 5*time.Minute, time.Hour)
		b.failed("a.example")
		b.failed("a.example")
		b.succeeded("a.example")
		if _, ok := b.blocked("a.example"); ok {
			t.Fatal("blocked after a success")
		}
		if got := b.failed("a.example").Sub(clk.Now()); got != 5*time.Minute {
			t.Fatalf("wait after success and a new failure = %v, want the first wait", got)
		}
	})

	t.Run("drops names whose backoff ended long ago", func(t *testing.T) {
		clk := clock.NewFake(start)
		b := newBackoff(clk, 5*time.Minute, time.Hour)
		b.failed("old.example")
		clk.Advance(2 * time.Hour)
		b.failed("new.example")
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.names["old.example"]; ok {
			t.Fatal("old.example is still remembered")
		}
		if len(b.names) != 1 {
			t.Fatalf("remembers %d names, want 1", len(b.names))
		}
	})
}
