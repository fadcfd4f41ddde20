package ratelimit

import (
	"math"
	"time"
)

// gcra is one limit's arithmetic in nanoseconds, as in redis_rate: events
// are spaced interval apart, and a key may run up to offset (burst ×
// interval) ahead of now.
type gcra struct {
	interval int64
	offset   int64
}

// allow decides one event for a key whose theoretical arrival time is tat
// (math.MinInt64 for a key with no state) at now. It returns the new
// theoretical arrival time, which the caller stores only when the event was
// allowed.
//
// It is redis_rate's script with the comparisons rearranged around the
// key's debt (tat − now) so that nothing overflows:
//
//	tat = max(tat, now); new_tat = tat + interval; allow_at = new_tat − offset
//	refused when now < allow_at, retry after allow_at − now
//	otherwise remaining = floor((now − allow_at) / interval)
func (g gcra) allow(tat, now int64) (int64, Result) {
	tat = max(tat, now)
	debt := subSat(tat, now)
	room := g.offset - g.interval // ≥ 0: burst is at least 1
	if debt > room {
		return tat, Result{RetryAfter: time.Duration(debt - room)}
	}
	return addSat(tat, g.interval), Result{Allowed: true, Remaining: int((room - debt) / g.interval)}
}

// addSat returns a + b for b ≥ 0, saturating at math.MaxInt64.
func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// subSat returns a − b for a ≥ b, saturating at math.MaxInt64.
func subSat(a, b int64) int64 {
	if b < 0 && a > math.MaxInt64+b {
		return math.MaxInt64
	}
	return a - b
}
