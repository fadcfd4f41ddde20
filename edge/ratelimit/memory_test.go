package ratelimit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lintel-id/lintel/edge/ratelimit"
	"github.com/lintel-id/lintel/edge/ratelimit/ratelimittest"
	"github.com/lintel-id/lintel/internal/clock"
)

func TestMemory(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T, clk clock.Clock) ratelimit.Limiter {
		return ratelimit.NewMemory(clk, ratelimit.MemoryOptions{})
	})
}

func TestMemoryHoldsAtMostMaxKeys(t *testing.T) {
	tests := []struct {
		name    string
		maxKeys int
		want    int
	}{
		{"one key", 1, 1},
		{"fewer keys than shards", 10, 10},
		{"keys not a multiple of the shards", 1000, 1000},
		{"the default", 0, ratelimit.DefaultMaxKeys},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
			m := ratelimit.NewMemory(clk, ratelimit.MemoryOptions{MaxKeys: tc.maxKeys})
			l := ratelimit.Limit{Rate: 1, Per: time.Hour}
			ctx := context.Background()
			keys := tc.want + tc.want/2 + 100
			for i := range keys {
				res, err := m.Allow(ctx, fmt.Sprint("flood:", i), l)
				if err != nil || !res.Allowed {
					t.Fatalf("new key %d: %+v, %v; want allowed", i, res, err)
				}
				if i%(1+keys/1000) == 0 || i == keys-1 {
					if n := m.Len(); n > tc.want {
						t.Fatalf("after %d keys Len() = %d, more than %d", i+1, n, tc.want)
					}
				}
			}
			// A shard may hold less than its share after a batch eviction,
			// never more; with this many keys every shard has filled.
			if n := m.Len(); n < tc.want-tc.want/8 {
				t.Errorf("Len() = %d, want close to %d", n, tc.want)
			}
		})
	}
}

func TestMemoryFloodKeepsRefusedKeys(t *testing.T) {
	clk := clock.NewFake(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	m := ratelimit.NewMemory(clk, ratelimit.MemoryOptions{MaxKeys: 256})
	l := ratelimit.Limit{Rate: 1, Per: time.Minute, Burst: 5}
	ctx := context.Background()
	for range 5 {
		if _, err := m.Allow(ctx, "victim", l); err != nil {
			t.Fatal(err)
		}
	}
	// Fresh keys are one interval ahead of now; the drained key five. The
	// flood evicts its own keys first.
	for i := range 10_000 {
		if _, err := m.Allow(ctx, fmt.Sprint("flood:", i), l); err != nil {
			t.Fatal(err)
		}
	}
	res, err := m.Allow(ctx, "victim", l)
	if err != nil {
		t.Fatal(err)
	}
	if want := (ratelimit.Result{RetryAfter: time.Minute}); res != want {
		t.Errorf("after a flood of new keys the drained key got %+v, want %+v", res, want)
	}
}
