package phone

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/queue"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// bodyPurpose binds sealed message bodies (secrets.Binding.Purpose).
const bodyPurpose = "phone.outbox-body"

// Status is where a message is in its delivery.
type Status string

// The statuses of an outbox message.
const (
	// Pending messages wait for their next attempt.
	Pending Status = "pending"
	// Sent messages were accepted by the provider; their body is gone.
	Sent Status = "sent"
	// Failed messages failed permanently, too many times, or too late to
	// be of use; they are never sent again and their body is gone.
	Failed Status = "failed"
)

// Defaults of Options.
const (
	DefaultMaxAttempts = 5
	DefaultLease       = time.Minute
	DefaultBatch       = 50
	DefaultMaxAge      = 10 * time.Minute
)

// Options tune an Outbox; zero fields take the defaults.
type Options struct {
	// MaxAttempts is how many sends are tried before a message fails.
	MaxAttempts int
	// Lease is how long a claimed message is reserved for the node that
	// claimed it. It must be longer than a send can take (the HTTP
	// client's timeout), or a slow send may be repeated by another node.
	Lease time.Duration
	// Batch is how many messages Run claims at a time.
	Batch int
	// MaxAge is how long after Enqueue a message may still be sent. A code
	// that arrives later than that has expired: the message fails instead.
	MaxAge time.Duration
	// Logger receives delivery outcomes, by message ID only.
	Logger *slog.Logger
}

// phoneQueue is the outbox table, for the claims and purges queue runs.
var phoneQueue = queue.Table{Name: "phone_outbox", Pending: string(Pending), Finished: [2]string{string(Sent), string(Failed)}}

// Outbox holds SMS and calls to make and delivers them through each
// tenant's provider. It is safe for concurrent use, and any number of
// Outbox values (on any number of nodes) may deliver from one database at
// once.
type Outbox struct {
	st       store.Store
	settings *Settings
	limiter  Limiter
	client   *http.Client
	clk      clock.Clock
	opts     Options
}

// NewOutbox returns the outbox kept in st. Enqueue checks messages
// against settings and counts them with limiter; bodies are sealed with
// the settings' secrets service. Deliver sends with client (in production
// the egress dialer's, see egress.Dialer.Client) and reads time from clk.
func NewOutbox(st store.Store, settings *Settings, limiter Limiter, client *http.Client, clk clock.Clock, opts Options) *Outbox {
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Outbox{st: st, settings: settings, limiter: limiter, client: client, clk: clk, opts: opts}
}

// Enqueue adds m (its ID is ignored) to the outbox of the tenant inside
// tx, due at once, and returns its ID ("phone_…"). Nothing is sent before
// tx commits, and nothing at all if it rolls back.
//
// In order, it refuses: invalid input, with an error holding an
// *invalid.Error per field (to, channel, body, locale, tenant_id); a
// tenant without settings (ErrNotConfigured); a channel the settings do
// not enable (ErrChannelNotAllowed); a number whose country is not in the
// allowlist (ErrCountryNotAllowed: an empty allowlist allows none); and a
// message over a cap (a *CappedError matching ErrCapped), the caps being
// counted per client address (clientIP, IPv6 by /64; the zero Addr is not
// counted), per number per hour and per day, and per tenant per day. A
// refused message writes nothing. A message that passed the caps has been
// counted even if tx later rolls back or is retried: a retried transaction
// counts it again. An error of the Limiter refuses the message.
//
// The body is stored sealed by the secrets service, never in clear.
func (o *Outbox) Enqueue(ctx context.Context, tx store.Tx, tenantID string, m Message, clientIP netip.Addr) (string, error) {
	m, err := m.validate()
	if tenantID == "" {
		err = errors.Join(invalid.Field("tenant_id", "must be set"), err)
	}
	if err != nil {
		return "", fmt.Errorf("phone: enqueue: %w", err)
	}
	set, err := o.settings.Get(ctx, tx, tenantID)
	if err != nil {
		return "", fmt.Errorf("phone: enqueue: %w", err)
	}
	if !slices.Contains(set.Channels, m.Channel) {
		return "", fmt.Errorf("phone: enqueue: %w: %s", ErrChannelNotAllowed, m.Channel)
	}
	country := m.To.Country()
	if country == "" || !slices.Contains(set.Countries, country) {
		if country == "" {
			country = "an international network"
		}
		return "", fmt.Errorf("phone: enqueue: %w: %s", ErrCountryNotAllowed, country)
	}
	if err := checkCaps(ctx, o.limiter, tenantID, m.To, clientIP, set.Caps); err != nil {
		return "", fmt.Errorf("phone: enqueue: %w", err)
	}
	now := o.clk.Now()
	id := ident.New(IDPrefix, now)
	sealed, err := o.settings.sec.Seal(bodyBinding(tenantID, id), []byte(m.Body))
	if err != nil {
		return "", fmt.Errorf("phone: enqueue: seal body: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO phone_outbox
		(id, tenant_id, channel, to_number, country, locale, body_sealed, status, attempts, created_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
		id, tenantID, string(m.Channel), m.To.String(), country, m.Locale, sealed, string(Pending), now, now)
	if err != nil {
		return "", fmt.Errorf("phone: enqueue: %w", err)
	}
	return id, nil
}

// bodyBinding is the row a sealed message body belongs to.
func bodyBinding(tenantID, id string) secrets.Binding {
	return secrets.Binding{Tenant: tenantID, Purpose: bodyPurpose, Row: id}
}

// Entry is the delivery state of one message, without its number or body.
type Entry struct {
	ID, TenantID string
	Channel      Channel
	// Country is the ISO code of the number's country.
	Country string
	Status  Status
	// Attempts is how many sends were tried.
	Attempts int
	// CreatedAt is when the message was enqueued; NextAttemptAt is when a
	// pending message is due.
	CreatedAt, NextAttemptAt time.Time
	// SentAt is set once sent; FinishedAt once sent or failed.
	SentAt, FinishedAt time.Time
	// Provider and ProviderID name the message at the provider once sent;
	// ProviderStatus is the last status its callbacks reported (see
	// RecordStatus), at ProviderStatusAt.
	Provider         Kind
	ProviderID       string
	ProviderStatus   string
	ProviderStatusAt time.Time
	// LastError summarises the last failure; it holds no number, body or
	// secret.
	LastError string
	// BodyStored tells whether the sealed body is still stored: until the
	// message is sent or has failed.
	BodyStored bool
}

// Lookup returns the delivery state of message id, or an error wrapping
// store.ErrNotFound when there is no such message (or it was purged).
func (o *Outbox) Lookup(ctx context.Context, id string) (Entry, error) {
	var e Entry
	err := o.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var channel, status, provider string
		var sent, finished, statusAt sql.NullTime
		var body []byte
		err := tx.QueryRow(ctx, `SELECT id, tenant_id, channel, country, status, attempts, created_at, next_attempt_at,
			sent_at, finished_at, provider, provider_id, provider_status, provider_status_at, last_error, body_sealed
			FROM phone_outbox WHERE id = ?`, id).Scan(&e.ID, &e.TenantID, &channel, &e.Country, &status, &e.Attempts,
			&e.CreatedAt, &e.NextAttemptAt, &sent, &finished, &provider, &e.ProviderID, &e.ProviderStatus, &statusAt,
			&e.LastError, &body)
		e.Channel, e.Status, e.Provider = Channel(channel), Status(status), Kind(provider)
		e.SentAt, e.FinishedAt, e.ProviderStatusAt = sent.Time, finished.Time, statusAt.Time
		e.BodyStored = len(body) > 0
		return err
	})
	if err != nil {
		return Entry{}, fmt.Errorf("phone: lookup %s: %w", id, err)
	}
	return e, nil
}

// maxStatusLen bounds a provider status.
const maxStatusLen = 32

// terminalStatuses are the provider statuses after which a message's
// fate is known; a later, non-terminal callback (they may arrive out of
// order) does not overwrite them.
var terminalStatuses = []string{"delivered", "undelivered", "failed", "canceled", "completed", "busy", "no-answer", "read"}

// RecordStatus records a delivery status a provider reported for the
// tenant's message it names providerID (Twilio's MessageStatus or
// CallStatus: "sent", "delivered", "undelivered", "completed", …),
// lowercased. It is for the edge's status callback endpoint, which
// authenticates the callback. A status that is not 1 to 32 letters,
// digits, hyphens and underscores, or a providerID that could not be one,
// is refused with an *invalid.Error; an unknown message returns an error
// wrapping store.ErrNotFound. A non-terminal status arriving after a
// terminal one ("sent" after "delivered") is ignored, as callbacks may
// come out of order.
func (o *Outbox) RecordStatus(ctx context.Context, tenantID, providerID, status string) error {
	status = strings.ToLower(status)
	var errs []error
	if !validID(providerID) {
		errs = append(errs, invalid.Field("provider_id", "must be 1 to %d letters, digits, hyphens and underscores", maxIDLen))
	}
	if !validID(status) || len(status) > maxStatusLen {
		errs = append(errs, invalid.Field("status", "must be 1 to %d letters, digits, hyphens and underscores", maxStatusLen))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("phone: record status: %w", err)
	}
	err := o.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		var id, current string
		err := tx.QueryRow(ctx, `SELECT id, provider_status FROM phone_outbox WHERE tenant_id = ? AND provider_id = ?`,
			tenantID, providerID).Scan(&id, &current)
		if err != nil {
			return err
		}
		if slices.Contains(terminalStatuses, current) && !slices.Contains(terminalStatuses, status) {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE phone_outbox SET provider_status = ?, provider_status_at = ? WHERE id = ?`,
			status, o.clk.Now(), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("phone: record status of %s: %w", providerID, err)
	}
	return nil
}

// Purge deletes sent and failed messages that finished more than
// retention ago, with their numbers, in transactions of at most 1000
// rows, and reports how many it deleted. Pending messages are never
// purged. retention must be positive.
func (o *Outbox) Purge(ctx context.Context, retention time.Duration) (int64, error) {
	if retention <= 0 {
		return 0, invalid.Field("retention", "must be positive")
	}
	n, err := phoneQueue.Purge(ctx, o.st, o.clk.Now().Add(-retention))
	if err != nil {
		return n, fmt.Errorf("phone: %w", err)
	}
	return n, nil
}
