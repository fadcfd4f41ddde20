package autotls

import (
	"sync"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
)

// backoff spaces out issuance attempts for names whose last attempt
// failed, so a flood of handshakes for an allowed but failing name does
// not reach the CA more than once per window.
//
// certmagic alone coalesces concurrent handshakes for one name in one
// process and retries inside one handshake's 3-minute budget (1 minute
// apart), but the next handshake after that starts afresh; its renewal
// backoff covers only non-on-demand certificates. State is per process:
// each node of a cluster backs off on its own (Storage's lock still keeps
// attempts for one name sequential across nodes).
type backoff struct {
	clock      clock.Clock
	first, max time.Duration

	mu    sync.Mutex
	names map[string]*retryState
}

type retryState struct {
	failures int
	until    time.Time
}

func newBackoff(c clock.Clock, first, max time.Duration) *backoff {
	return &backoff{clock: c, first: first, max: max, names: make(map[string]*retryState)}
}

// blocked reports whether issuance for name is refused now, and until when.
func (b *backoff) blocked(name string) (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st, ok := b.names[name]
	if !ok || !b.clock.Now().Before(st.until) {
		return time.Time{}, false
	}
	return st.until, true
}

// failed records a failed attempt for name and returns the end of its
// new backoff: first, then doubling per consecutive failure up to max.
func (b *backoff) failed(name string) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	// Forget names whose backoff ended long ago, so the map only holds
	// names that failed recently.
	for n, st := range b.names {
		if now.Sub(st.until) > b.max {
			delete(b.names, n)
		}
	}
	st, ok := b.names[name]
	if !ok {
		st = &retryState{}
		b.names[name] = st
	}
	wait := b.first
	for i := 0; i < st.failures && wait < b.max; i++ {
		wait *= 2
	}
	st.failures++
	st.until = now.Add(min(wait, b.max))
	return st.until
}

// succeeded forgets name's failures.
func (b *backoff) succeeded(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.names, name)
}
