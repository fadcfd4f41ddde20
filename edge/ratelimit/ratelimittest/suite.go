// Package ratelimittest is the conformance suite every ratelimit.Limiter
// passes: bursts and refusals with their retry times, refill over time,
// independent keys, remaining counts, invalid limits and keys, cancelled
// contexts, concurrent callers, a clock stepping backwards and limits that
// share a key.
//
// The suite drives time with a clock.Fake and compares durations exactly.
// Every limit it uses has an emission interval (Per/Rate) of whole
// milliseconds that is also exact in binary floating point, and every step
// is whole milliseconds, so a backend that keeps time in microseconds or
// in float seconds (as Redis scripts do) gets the same answers as one that
// keeps nanoseconds.
package ratelimittest

import (
	"context"
	"testing"
	"time"

	"github.com/lintel-id/lintel/edge/ratelimit"
	"github.com/lintel-id/lintel/internal/clock"
)

// NewLimiter returns a Limiter with no state that reads time only from clk,
// released when t ends. The suite calls it once per subtest, with a fresh
// clock each time.
type NewLimiter func(t *testing.T, clk clock.Clock) ratelimit.Limiter

// start is the time the suite's fake clocks start at.
func start() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) }

// Run runs the suite against the Limiters newLimiter makes, one subtest
// per behaviour.
func Run(t *testing.T, newLimiter NewLimiter) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f fixture)
	}{
		{"allows a burst then refuses until the next event is due", testBurst},
		{"refills one event per emission interval", testRefill},
		{"refills no further than the burst", testRefillCap},
		{"counts remaining events after a partial refill", testRemaining},
		{"keeps keys independent", testIndependentKeys},
		{"accepts any key of 1 to MaxKeyLen bytes", testKeys},
		{"refuses invalid limits with ErrInvalid and counts nothing", testInvalidLimits},
		{"refuses invalid keys with ErrInvalid", testInvalidKeys},
		{"refuses a done context and counts nothing", testContext},
		{"never allows more than the burst to concurrent callers", testConcurrentBurst},
		{"never allows more than burst plus refill while time moves", testConcurrentRefill},
		{"grants nothing when the clock steps backwards", testClockBackwards},
		{"judges a key shared by two limits by each call's limit", testSharedKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(start())
			tc.fn(t, fixture{lim: newLimiter(t, clk), clk: clk})
		})
	}
}

// fixture is one subtest's limiter and the clock that drives it.
type fixture struct {
	lim ratelimit.Limiter
	clk *clock.Fake
}

// allow calls Allow and fails the test on an error.
func (f fixture) allow(t *testing.T, key string, l ratelimit.Limit) ratelimit.Result {
	t.Helper()
	res, err := f.lim.Allow(context.Background(), key, l)
	if err != nil {
		t.Fatalf("Allow(%q, %+v): %v", key, l, err)
	}
	return res
}

// expect calls Allow and compares the whole Result.
func (f fixture) expect(t *testing.T, key string, l ratelimit.Limit, want ratelimit.Result) {
	t.Helper()
	if got := f.allow(t, key, l); got != want {
		t.Fatalf("at %v: Allow(%q, %+v) = %+v, want %+v", f.clk.Now().Sub(start()), key, l, got, want)
	}
}

// drain uses up key's burst under l, checking each Result on the way.
func (f fixture) drain(t *testing.T, key string, l ratelimit.Limit) {
	t.Helper()
	for i := burst(l) - 1; i >= 0; i-- {
		f.expect(t, key, l, allowed(i))
	}
}

func allowed(remaining int) ratelimit.Result {
	return ratelimit.Result{Allowed: true, Remaining: remaining}
}

func refused(retryAfter time.Duration) ratelimit.Result {
	return ratelimit.Result{RetryAfter: retryAfter}
}

func burst(l ratelimit.Limit) int {
	if l.Burst == 0 {
		return l.Rate
	}
	return l.Burst
}

func interval(l ratelimit.Limit) time.Duration { return l.Per / time.Duration(l.Rate) }

// limits are the limits most tests run under, with emission intervals of
// 250ms, 1s, 2m and 1h.
var limits = []struct {
	name string
	l    ratelimit.Limit
}{
	{"4 per second, burst = rate", ratelimit.Limit{Rate: 4, Per: time.Second}},
	{"1 per second, burst 5", ratelimit.Limit{Rate: 1, Per: time.Second, Burst: 5}},
	{"5 per 10 minutes, burst 2", ratelimit.Limit{Rate: 5, Per: 10 * time.Minute, Burst: 2}},
	{"1 per hour, burst 1", ratelimit.Limit{Rate: 1, Per: time.Hour, Burst: 1}},
}
