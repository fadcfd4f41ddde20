package events

import (
	"context"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// purgeBatch is how many events one purge transaction deletes, so that a
// large purge never holds the SQLite writer for long.
const purgeBatch = 1000

// Purge deletes the events that happened before before (the retention
// limit), in transactions of at most 1000 events, and reports how many it
// deleted. When ctx is cancelled it stops between batches and returns the
// count so far with the context's error. before must be set and not in the
// future (by the Log's clock): a retention limit never reaches events that
// have yet to be written.
//
// Subject keys are kept, so that personal details of the subject in events
// still in the log stay readable, and tombstones of erased subjects stay.
func (l *Log) Purge(ctx context.Context, before time.Time) (int64, error) {
	switch {
	case before.IsZero():
		return 0, invalid.Field("before", "must be set")
	case before.After(l.clk.Now()):
		return 0, invalid.Field("before", "must not be in the future")
	}
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("events: purge: %w", err)
		}
		var n int64
		err := l.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
			var err error
			n, err = tx.Exec(ctx, `DELETE FROM events WHERE id IN (
				SELECT id FROM events WHERE occurred_at < ? ORDER BY occurred_at LIMIT ?)`, before, purgeBatch)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("events: purge: %w", err)
		}
		total += n
		if n < purgeBatch {
			return total, nil
		}
	}
}
