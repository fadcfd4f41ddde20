package phone

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/server/queue"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// Backoff bounds: the n-th failed attempt waits baseBackoff·2ⁿ⁻¹, at most
// maxBackoff, less up to a quarter of that as jitter so that messages that
// failed together do not all retry at once. Short, because a code is
// useful for minutes only (see Options.MaxAge).
const (
	baseBackoff = 10 * time.Second
	maxBackoff  = 2 * time.Minute
)

// backoff returns the wait after the attempts-th failed attempt.
func backoff(attempts int) time.Duration { return queue.Backoff(attempts, baseBackoff, maxBackoff) }

// claimed is a message reserved for this Deliver call.
type claimed struct {
	id, tenantID string
	attempts     int
	created      time.Time
	country      string
	m            Message
	err          error // why the stored message cannot be sent, if it cannot
}

// Deliver claims up to limit due messages, sends each through its
// tenant's provider outside any transaction, and records each outcome. It
// reports how many were sent and how many failed (retried later or
// failed for good).
//
// A claim is a lease: other Deliver calls, on this node or another, skip a
// claimed message until the lease expires, so a message is never sent by
// two of them at once. A temporary failure is retried with exponential
// backoff (10s, 20s, 40s … at most 2m, with jitter); a failure wrapping
// ErrPermanent, or the MaxAttempts-th failure, makes the message failed.
// A message is failed without a send, and without counting an attempt,
// when it is older than MaxAge, when its tenant's settings were deleted,
// or when they no longer allow its channel or country. A sent or failed
// message's sealed body is deleted. The returned error is about the store
// (claiming or recording), never about a send; when ctx is cancelled
// Deliver stops between sends and unsent claims return to the queue when
// their lease expires.
func (o *Outbox) Deliver(ctx context.Context, limit int) (sent, failed int, err error) {
	if limit <= 0 {
		return 0, 0, nil
	}
	batch, claim, err := o.claim(ctx, limit)
	if err != nil {
		return 0, 0, fmt.Errorf("phone: claim: %w", err)
	}
	var errs []error
	for _, c := range batch {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		out := o.send(ctx, c)
		if out.err != nil && ctx.Err() != nil {
			// Interrupted, not refused: leave the attempt unrecorded.
			errs = append(errs, ctx.Err())
			break
		}
		if err := o.record(ctx, claim, c, out); err != nil {
			errs = append(errs, fmt.Errorf("phone: record %s: %w", c.id, err))
			continue
		}
		if out.err == nil {
			sent++
		} else {
			failed++
		}
	}
	return sent, failed, errors.Join(errs...)
}

// outcome is what became of one claimed message.
type outcome struct {
	tried   bool // a provider was asked
	kind    Kind
	receipt Receipt
	err     error
}

// send routes c through its tenant's provider, unless it can no longer
// be sent.
func (o *Outbox) send(ctx context.Context, c claimed) outcome {
	if c.err != nil {
		return outcome{err: fmt.Errorf("%w: %w", ErrPermanent, c.err)}
	}
	if age := o.clk.Now().Sub(c.created); age > o.opts.MaxAge {
		return outcome{err: fmt.Errorf("%w: expired: not sent within %v", ErrPermanent, o.opts.MaxAge)}
	}
	r, err := o.settings.route(ctx, c.tenantID)
	switch {
	case errors.Is(err, ErrNotConfigured) || errors.Is(err, secrets.ErrDecrypt):
		return outcome{err: fmt.Errorf("%w: %w", ErrPermanent, err)}
	case err != nil:
		return outcome{err: err}
	case !r.allows(c.m.Channel, c.country):
		return outcome{err: fmt.Errorf("%w: the tenant's settings no longer allow this channel or country", ErrPermanent)}
	}
	p, err := r.provider(o.client, o.clk)
	if err != nil {
		return outcome{err: fmt.Errorf("%w: stored provider settings: %w", ErrPermanent, err)}
	}
	rec, err := p.Send(ctx, c.m)
	return outcome{tried: true, kind: r.kind, receipt: rec, err: err}
}

// claim leases up to limit due messages to a new claim ID in one short
// transaction and reads them back, bodies opened.
func (o *Outbox) claim(ctx context.Context, limit int) ([]claimed, string, error) {
	var out []claimed
	claim := ident.New("claim", o.clk.Now())
	err := o.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		out = nil // fn may run again after contention
		now := o.clk.Now()
		n, err := phoneQueue.Claim(ctx, tx, claim, now, o.opts.Lease, limit)
		if err != nil || n == 0 {
			return err
		}
		type stored struct {
			claimed
			to     string
			sealed []byte
		}
		rows, err := tx.Query(ctx, `SELECT id, tenant_id, attempts, created_at, channel, to_number, country, locale, body_sealed
			FROM phone_outbox WHERE claim_id = ? ORDER BY next_attempt_at, id`, claim)
		batch, err := store.Collect(rows, err, func(s store.Scanner) (stored, error) {
			var r stored
			var channel string
			err := s.Scan(&r.id, &r.tenantID, &r.attempts, &r.created, &channel, &r.to, &r.country, &r.m.Locale, &r.sealed)
			r.m.ID, r.m.Channel = r.id, Channel(channel)
			return r, err
		})
		if err != nil {
			return err
		}
		for _, r := range batch {
			c := r.claimed
			c.m.To, c.err = ParseNumber(r.to)
			if c.err == nil {
				var body []byte
				body, c.err = o.settings.sec.Open(ctx, tx, bodyBinding(c.tenantID, c.id), r.sealed)
				c.m.Body = string(body)
			}
			if c.err != nil {
				c.err = fmt.Errorf("stored message: %w", c.err)
			}
			out = append(out, c)
		}
		return nil
	})
	return out, claim, err
}

// recordTimeout bounds the recording of a send's outcome.
const recordTimeout = 30 * time.Second

// maxLastError bounds a stored last error.
const maxLastError = 300

// errLeaseLost is returned by record when the message was claimed again
// by someone else after this claim's lease expired.
var errLeaseLost = errors.New("lease expired and the message was claimed again")

// record writes the outcome of sending c under claim.
func (o *Outbox) record(ctx context.Context, claim string, c claimed, out outcome) error {
	now := o.clk.Now()
	attempts := c.attempts
	if out.tried {
		attempts++
	}
	log := o.opts.Logger.With("phone_id", c.id, "tenant_id", c.tenantID, "channel", string(c.m.Channel), "attempts", attempts)
	var query string
	var args []any
	switch {
	case out.err == nil:
		query = `UPDATE phone_outbox SET status = ?, attempts = ?, provider = ?, provider_id = ?, sent_at = ?, finished_at = ?,
			body_sealed = ?, last_error = '', claim_id = '', locked_until = NULL WHERE id = ? AND claim_id = ?`
		args = []any{string(Sent), attempts, string(out.kind), out.receipt.ProviderID, now, now, []byte{}, c.id, claim}
		log.Info("phone message sent", "provider", string(out.kind))
	case errors.Is(out.err, ErrPermanent) || attempts >= o.opts.MaxAttempts:
		query = `UPDATE phone_outbox SET status = ?, attempts = ?, finished_at = ?, body_sealed = ?,
			last_error = ?, claim_id = '', locked_until = NULL WHERE id = ? AND claim_id = ?`
		args = []any{string(Failed), attempts, now, []byte{}, summary(out.err), c.id, claim}
		log.Warn("phone message failed", "error", summary(out.err))
	default:
		next := now.Add(backoff(attempts))
		query = `UPDATE phone_outbox SET attempts = ?, next_attempt_at = ?,
			last_error = ?, claim_id = '', locked_until = NULL WHERE id = ? AND claim_id = ?`
		args = []any{attempts, next, summary(out.err), c.id, claim}
		log.Info("phone message retry", "error", summary(out.err), "next_attempt_at", next)
	}
	// The send has happened: record it even if ctx was cancelled meanwhile,
	// so that it is not repeated, but without waiting forever.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	return o.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		n, err := tx.Exec(ctx, query, args...)
		if err == nil && n == 0 {
			err = errLeaseLost
		}
		return err
	})
}

// summary is the stored form of a send error: its text, which this
// package's errors keep free of numbers, bodies and secrets, without the
// package prefixes that wrapping repeats, bounded.
func summary(err error) string {
	s := strings.ReplaceAll(err.Error(), "phone: ", "")
	if len(s) > maxLastError {
		s = strings.ToValidUTF8(s[:maxLastError], "")
	}
	return s
}

// Run calls Deliver on every tick, in batches until no due message is
// left, until ctx is done (it returns ctx's error) or ticks is closed (it
// returns nil). Errors of Deliver are logged and do not stop it.
func (o *Outbox) Run(ctx context.Context, ticks <-chan time.Time) error {
	return queue.Run(ctx, ticks, o.opts.Batch, o.opts.Logger, "phone delivery", func(ctx context.Context) (int, int, error) {
		return o.Deliver(ctx, o.opts.Batch)
	})
}
