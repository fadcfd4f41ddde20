// Package logstream streams the system log to customers' webhooks for
// SIEM ingestion: the streams a tenant (or the instance) configures, kept
// in the log_streams table, and the runner that follows each active one
// with events.Stream, POSTing signed batches and saving the cursor in the
// stream's row once the receiver accepted them.
//
// It also holds FileCursor, the cursor `lintel events tail` keeps in a
// file.
//
// Delivery is at least once: a batch the receiver did not accept (an
// error, a status other than 2xx, a timeout) is sent again, with the
// events that followed it, until it is accepted. Receivers drop duplicates
// by event ID. Events are pseudonymous unless the stream asks for their
// personal details.
package logstream

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrNotFound is a stream that does not exist or belongs to another
	// tenant. It also wraps store.ErrNotFound (the management API's 404).
	ErrNotFound = errors.New("logstream: not found")
	// ErrTooMany is a tenant (or the instance) at MaxStreams.
	ErrTooMany = errors.New("logstream: too many log streams")
)

// MaxStreams is how many streams one tenant, or the instance, may have:
// each is a goroutine and a query of the log at every tick.
const MaxStreams = 10

// Kind is how a stream delivers.
type Kind string

// KindWebhook POSTs batches of events as a JSON array.
const KindWebhook Kind = "webhook"

// Status says whether a stream runs.
type Status string

// The statuses of a stream.
const (
	// Active streams are followed by Run.
	Active Status = "active"
	// Disabled streams keep their cursor and resume where they stopped
	// when made active again.
	Disabled Status = "disabled"
)

// Stream is a configured log stream. Its secret is never part of it: it
// is shown once by Create.
type Stream struct {
	ID string
	// TenantID is the tenant whose events the stream carries; "" for an
	// instance-wide stream, which carries every tenant's events and the
	// instance's own.
	TenantID string
	Name     string
	Kind     Kind
	// URL is where batches are POSTed.
	URL string
	// Types are event type patterns as events.Query takes them; empty
	// means every type.
	Types []string
	// Personal sends events with their personal details opened; without
	// it they are pseudonymous (personal is null).
	Personal bool
	Status   Status
	// Cursor is the ID of the last event the receiver accepted (or a
	// position made by events.CursorAt); "" before the first.
	Cursor string
	// LastError is the last delivery failure, "" once delivery succeeds
	// again. It holds no secret, URL or body.
	LastError string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Input describes a stream to create, or the whole new state of one
// (Update replaces every field).
type Input struct {
	Name string
	// URL must be https; http only with Deps.AllowInsecureLoopback and a
	// loopback host.
	URL      string
	Types    []string
	Personal bool
	// Status is Active when empty.
	Status Status
}

// Deps are what a Service needs. Secrets and Clock are required; Run also
// needs Store, Events and HTTP.
type Deps struct {
	// Secrets seals the streams' signing secrets.
	Secrets *secrets.Service
	// Clock stamps rows and signatures.
	Clock clock.Clock
	// Store is the database Run reads streams from and saves cursors to.
	Store store.Store
	// Events is the system log Run follows.
	Events *events.Log
	// HTTP is the egress client (internal/egress) batches are POSTed
	// through; its dialer refuses internal addresses.
	HTTP *http.Client
	// Logger receives delivery failures (never secrets or URLs); nil
	// discards them.
	Logger *slog.Logger
	// Settle is events.StreamOptions.Settle (events.DefaultSettle when
	// zero).
	Settle time.Duration
	// AllowInsecureLoopback accepts http URLs whose host is loopback
	// (development and tests); https is required otherwise.
	AllowInsecureLoopback bool
	// Webhook tunes delivery (timeouts, retries); its URL, Secret, Client,
	// Clock and Personal are set per stream.
	Webhook WebhookOptions
}

// Service keeps the log streams and runs them. It is safe for concurrent
// use.
type Service struct {
	d Deps
}

// New returns a Service, checking the required Deps.
func New(d Deps) (*Service, error) {
	if d.Secrets == nil || d.Clock == nil {
		return nil, fmt.Errorf("logstream: Deps.Secrets and Deps.Clock are required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{d: d}, nil
}
