package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/server/queue"
	"github.com/lintel-id/lintel/server/store"
)

// Backoff bounds: the n-th failed attempt waits baseBackoff·2ⁿ⁻¹, at most
// maxBackoff, less up to a quarter of that as jitter so that messages that
// failed together do not all retry at once.
const (
	baseBackoff = time.Minute
	maxBackoff  = time.Hour
)

// backoff returns the wait after the attempts-th failed attempt.
func backoff(attempts int) time.Duration { return queue.Backoff(attempts, baseBackoff, maxBackoff) }

// claimed is a message reserved for this Deliver call.
type claimed struct {
	id       string
	attempts int
	m        Message
}

// Deliver claims up to limit due messages, sends each with sender outside
// any transaction, and records each outcome. It reports how many were
// delivered and how many failed (retried later or dead).
//
// A claim is a lease: other Deliver calls, on this node or another, skip a
// claimed message until the lease expires, so a message is never sent by
// two of them at once. A failed send is retried with exponential backoff
// (1m, 2m, 4m … at most 1h, with jitter); a send failing with ErrPermanent,
// or the MaxAttempts-th failure, makes the message dead. A send failing
// with ErrNotConfigured counts no attempt: the message is tried again
// after NotConfiguredWait, for as long as it takes. The returned error
// is about the store (claiming or recording), never about a send; when ctx
// is cancelled Deliver stops between sends and unsent claims return to the
// queue when their lease expires.
func (o *Outbox) Deliver(ctx context.Context, sender Sender, limit int) (sent, failed int, err error) {
	if limit <= 0 {
		return 0, 0, nil
	}
	batch, claim, err := o.claim(ctx, limit)
	if err != nil {
		return 0, 0, fmt.Errorf("mail: claim: %w", err)
	}
	var errs []error
	for _, c := range batch {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		sendErr := sender.Send(ctx, c.m)
		if sendErr != nil && ctx.Err() != nil {
			// Interrupted, not refused: leave the attempt uncounted.
			errs = append(errs, ctx.Err())
			break
		}
		if err := o.record(ctx, claim, c, sendErr); err != nil {
			errs = append(errs, fmt.Errorf("mail: record %s: %w", c.id, err))
			continue
		}
		if sendErr == nil {
			sent++
		} else {
			failed++
		}
	}
	return sent, failed, errors.Join(errs...)
}

// claim leases up to limit due messages to a new claim ID in one short
// transaction and reads them back.
func (o *Outbox) claim(ctx context.Context, limit int) ([]claimed, string, error) {
	var out []claimed
	claim := ident.New("claim", o.clk.Now())
	err := o.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		out = nil // fn may run again after contention
		now := o.clk.Now()
		n, err := mailQueue.Claim(ctx, tx, claim, now, o.opts.Lease, limit)
		if err != nil || n == 0 {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, attempts, tenant_id, kind, user_id,
			to_addr, from_addr, subject, body_text, body_html
			FROM mail_outbox WHERE claim_id = ? ORDER BY next_attempt_at, id`, claim)
		out, err = store.Collect(rows, err, func(s store.Scanner) (claimed, error) {
			var c claimed
			err := s.Scan(&c.id, &c.attempts, &c.m.TenantID, &c.m.Kind, &c.m.UserID,
				&c.m.To, &c.m.From, &c.m.Subject, &c.m.Text, &c.m.HTML)
			c.m.MessageID = messageID(c.id, c.m.From)
			return c, err
		})
		return err
	})
	return out, claim, err
}

// messageID makes the stable Message-ID of a message: its outbox ID at the
// domain of its sender.
func messageID(id, from string) string {
	domain := "lintel.invalid"
	if a, err := mail.ParseAddress(from); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok && d != "" {
			domain = d
		}
	}
	return id + "@" + domain
}

// recordTimeout bounds the recording of a send's outcome.
const recordTimeout = 30 * time.Second

// NotConfiguredWait is how long a message whose tenant has no relay (and
// the instance none) waits before it is tried again. Such tries are not
// counted as attempts: the message waits, never dies, until a relay is
// configured.
const NotConfiguredWait = 5 * time.Minute

// errLeaseLost is returned by record when the message was claimed again
// by someone else after this claim's lease expired.
var errLeaseLost = errors.New("lease expired and the message was claimed again")

// record writes the outcome of sending c under claim.
func (o *Outbox) record(ctx context.Context, claim string, c claimed, sendErr error) error {
	now := o.clk.Now()
	attempts := c.attempts + 1
	if errors.Is(sendErr, ErrNotConfigured) {
		attempts = c.attempts // nothing was tried
	}
	log := o.opts.Logger.With("mail_id", c.id, "tenant_id", c.m.TenantID, "kind", c.m.Kind, "attempts", attempts)
	var query string
	var args []any
	switch {
	case errors.Is(sendErr, ErrNotConfigured):
		next := now.Add(NotConfiguredWait)
		query = `UPDATE mail_outbox SET next_attempt_at = ?,
			last_error = ?, claim_id = '', locked_until = NULL WHERE id = ? AND claim_id = ?`
		args = []any{next, summary(sendErr), c.id, claim}
		log.Warn("mail waits for an SMTP relay", "error", summary(sendErr), "next_attempt_at", next)
	case sendErr == nil:
		query = `UPDATE mail_outbox SET status = ?, attempts = ?, delivered_at = ?, finished_at = ?,
			last_error = '', claim_id = '', locked_until = NULL WHERE id = ? AND claim_id = ?`
		args = []any{string(Delivered), attempts, now, now, c.id, claim}
		log.Info("mail delivered")
	case errors.Is(sendErr, ErrPermanent) || attempts >= o.opts.MaxAttempts:
		query = `UPDATE mail_outbox SET status = ?, attempts = ?, finished_at = ?,
			last_error = ?, claim_id = '', locked_until = NULL WHERE id = ? AND claim_id = ?`
		args = []any{string(Dead), attempts, now, summary(sendErr), c.id, claim}
		log.Warn("mail dead", "error", summary(sendErr))
	default:
		next := now.Add(backoff(attempts))
		query = `UPDATE mail_outbox SET attempts = ?, next_attempt_at = ?,
			last_error = ?, claim_id = '', locked_until = NULL WHERE id = ? AND claim_id = ?`
		args = []any{attempts, next, summary(sendErr), c.id, claim}
		log.Info("mail retry", "error", summary(sendErr), "next_attempt_at", next)
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

// Run calls Deliver on every tick, in batches until no due message is
// left, until ctx is done (it returns ctx's error) or ticks is closed (it
// returns nil). Errors of Deliver are logged and do not stop it.
func (o *Outbox) Run(ctx context.Context, sender Sender, ticks <-chan time.Time) error {
	return queue.Run(ctx, ticks, o.opts.Batch, o.opts.Logger, "mail delivery", func(ctx context.Context) (int, int, error) {
		return o.Deliver(ctx, sender, o.opts.Batch)
	})
}
