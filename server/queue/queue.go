// Package queue holds what the outboxes (mail, texts and calls) share: a
// table of messages due at a time, claimed by a delivery worker under a
// lease so that no two workers (on one node or many) send the same one,
// retried with backoff, and purged once finished.
//
// A queue table has at least the columns id, status, next_attempt_at,
// claim_id, locked_until and finished_at.
package queue

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// Table is a queue table. Its fields are constants of the code that owns
// the table, never input.
type Table struct {
	// Name is the table's name.
	Name string
	// Pending is the status of messages waiting to be sent.
	Pending string
	// Finished are the statuses of messages that will never be sent
	// again (sent, failed for good).
	Finished [2]string
}

// Claim leases up to limit pending messages due at now to claimID until
// now+lease, in tx, and reports how many it claimed: the oldest due
// first, skipping those another claim holds whose lease has not expired.
// The caller reads the claimed rows back by claim_id in the same
// transaction.
func (t Table) Claim(ctx context.Context, tx store.Tx, claimID string, now time.Time, lease time.Duration, limit int) (int64, error) {
	return tx.Exec(ctx, `UPDATE `+t.Name+` SET claim_id = ?, locked_until = ?
		WHERE id IN (SELECT id FROM `+t.Name+`
			WHERE status = ? AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until < ?)
			ORDER BY next_attempt_at, id LIMIT ?)`,
		claimID, now.Add(lease), t.Pending, now, now, limit)
}

// purgeBatch is how many messages one purge transaction deletes.
const purgeBatch = 1000

// Purge deletes finished messages that finished before before, in
// transactions of at most 1000 rows, and reports how many it deleted.
// Pending messages are never purged.
func (t Table) Purge(ctx context.Context, st store.Store, before time.Time) (int64, error) {
	var total int64
	for {
		var n int64
		err := st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
			var err error
			n, err = tx.Exec(ctx, `DELETE FROM `+t.Name+` WHERE id IN (
				SELECT id FROM `+t.Name+` WHERE finished_at < ? AND status IN (?, ?)
				ORDER BY finished_at LIMIT ?)`, before, t.Finished[0], t.Finished[1], purgeBatch)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("purge %s: %w", t.Name, err)
		}
		total += n
		if n < purgeBatch {
			return total, nil
		}
	}
}

// Backoff is the wait after the attempts-th failed attempt: base·2ⁿ⁻¹, at
// most max, less up to a quarter of that as jitter so that messages that
// failed together do not all retry at once.
func Backoff(attempts int, base, most time.Duration) time.Duration {
	d := most
	if attempts <= 7 {
		d = min(base<<max(attempts-1, 0), most)
	}
	return d - rand.N(d/4+1)
}

// Run calls deliver on every tick, again at once while a whole batch went
// out (sent+failed == batch), until ctx is done (it returns ctx's error)
// or ticks is closed (it returns nil). Errors of deliver are logged under
// what ("mail delivery") and do not stop it.
func Run(ctx context.Context, ticks <-chan time.Time, batch int, log *slog.Logger, what string, deliver func(context.Context) (sent, failed int, err error)) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case _, ok := <-ticks:
			if !ok {
				return nil
			}
		}
		for ctx.Err() == nil {
			sent, failed, err := deliver(ctx)
			if err != nil && ctx.Err() == nil {
				log.Error(what, "error", err)
			}
			if err != nil || sent+failed < batch {
				break
			}
		}
	}
}
