// Package eventhooks delivers a tenant's system log to its own HTTPS
// endpoints: event hooks, subscriptions by event type.
//
// DESIGN places event hooks under server/hooks beside the inline hooks;
// they live in this sibling package instead, because they share nothing
// with inline hooks but the request signature (internal/hooksig) and were
// built at the same time by someone else: the two stay separate to review
// and to change.
//
// A hook is created unverified with a signing secret ("lev_…", shown
// once, sealed at rest by the secrets service). Verify sends a signed
// challenge to its URL; once the receiver echoes it, the hook is active.
// Only active hooks get deliveries.
//
// Delivery is at least once, from an outbox:
//
//   - Enqueue reads each active hook's tenant's events after the hook's
//     cursor (events.Log.Query), and in one transaction per page inserts a
//     delivery per matching event (at most one per hook and event) and
//     moves the cursor. The log itself is written in the transaction of
//     each change, so a crash loses nothing: the next Enqueue resumes at
//     the cursor.
//   - RunOnce claims due deliveries under a lease (server/queue), POSTs
//     each signed body, and records the outcome in one transaction: 2xx is
//     delivered; anything else is retried with exponential backoff, and
//     after MaxAttempts the delivery is dead (listed by DeadLetters, sent
//     again by Redeliver).
//
// A crash, or a lost answer, after a receiver accepted a delivery and
// before the outcome is recorded sends it again: receivers dedupe by the
// Lintel-Event-Id header. docs/event-hooks.md is the receiver's guide.
//
// What leaves Lintel is the event's pseudonymous part only: ID, type,
// time, tenant, actor and target (by opaque ID), outcome and details
// (non-personal by the log's contract). The event's personal details,
// although the log opens them for its reader, are never sent, nor its
// subject: the log is pseudonymous and so are its copies.
package eventhooks

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/queue"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrNotFound is a hook or delivery that does not exist for the
	// tenant; it also wraps store.ErrNotFound, which the management API
	// maps to 404.
	ErrNotFound = errors.New("eventhooks: not found")
	// ErrVerification is a verification handshake the receiver did not
	// complete: no answer, not 200, or not the challenge echoed.
	ErrVerification = errors.New("eventhooks: endpoint did not verify")
	// ErrDisabled is an operation that needs a hook that is not disabled.
	ErrDisabled = errors.New("eventhooks: hook is disabled")
	// ErrNotDead is a Redeliver of a delivery that is not dead.
	ErrNotDead = errors.New("eventhooks: delivery is not dead")
)

// ID prefixes (see internal/ident).
const (
	// HookIDPrefix begins hook IDs ("evh_…").
	HookIDPrefix = "evh"
	// DeliveryIDPrefix begins delivery IDs ("evd_…").
	DeliveryIDPrefix = "evd"
)

// SendTimeout bounds one request to a receiver, the handshake included.
const SendTimeout = 10 * time.Second

// Defaults of Options.
const (
	DefaultMaxAttempts   = 10
	DefaultBaseBackoff   = 30 * time.Second
	DefaultMaxBackoff    = time.Hour
	DefaultLease         = 5 * time.Minute
	DefaultBatch         = 50
	DefaultConcurrency   = 4
	DefaultSettle        = 5 * time.Second
	DefaultRotationGrace = 24 * time.Hour
)

// Deps are what a Service works with.
type Deps struct {
	// Store keeps hooks and deliveries.
	Store store.Store
	// Secrets seals the signing secrets.
	Secrets *secrets.Service
	// Events is the system log deliveries come from.
	Events *events.Log
	// Clock gives the time of attempts, backoff and signatures.
	Clock clock.Clock
	// Logger receives delivery outcomes by ID, never secrets or bodies;
	// nil discards them.
	Logger *slog.Logger
	// HTTP is the egress client (internal/egress), which refuses
	// internal addresses at dial time. Redirects are never followed: a
	// 3xx answer is a failure.
	HTTP *http.Client
}

// Options tune a Service; zero fields take the defaults.
type Options struct {
	// MaxAttempts is how many failed attempts make a delivery dead.
	MaxAttempts int
	// BaseBackoff and MaxBackoff bound the wait after a failed attempt:
	// BaseBackoff·2ⁿ⁻¹ after the n-th, at most MaxBackoff, less up to a
	// quarter of jitter (queue.Backoff).
	BaseBackoff, MaxBackoff time.Duration
	// Lease is how long a claimed delivery is reserved for the worker
	// that claimed it; it must be longer than SendTimeout. A delivery
	// whose lease would end before its send could time out is not sent
	// by that worker, so no two workers send one delivery at once.
	Lease time.Duration
	// Batch is how many deliveries one RunOnce claims.
	Batch int
	// Concurrency is how many requests one RunOnce has in flight.
	Concurrency int
	// Settle is how old an event must be before Enqueue reads it. An
	// event's ID carries the time it was stamped, and its transaction
	// commits a little later; reading only events older than Settle keeps
	// the cursor from passing an event whose transaction had not yet
	// committed (or another node's slightly slow clock).
	Settle time.Duration
	// RotationGrace is how long the previous secret still signs after
	// RotateSecret, beside the new one, so receivers can switch.
	RotationGrace time.Duration
	// AllowInsecureLoopback accepts URLs whose host is loopback (and
	// http:// for them). For tests only: production hooks are https to
	// public addresses.
	AllowInsecureLoopback bool
}

// deliveryQueue is the outbox table, for claims and purges.
var deliveryQueue = queue.Table{Name: "event_deliveries", Pending: string(Pending),
	Finished: [2]string{string(Delivered), string(Dead)}}

// Service manages event hooks and delivers to them. It is safe for
// concurrent use, and any number of Services (on any number of nodes)
// may enqueue and deliver from one database at once.
type Service struct {
	st   store.Store
	sec  *secrets.Service
	log  *events.Log
	clk  clock.Clock
	lg   *slog.Logger
	http *http.Client
	opts Options
}

// New returns a Service over d. Store, Secrets, Events and HTTP are
// required; Clock defaults to the system clock.
func New(d Deps, o Options) (*Service, error) {
	if d.Store == nil || d.Secrets == nil || d.Events == nil || d.HTTP == nil {
		return nil, errors.New("eventhooks: Store, Secrets, Events and HTTP are required")
	}
	if d.Clock == nil {
		d.Clock = clock.System()
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	defaults := []struct {
		v *time.Duration
		d time.Duration
	}{
		{&o.BaseBackoff, DefaultBaseBackoff}, {&o.MaxBackoff, DefaultMaxBackoff}, {&o.Lease, DefaultLease},
		{&o.Settle, DefaultSettle}, {&o.RotationGrace, DefaultRotationGrace},
	}
	for _, x := range defaults {
		if *x.v <= 0 {
			*x.v = x.d
		}
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Lease <= SendTimeout {
		return nil, fmt.Errorf("eventhooks: Lease %s must be longer than the send timeout %s", o.Lease, SendTimeout)
	}
	// Copy the client: redirects are not followed, so a signed request
	// never goes anywhere but the verified URL.
	hc := *d.HTTP
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Service{st: d.Store, sec: d.Secrets, log: d.Events, clk: d.Clock, lg: d.Logger, http: &hc, opts: o}, nil
}

// now is the current time as the store reads it back.
func (s *Service) now() time.Time { return s.clk.Now().UTC().Truncate(time.Microsecond) }

// notFound wraps ErrNotFound and store.ErrNotFound with what was looked
// for.
func notFound(what, id string) error {
	return fmt.Errorf("%w: %w: %s %q", ErrNotFound, store.ErrNotFound, what, id)
}
