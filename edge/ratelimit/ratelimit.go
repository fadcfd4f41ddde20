// Package ratelimit limits how often something may happen per key: sign-in
// attempts per address, per account, per client. A [Limiter] decides each
// event with GCRA, the generic cell rate algorithm, which keeps one
// timestamp per key (the theoretical arrival time) and refills smoothly,
// one event every Per/Rate, up to a burst.
//
// [Memory] is the in-process backend for a single node; [Redis] is the
// backend that many nodes share, one Lua script per decision. Both use the
// algorithm and arithmetic of github.com/go-redis/redis_rate and answer
// alike to the nanosecond, except that Redis takes the time from the
// node's injected clock rather than from Redis. Package ratelimittest is
// the conformance suite every backend passes.
//
// Keys are the caller's: prefix each with the name of what it limits
// ("signin:ip:" + IPKey(addr)) so that two limits never share a key by
// accident. Keys may hold personal data (addresses, account names), so
// this package never puts them in errors.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrInvalid is wrapped by the error Allow returns for a limit or a key it
// cannot use. Compare with errors.Is.
var ErrInvalid = errors.New("ratelimit: invalid limit or key")

// MaxKeyLen is the longest key, in bytes, that a Limiter accepts.
const MaxKeyLen = 256

// Limit allows Rate events per Per, with bursts of up to Burst events.
//
// The limit refills continuously: one event becomes available every
// Per/Rate (the emission interval), up to Burst at once. Per/Rate is
// truncated to whole nanoseconds, so the long-run rate may exceed Rate per
// Per by less than one event in Per/Rate nanoseconds (for 100 per second,
// one in ten million).
type Limit struct {
	// Rate is the number of events allowed per Per; at least 1.
	Rate int
	// Per is the period Rate is measured over; positive and at least Rate
	// nanoseconds.
	Per time.Duration
	// Burst is the number of events allowed at once after a quiet spell;
	// 0 means Rate. Burst × Per/Rate must fit in a time.Duration.
	Burst int
}

// Validate reports whether a Limiter can use l, with an error wrapping
// ErrInvalid when it cannot. Configuration can call it before any event.
func (l Limit) Validate() error {
	_, err := l.gcra()
	return err
}

// ValidateKey reports whether a Limiter accepts key, with an error
// wrapping ErrInvalid when it does not: keys are 1 to MaxKeyLen bytes of
// any content. The error does not quote the key.
func ValidateKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty key", ErrInvalid)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("%w: key is %d bytes, longer than %d", ErrInvalid, len(key), MaxKeyLen)
	}
	return nil
}

// gcra returns l's arithmetic: the emission interval and the burst offset
// (burst × interval), both in nanoseconds.
func (l Limit) gcra() (gcra, error) {
	switch {
	case l.Rate <= 0:
		return gcra{}, fmt.Errorf("%w: rate %d is not positive", ErrInvalid, l.Rate)
	case l.Per <= 0:
		return gcra{}, fmt.Errorf("%w: period %v is not positive", ErrInvalid, l.Per)
	case l.Burst < 0:
		return gcra{}, fmt.Errorf("%w: burst %d is negative", ErrInvalid, l.Burst)
	}
	interval := int64(l.Per) / int64(l.Rate)
	if interval == 0 {
		return gcra{}, fmt.Errorf("%w: rate %d per %v is more than one event per nanosecond", ErrInvalid, l.Rate, l.Per)
	}
	burst := int64(l.Burst)
	if burst == 0 {
		burst = int64(l.Rate)
	}
	if burst > math.MaxInt64/interval {
		return gcra{}, fmt.Errorf("%w: burst %d of one event per %v is longer than the longest duration", ErrInvalid, burst, time.Duration(interval))
	}
	return gcra{interval: interval, offset: burst * interval}, nil
}

// Result is the outcome of one Allow call.
type Result struct {
	// Allowed reports whether the event may happen. It was counted only
	// if it was allowed.
	Allowed bool
	// Remaining is how many more events the key would allow right now
	// under the same limit; 0 when refused.
	Remaining int
	// RetryAfter is how long until the same event would be allowed, when
	// it was refused; 0 when allowed.
	RetryAfter time.Duration
}

// Limiter decides whether an event under a key may happen.
//
// Allow counts one event under key against l and reports whether it was
// allowed. A refused event is not counted, so a client that keeps trying
// does not push its own retry time back. Limits are not stored: each call
// brings its own, and every call for one key reads and moves the same
// state (its theoretical arrival time). Use one key per limit; sharing a
// key between limits is safe but makes them share one budget, each call
// judging it by its own limit (a stricter limit sees the events a looser
// one allowed).
//
// Allow returns an error wrapping ErrInvalid when l fails Validate or key
// fails ValidateKey, and an error wrapping ctx.Err() when ctx is done
// before the decision is made; a backend may also fail on its own (a
// network error). On any error the Result is the zero Result and the
// caller chooses whether to fail open or closed. Nothing is counted,
// except that a backend across a network cannot tell whether a request
// that failed in flight (a broken connection, ctx done while awaiting the
// reply) was counted.
//
// Implementations are safe for concurrent use by multiple goroutines; the
// decision for one key is atomic, so concurrent callers never get more
// than the limit allows between them. Time comes from the clock the
// backend was built with.
type Limiter interface {
	Allow(ctx context.Context, key string, l Limit) (Result, error)
}

// admit checks what every backend checks before deciding: a live context,
// a usable limit and key. It returns the limit's arithmetic.
func admit(ctx context.Context, key string, l Limit) (gcra, error) {
	if err := ctx.Err(); err != nil {
		return gcra{}, fmt.Errorf("ratelimit: %w", err)
	}
	g, err := l.gcra()
	if err != nil {
		return gcra{}, err
	}
	return g, ValidateKey(key)
}
