package hooks

import (
	"sync"
	"time"
)

// breakers holds the circuit of every hook this node has called. A
// circuit is per node on purpose: it protects this node's latency, needs
// no coordination, and a hook down for one node is usually down for all.
type breakers struct {
	mu sync.Mutex
	m  map[string]*breaker // by hook ID
}

// breaker is one hook's circuit: closed (calls go through, failures
// counted), open until a time (calls fail without being made), then
// half-open (one trial call; its result closes or reopens the circuit).
type breaker struct {
	// version is the hook's UpdatedAt: a changed hook starts closed.
	version   time.Time
	failures  int
	openUntil time.Time
	// trial is set while the half-open trial call is in flight.
	trial bool
}

// allow reports whether hook h may be called at now. When it returns
// true the caller must report the call's result with done.
func (b *breakers) allow(h Hook, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.m[h.ID]
	if c == nil || !c.version.Equal(h.UpdatedAt) {
		c = &breaker{version: h.UpdatedAt}
		b.m[h.ID] = c
	}
	switch {
	case c.failures < BreakerThreshold:
		return true
	case now.Before(c.openUntil) || c.trial:
		return false
	default:
		c.trial = true
		return true
	}
}

// done records the result of a call allow let through.
func (b *breakers) done(h Hook, now time.Time, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.m[h.ID]
	if c == nil || !c.version.Equal(h.UpdatedAt) {
		return
	}
	c.trial = false
	if ok {
		c.failures = 0
		return
	}
	c.failures++
	if c.failures >= BreakerThreshold {
		c.openUntil = now.Add(BreakerCooldown)
	}
}

// abandon ends a call allow let through without a result (the caller's
// context ended): a half-open circuit lets the next call be the trial.
func (b *breakers) abandon(h Hook) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.m[h.ID]; c != nil && c.version.Equal(h.UpdatedAt) {
		c.trial = false
	}
}
