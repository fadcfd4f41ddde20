package mail

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/queue"
	"github.com/lintel-id/lintel/server/store"
)

// Status is where a message is in its delivery.
type Status string

// The statuses of an outbox message.
const (
	// Pending messages wait for their next attempt.
	Pending Status = "pending"
	// Delivered messages were accepted by the mail server.
	Delivered Status = "delivered"
	// Dead messages failed permanently or too many times; they are never
	// sent again.
	Dead Status = "dead"
)

// Defaults of Options.
const (
	DefaultMaxAttempts = 8
	DefaultLease       = 10 * time.Minute
	DefaultBatch       = 50
)

// Options tune an Outbox; zero fields take the defaults.
type Options struct {
	// MaxAttempts is how many sends are tried before a message is dead.
	MaxAttempts int
	// Lease is how long a claimed message is reserved for the node that
	// claimed it. It must be longer than the sender's worst-case send
	// (the SMTP timeout), or a slow send may be repeated by another node.
	Lease time.Duration
	// Batch is how many messages Run claims at a time.
	Batch int
	// Logger receives delivery outcomes, by message ID only.
	Logger *slog.Logger
}

// mailQueue is the outbox table, for the claims and purges queue runs.
var mailQueue = queue.Table{Name: "mail_outbox", Pending: string(Pending), Finished: [2]string{string(Delivered), string(Dead)}}

// Outbox holds messages to send and delivers them. It is safe for
// concurrent use, and any number of Outbox values (on any number of nodes)
// may deliver from one database at once.
type Outbox struct {
	st   store.Store
	clk  clock.Clock
	opts Options
}

// New returns the outbox kept in st, reading time from clk.
func New(st store.Store, clk clock.Clock, opts Options) *Outbox {
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Outbox{st: st, clk: clk, opts: opts}
}

// Enqueue validates m and adds it to the outbox inside tx, due at once,
// and returns its ID ("mail_…"). Nothing is sent before tx commits, and
// nothing at all if it rolls back. Refused input returns an error holding
// an *invalid.Error per field (see invalid.All) and writes nothing.
func (o *Outbox) Enqueue(ctx context.Context, tx store.Tx, m Message) (string, error) {
	m, err := m.validate()
	if err != nil {
		return "", fmt.Errorf("mail: enqueue: %w", err)
	}
	now := o.clk.Now()
	id := ident.New(IDPrefix, now)
	_, err = tx.Exec(ctx, `INSERT INTO mail_outbox
		(id, tenant_id, kind, user_id, to_addr, from_addr, subject, body_text, body_html,
		 status, attempts, created_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
		id, m.TenantID, m.Kind, m.UserID, m.To, m.From, m.Subject, m.Text, m.HTML,
		string(Pending), now, now)
	if err != nil {
		return "", fmt.Errorf("mail: enqueue: %w", err)
	}
	return id, nil
}

// Entry is the delivery state of one message, without its personal data.
type Entry struct {
	ID, TenantID, Kind, UserID string
	Status                     Status
	// Attempts is how many sends were tried.
	Attempts int
	// CreatedAt is when the message was enqueued; NextAttemptAt is when a
	// pending message is due.
	CreatedAt, NextAttemptAt time.Time
	// DeliveredAt is set once delivered; FinishedAt once delivered or dead.
	DeliveredAt, FinishedAt time.Time
	// LastError summarises the last failure; it holds no personal data.
	LastError string
}

// Lookup returns the delivery state of message id, or an error wrapping
// store.ErrNotFound when there is no such message (or it was purged).
func (o *Outbox) Lookup(ctx context.Context, id string) (Entry, error) {
	var e Entry
	err := o.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var status string
		var delivered, finished sql.NullTime
		err := tx.QueryRow(ctx, `SELECT id, tenant_id, kind, user_id, status, attempts,
			created_at, next_attempt_at, delivered_at, finished_at, last_error
			FROM mail_outbox WHERE id = ?`, id).Scan(&e.ID, &e.TenantID, &e.Kind, &e.UserID,
			&status, &e.Attempts, &e.CreatedAt, &e.NextAttemptAt, &delivered, &finished, &e.LastError)
		e.Status, e.DeliveredAt, e.FinishedAt = Status(status), delivered.Time, finished.Time
		return err
	})
	if err != nil {
		return Entry{}, fmt.Errorf("mail: lookup %s: %w", id, err)
	}
	return e, nil
}

// Purge deletes delivered and dead messages that finished more than
// retention ago, with their addresses and bodies, in transactions of at
// most 1000 rows, and reports how many it deleted. Pending messages are
// never purged. retention must be positive.
func (o *Outbox) Purge(ctx context.Context, retention time.Duration) (int64, error) {
	if retention <= 0 {
		return 0, invalid.Field("retention", "must be positive")
	}
	n, err := mailQueue.Purge(ctx, o.st, o.clk.Now().Add(-retention))
	if err != nil {
		return n, fmt.Errorf("mail: %w", err)
	}
	return n, nil
}
