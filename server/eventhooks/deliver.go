package eventhooks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/server/queue"
	"github.com/lintel-id/lintel/server/store"
)

// DeliveryStatus is where a delivery is.
type DeliveryStatus string

// The statuses of a delivery.
const (
	// Pending deliveries wait for their next attempt.
	Pending DeliveryStatus = "pending"
	// Delivered deliveries were answered 2xx.
	Delivered DeliveryStatus = "delivered"
	// Dead deliveries failed MaxAttempts times; only Redeliver sends
	// them again.
	Dead DeliveryStatus = "dead"
)

// claimed is a delivery reserved for one RunOnce, with what sending it
// needs.
type claimed struct {
	id, eventID string
	attempts    int
	payload     []byte
	hook        Hook
	keys        [][]byte
	// keyErr is why the hook's secret did not open; the attempt fails.
	keyErr error
}

// RunOnce claims up to Options.Batch due deliveries, sends them (at most
// Options.Concurrency at a time) outside any transaction, records each
// outcome, and reports how many were delivered. It does not read the log:
// Enqueue does, and Run does both.
//
// A delivery answered 2xx is marked delivered in the transaction that
// records the attempt. Any other answer, a redirect, no answer within
// SendTimeout or a refused connection is a failed attempt, retried after
// queue.Backoff(attempts, BaseBackoff, MaxBackoff); the MaxAttempts-th
// failure makes it dead. Deliveries of a hook that is not active wait,
// counting no attempt, until it is active again.
//
// A claim is a lease: other workers, on this node or another, skip a
// claimed delivery until its lease ends, and a worker does not send a
// delivery whose lease would end before the send could time out, so one
// delivery is never in flight twice. A crash after the receiver's answer
// and before the outcome is recorded sends it again once the lease ends
// (at least once: receivers dedupe by event ID). The returned error is
// about the store, never about a receiver; when ctx is cancelled RunOnce
// stops starting sends, and unsent claims return to the queue when their
// lease ends.
func (s *Service) RunOnce(ctx context.Context) (int, error) {
	sent, _, err := s.deliver(ctx)
	return sent, err
}

// Run enqueues and delivers on every tick, again at once while a whole
// batch went out, until ctx is done (it returns ctx's error) or tick is
// closed (it returns nil). Errors are logged and do not stop it.
func (s *Service) Run(ctx context.Context, tick <-chan time.Time) error {
	return queue.Run(ctx, tick, s.opts.Batch, s.lg, "event hook delivery", func(ctx context.Context) (int, int, error) {
		if _, err := s.Enqueue(ctx); err != nil && ctx.Err() == nil {
			s.lg.Error("event hook enqueue", "error", err)
		}
		return s.deliver(ctx)
	})
}

// deliver is RunOnce, also reporting the failed attempts.
func (s *Service) deliver(ctx context.Context) (sent, failed int, err error) {
	batch, claim, err := s.claim(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("eventhooks: claim: %w", err)
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	sem := make(chan struct{}, s.opts.Concurrency)
	for _, c := range batch.deliveries {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			mu.Lock()
			errs = append(errs, ctx.Err())
			mu.Unlock()
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ok, tried, err := s.deliverOne(ctx, claim, batch.leaseEnd, c)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err)
			case ok:
				sent++
			case tried:
				failed++
			}
		}()
	}
	wg.Wait()
	return sent, failed, errors.Join(errs...)
}

// claimedBatch is what one claim reserved, and until when.
type claimedBatch struct {
	deliveries []claimed
	leaseEnd   time.Time
}

// claim leases due deliveries to a new claim ID in one short transaction
// and reads them back with their hooks' URLs, statuses and secrets.
func (s *Service) claim(ctx context.Context) (claimedBatch, string, error) {
	var b claimedBatch
	claim := ident.New("claim", s.clk.Now())
	err := s.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		b = claimedBatch{} // fn may run again after contention
		now := s.clk.Now()
		b.leaseEnd = now.Add(s.opts.Lease)
		n, err := deliveryQueue.Claim(ctx, tx, claim, now, s.opts.Lease, s.opts.Batch)
		if err != nil || n == 0 {
			return err
		}
		type row struct {
			c  claimed
			ss sealedSecrets
		}
		rows, err := tx.Query(ctx, `SELECT d.id, d.event_id, d.attempts, d.payload,
			h.id, h.tenant_id, h.url, h.status, h.secret_sealed, h.previous_secret_sealed, h.previous_secret_until
			FROM event_deliveries d JOIN event_hooks h ON h.id = d.hook_id
			WHERE d.claim_id = ? ORDER BY d.next_attempt_at, d.id`, claim)
		got, err := store.Collect(rows, err, func(r store.Scanner) (row, error) {
			var x row
			var status string
			var until sql.NullTime
			err := r.Scan(&x.c.id, &x.c.eventID, &x.c.attempts, &x.c.payload,
				&x.c.hook.ID, &x.c.hook.TenantID, &x.c.hook.URL, &status, &x.ss.current, &x.ss.previous, &until)
			x.c.hook.Status, x.ss.until = Status(status), until.Time
			return x, err
		})
		if err != nil {
			return err
		}
		// Each hook's secrets are opened once per batch.
		keys := map[string][][]byte{}
		keyErrs := map[string]error{}
		for _, x := range got {
			h := x.c.hook
			if _, done := keys[h.ID]; !done && h.Status == Active {
				k, err := s.open(ctx, tx, h, x.ss, now)
				keys[h.ID], keyErrs[h.ID] = k, err
			}
			x.c.keys, x.c.keyErr = keys[h.ID], keyErrs[h.ID]
			b.deliveries = append(b.deliveries, x.c)
		}
		return nil
	})
	return b, claim, err
}

// deliverOne sends one claimed delivery and records the outcome. ok is a
// 2xx answer; tried is an attempt made (and recorded).
func (s *Service) deliverOne(ctx context.Context, claim string, leaseEnd time.Time, c claimed) (ok, tried bool, err error) {
	if c.hook.Status != Active {
		return false, false, s.record(ctx, claim, c, outcome{wait: true})
	}
	if s.clk.Now().Add(SendTimeout).After(leaseEnd) {
		// The lease could end while the request is in flight, and another
		// worker could then send it too: leave it to the next claim.
		return false, false, nil
	}
	var o outcome
	if c.keyErr != nil {
		o.err = errors.New("the hook's signing secret does not open")
		s.lg.Error("event hook secret", "hook_id", c.hook.ID, "tenant_id", c.hook.TenantID, "error", c.keyErr)
	} else {
		o.status, _, o.err = s.post(ctx, c.hook.URL, c.payload, c.keys, map[string]string{
			EventIDHeader:    c.eventID,
			HookIDHeader:     c.hook.ID,
			DeliveryIDHeader: c.id,
			AttemptHeader:    strconv.Itoa(c.attempts + 1),
		})
		if o.err != nil && ctx.Err() != nil {
			// Interrupted, not refused: leave the attempt uncounted.
			return false, false, nil
		}
	}
	if err := s.record(ctx, claim, c, o); err != nil {
		return false, false, err
	}
	return o.delivered(), true, nil
}

// outcome is how an attempt ended.
type outcome struct {
	// wait is no attempt: the hook is not active.
	wait bool
	// status is the HTTP status answered, 0 when none.
	status int
	// err is why no answer came.
	err error
}

func (o outcome) delivered() bool { return o.err == nil && o.status >= 200 && o.status < 300 }

// summary is what last_error keeps of a failed attempt.
func (o outcome) summary() string {
	if o.err != nil {
		return o.err.Error()
	}
	return fmt.Sprintf("answered HTTP %d", o.status)
}

// recordTimeout bounds the recording of an attempt.
const recordTimeout = 30 * time.Second

// errLeaseLost is returned by record when the delivery was claimed again
// by someone else after this claim's lease ended, or deleted with its
// hook.
var errLeaseLost = errors.New("lease ended and the delivery was claimed again or deleted")

// record writes the outcome of an attempt on c under claim, in one
// transaction: marking it delivered is the recording of the attempt.
func (s *Service) record(ctx context.Context, claim string, c claimed, o outcome) error {
	now := s.now()
	attempts := c.attempts + 1
	log := s.lg.With("delivery_id", c.id, "hook_id", c.hook.ID, "tenant_id", c.hook.TenantID, "event_id", c.eventID)
	var query string
	var args []any
	switch {
	case o.wait:
		next := now.Add(s.opts.MaxBackoff)
		query = `UPDATE event_deliveries SET next_attempt_at = ?, claim_id = '', locked_until = NULL
			WHERE id = ? AND claim_id = ?`
		args = []any{next, c.id, claim}
	case o.delivered():
		query = `UPDATE event_deliveries SET status = ?, attempts = ?, last_status = ?, last_error = '',
			delivered_at = ?, finished_at = ?, claim_id = '', locked_until = NULL WHERE id = ? AND claim_id = ?`
		args = []any{string(Delivered), attempts, o.status, now, now, c.id, claim}
		log.Info("event delivered", "attempts", attempts, "status", o.status)
	case attempts >= s.opts.MaxAttempts:
		query = `UPDATE event_deliveries SET status = ?, attempts = ?, last_status = ?, last_error = ?,
			finished_at = ?, claim_id = '', locked_until = NULL WHERE id = ? AND claim_id = ?`
		args = []any{string(Dead), attempts, o.status, o.summary(), now, c.id, claim}
		log.Warn("event delivery dead", "attempts", attempts, "error", o.summary())
	default:
		next := now.Add(queue.Backoff(attempts, s.opts.BaseBackoff, s.opts.MaxBackoff))
		query = `UPDATE event_deliveries SET attempts = ?, next_attempt_at = ?, last_status = ?, last_error = ?,
			claim_id = '', locked_until = NULL WHERE id = ? AND claim_id = ?`
		args = []any{attempts, next, o.status, o.summary(), c.id, claim}
		log.Info("event delivery retry", "attempts", attempts, "error", o.summary(), "next_attempt_at", next)
	}
	// The attempt has happened: record it even if ctx was cancelled
	// meanwhile, so that it is not repeated, but without waiting forever.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	err := s.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		n, err := tx.Exec(ctx, query, args...)
		if err == nil && n == 0 {
			err = errLeaseLost
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("eventhooks: record %s: %w", c.id, err)
	}
	return nil
}

// maxSummary bounds a failure's summary, in bytes.
const maxSummary = 200

// summary describes a failed exchange without its URL (which may carry a
// token of the receiver's in its query) and at most maxSummary bytes.
func summary(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		msg = fmt.Sprintf("no answer within %s", SendTimeout)
	}
	if len(msg) > maxSummary {
		msg = strings.ToValidUTF8(msg[:maxSummary], "")
	}
	return msg
}
