// Package events is Lintel's system log: an append-only record of every
// management change and sign-in step, queried by tenant, time, type and
// actor, exported as JSON Lines and purged after the retention period.
//
// The log is pseudonymous. Events name actors, targets and subjects by
// opaque ID only; personal data about a person (an email address, an IP
// address, a name) goes in Event.Personal, which is sealed with AES-256-GCM
// under a key of that person (the subject) before it reaches the store.
// Subject keys are themselves sealed by the secrets service. EraseSubject
// destroys a subject's key: every event about them stays in the log, but
// their personal details can no longer be read.
//
// Events are written inside the caller's transaction (Append), so a change
// and the event recording it commit or roll back together.
package events

import (
	"errors"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// IDPrefix is the prefix of event IDs ("evt_…", see internal/ident).
const IDPrefix = "evt"

// ErrUnreadable is returned when the sealed personal details of an event
// exist, the subject's key exists, and yet they do not open: the stored
// row was altered or its details were copied from another event. It is a
// sign of tampering with the log and is never reported as an erasure.
var ErrUnreadable = errors.New("events: personal details of an event do not open")

// Ref names an actor or a target by type and opaque ID only, for example
// {"mgmt_token", "tok_…"}, {"app", "app_…"} or {"system", ""}.
type Ref struct {
	// Type is a lowercase word: "user", "app", "mgmt_token", "system".
	Type string
	// ID is the opaque ID of the thing; empty for the system itself.
	ID string
}

// Outcome says how the recorded action ended.
type Outcome string

// The outcomes an event may carry.
const (
	// Success means the action took effect.
	Success Outcome = "success"
	// Failure means the action was attempted and failed (bad input, an
	// upstream error, a wrong password).
	Failure Outcome = "failure"
	// Denied means the action was refused by an authorization check or a
	// policy.
	Denied Outcome = "denied"
)

// valid reports whether o is one of the defined outcomes.
func (o Outcome) valid() bool { return o == Success || o == Failure || o == Denied }

// Event is one entry of the system log.
type Event struct {
	// ID is "evt_" and a time-ordered opaque ID; Append fills it when empty.
	ID string
	// Time is when the action happened, in UTC at microsecond precision;
	// Append fills it from the clock when zero.
	Time time.Time
	// Type is lowercase and dotted: "app.created", "tenant.updated".
	Type string
	// TenantID is the tenant the event belongs to; "" for instance-wide
	// events (seen only by queries over all tenants).
	TenantID string
	// Actor is who did it.
	Actor Ref
	// Target is what it was done to; zero when there is no single target.
	Target Ref
	// Outcome is how it ended.
	Outcome Outcome
	// RequestID ties the event to the request that caused it.
	RequestID string
	// Details are non-personal facts: names of changed fields, counts.
	// They are stored in plaintext and must never hold personal data. They
	// read back as decoded JSON: numbers as float64, arrays as []any.
	Details map[string]any
	// Subject is the opaque ID of the person Personal is about; "" when
	// the event holds no personal data.
	Subject string
	// Personal is personal data about Subject (email, IP address, name),
	// sealed under Subject's key. It may only be set with Subject.
	Personal map[string]string
	// Erased is set on read when Subject has been erased: Personal, if the
	// event had any, can no longer be read and is nil.
	Erased bool
}

// Log appends to, reads, exports and purges the system log. It is safe
// for concurrent use. It keeps no keys in memory: subject keys are read
// through the transaction of each call, so a key created in a transaction
// that rolls back is never used again.
type Log struct {
	st  store.Store
	sec *secrets.Service
	clk clock.Clock
}

// New returns the system log kept in st. sec seals the subject keys; clk
// stamps events whose time is not given.
func New(st store.Store, sec *secrets.Service, clk clock.Clock) *Log {
	return &Log{st: st, sec: sec, clk: clk}
}
