// Package clock is Lintel's source of time. Every expiry, lockout,
// rotation and idle window reads the current time from an injected Clock,
// so production code uses System and tests use a Fake they move by hand
// instead of sleeping.
package clock

import (
	"sync"
	"time"
)

// Clock tells the current time.
//
// Implementations are safe for concurrent use by multiple goroutines.
// Now never blocks and never fails. Callers must not assume the returned
// time carries a monotonic reading: compare times with Before, After and
// Sub, and measure durations against the same Clock.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
}

// System returns the real clock. Its times are in UTC.
func System() Clock { return systemClock{} }

type systemClock struct{}

// Now returns time.Now in UTC.
func (systemClock) Now() time.Time { return time.Now().UTC() }

// Fake is a Clock that only moves when told to. It is safe for concurrent
// use. The zero value reads as the zero time; use NewFake to start it
// elsewhere.
type Fake struct {
	mu  sync.Mutex
	now time.Time
}

// NewFake returns a Fake whose current time is t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now returns the fake's current time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Set makes t the fake's current time. t may be earlier than the current
// time, to test code that must survive a clock stepping backwards.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t
}

// Advance moves the fake's current time forward by d (backwards if d is
// negative) and returns the new time.
func (f *Fake) Advance(d time.Duration) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	return f.now
}

var (
	_ Clock = systemClock{}
	_ Clock = (*Fake)(nil)
)
