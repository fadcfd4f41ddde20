package ratelimit

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
)

// TestEviction uses one shard, so which key goes is certain.
func TestEviction(t *testing.T) {
	l := Limit{Rate: 1, Per: time.Second, Burst: 10} // one per second, burst 10
	tests := []struct {
		name    string
		maxKeys int
		uses    []use
		want    []string // keys held at the end, sorted
	}{
		{
			name: "drops fully decayed keys before live ones", maxKeys: 3,
			uses: []use{{"a", 1, 0}, {"b", 5, 0}, {"c", 3, 2 * time.Second}, {"d", 1, 0}},
			want: []string{"b", "c", "d"},
		},
		{
			name: "drops every decayed key at once", maxKeys: 3,
			uses: []use{{"a", 1, 0}, {"b", 2, 0}, {"c", 5, 3 * time.Second}, {"d", 1, 0}},
			want: []string{"c", "d"},
		},
		{
			name: "drops the key nearest to decay when none has decayed", maxKeys: 3,
			uses: []use{{"a", 5, 0}, {"b", 1, 0}, {"c", 3, 0}, {"d", 1, 0}},
			want: []string{"a", "c", "d"},
		},
		{
			name: "counts time: the earliest arrival time goes, not the first key", maxKeys: 3,
			uses: []use{{"a", 3, time.Second}, {"b", 1, 0}, {"c", 9, 0}, {"d", 1, 0}},
			want: []string{"a", "c", "d"}, // a is 2s ahead, b 1s
		},
		{
			name: "drops a sixteenth of a full shard at once", maxKeys: 32,
			uses: append(spread(32), use{"new", 1, 0}),
			// k00 and k01 are nearest to decay (1 and 2 events).
			want: slices.Sorted(slices.Values(append(names(32)[2:], "new"))),
		},
		{
			name: "keeps an existing key's state when full", maxKeys: 2,
			uses: []use{{"a", 1, 0}, {"b", 1, 0}, {"a", 1, 0}, {"b", 1, 0}},
			want: []string{"a", "b"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
			m := newMemory(clk, tc.maxKeys, 1)
			for _, u := range tc.uses {
				for range u.events {
					if res, err := m.Allow(context.Background(), u.key, l); err != nil || !res.Allowed {
						t.Fatalf("Allow(%q) = %+v, %v; want allowed", u.key, res, err)
					}
				}
				clk.Advance(u.after)
			}
			var got []string
			for k := range m.shards[0].tats {
				got = append(got, k)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("keys held = %q, want %q", got, tc.want)
			}
		})
	}
}

// use is events under one key, then a wait.
type use struct {
	key    string
	events int
	after  time.Duration // advance the clock after these events
}

// spread uses n keys k00, k01, … with 1, 2, … events (capped at the burst
// of 10, then 10 each), so that earlier keys are nearer to decay.
func spread(n int) []use {
	out := make([]use, n)
	for i, k := range names(n) {
		out[i].key, out[i].events = k, min(i+1, 10)
	}
	return out
}

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("k%02d", i)
	}
	return out
}

func TestNewMemoryShardsHoldExactlyMaxKeys(t *testing.T) {
	tests := []struct{ maxKeys, want int }{
		{1, 1}, {2, 2}, {63, 63}, {64, 64}, {65, 65}, {1000, 1000},
		{0, DefaultMaxKeys}, {-1, DefaultMaxKeys},
	}
	for _, tc := range tests {
		m := NewMemory(clock.NewFake(time.Time{}), MemoryOptions{MaxKeys: tc.maxKeys})
		total := 0
		for i := range m.shards {
			if m.shards[i].max < 1 {
				t.Errorf("MaxKeys %d: shard %d holds %d keys, want at least 1", tc.maxKeys, i, m.shards[i].max)
			}
			total += m.shards[i].max
		}
		if total != tc.want {
			t.Errorf("MaxKeys %d: shards hold %d keys together, want %d", tc.maxKeys, total, tc.want)
		}
	}
}
