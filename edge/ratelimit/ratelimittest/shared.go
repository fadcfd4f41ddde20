package ratelimittest

import (
	"testing"
	"time"

	"github.com/lintel-id/lintel/edge/ratelimit"
)

func testClockBackwards(t *testing.T, f fixture) {
	l := ratelimit.Limit{Rate: 2, Per: time.Second} // one per 500ms
	const key = "backwards"
	f.drain(t, key, l)
	f.clk.Advance(-time.Hour)
	f.expect(t, key, l, refused(time.Hour+500*time.Millisecond))
	f.clk.Advance(time.Hour + 499*time.Millisecond)
	f.expect(t, key, l, refused(time.Millisecond))
	f.clk.Advance(time.Millisecond)
	f.expect(t, key, l, allowed(0))
}

func testSharedKey(t *testing.T, f fixture) {
	loose := ratelimit.Limit{Rate: 4, Per: time.Second}            // one per 250ms, burst 4
	strict := ratelimit.Limit{Rate: 1, Per: time.Second, Burst: 1} // one per second
	roomy := ratelimit.Limit{Rate: 1, Per: time.Second, Burst: 10} // one per second, burst 10
	type step struct {
		wait time.Duration
		l    ratelimit.Limit
		want ratelimit.Result
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"a stricter limit waits out a looser one's events", []step{
			{0, loose, allowed(3)},
			{0, loose, allowed(2)},
			{0, loose, allowed(1)},
			{0, loose, allowed(0)},
			// The key is 1s ahead of now; one event per second with no
			// burst must wait for all of it.
			{0, strict, refused(time.Second)},
			{time.Second, strict, allowed(0)},
			{0, strict, refused(time.Second)},
		}},
		{"a looser limit sees a stricter one's event", []step{
			{0, strict, allowed(0)},
			// The key is 1s ahead of now: 250ms more than the loose
			// burst leaves room for another event.
			{0, loose, refused(250 * time.Millisecond)},
			{250 * time.Millisecond, loose, allowed(0)},
			{0, loose, refused(250 * time.Millisecond)},
		}},
		{"a roomier burst on the same key allows more", []step{
			{0, loose, allowed(3)},
			{0, loose, allowed(2)},
			{0, loose, allowed(1)},
			{0, loose, allowed(0)},
			{0, loose, refused(250 * time.Millisecond)},
			// 1s ahead of now, against a 10s burst of 1s intervals.
			{0, roomy, allowed(8)},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := "shared:" + tc.name
			for _, s := range tc.steps {
				f.clk.Advance(s.wait)
				f.expect(t, key, s.l, s.want)
			}
		})
	}
}
