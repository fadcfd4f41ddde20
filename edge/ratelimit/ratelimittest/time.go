package ratelimittest

import (
	"testing"
	"time"

	"github.com/lintel-id/lintel/edge/ratelimit"
)

func testBurst(t *testing.T, f fixture) {
	for _, tc := range limits {
		t.Run(tc.name, func(t *testing.T) {
			key, l, e := "burst:"+tc.name, tc.l, interval(tc.l)
			f.drain(t, key, l)
			f.expect(t, key, l, refused(e))
			f.expect(t, key, l, refused(e)) // a refusal is not counted
			f.clk.Advance(e - time.Millisecond)
			f.expect(t, key, l, refused(time.Millisecond))
			f.clk.Advance(time.Millisecond)
			f.expect(t, key, l, allowed(0))
			f.expect(t, key, l, refused(e))
		})
	}
}

func testRefill(t *testing.T, f fixture) {
	for _, tc := range limits {
		t.Run(tc.name, func(t *testing.T) {
			key, l, e := "refill:"+tc.name, tc.l, interval(tc.l)
			f.drain(t, key, l)
			f.clk.Advance(e / 2)
			f.expect(t, key, l, refused(e-e/2))
			for k := 1; k <= burst(l); k++ {
				// After k intervals of quiet, exactly k events are due.
				f.clk.Advance(time.Duration(k)*e - e/2)
				for i := k - 1; i >= 0; i-- {
					f.expect(t, key, l, allowed(i))
				}
				f.clk.Advance(e / 2)
				f.expect(t, key, l, refused(e-e/2))
			}
		})
	}
}

func testRefillCap(t *testing.T, f fixture) {
	for _, tc := range limits {
		t.Run(tc.name, func(t *testing.T) {
			key, l := "cap:"+tc.name, tc.l
			f.drain(t, key, l)
			f.clk.Advance(100 * l.Per)
			f.drain(t, key, l)
			f.expect(t, key, l, refused(interval(l)))
		})
	}
}

func testRemaining(t *testing.T, f fixture) {
	l := ratelimit.Limit{Rate: 10, Per: 10 * time.Second} // one per second, burst 10
	tests := []struct {
		name string
		used int           // events at the start
		wait time.Duration // quiet before the checked event
		want ratelimit.Result
	}{
		{"a fresh key", 0, 0, allowed(9)},
		{"after three events", 3, 0, allowed(6)},
		{"after three events and a second", 3, time.Second, allowed(7)},
		{"after three events and 1.5s (half an event is none)", 3, 1500 * time.Millisecond, allowed(7)},
		{"after ten events and 3s", 10, 3 * time.Second, allowed(2)},
		{"after ten events and 0.5s", 10, 500 * time.Millisecond, refused(500 * time.Millisecond)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := "remaining:" + tc.name
			for range tc.used {
				f.allow(t, key, l)
			}
			f.clk.Advance(tc.wait)
			f.expect(t, key, l, tc.want)
		})
	}
}

func testIndependentKeys(t *testing.T, f fixture) {
	l := ratelimit.Limit{Rate: 3, Per: 3 * time.Second}
	f.drain(t, "independent:a", l)
	f.expect(t, "independent:a", l, refused(time.Second))
	for _, key := range []string{"independent:b", "independent:A", "independent:a ", "independent:"} {
		f.expect(t, key, l, allowed(2))
	}
	f.clk.Advance(time.Second)
	f.expect(t, "independent:a", l, allowed(0))
	f.expect(t, "independent:b", l, allowed(2))
}

func testKeys(t *testing.T, f fixture) {
	l := ratelimit.Limit{Rate: 1, Per: time.Minute}
	tests := []struct{ name, key string }{
		{"one byte", "k"},
		{"MaxKeyLen bytes", string(make([]byte, ratelimit.MaxKeyLen))},
		{"binary", "\x00\xff\xfe:k"},
		{"spaces and newlines", "sign in:\r\nuser"},
		{"an IPv6 prefix", "signin:ip:" + "2001:db8::/64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.expect(t, tc.key, l, allowed(0))
			f.expect(t, tc.key, l, refused(time.Minute))
		})
	}
}
