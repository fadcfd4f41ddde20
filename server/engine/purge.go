package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// flowKeep is how long an ended or expired flow row stays for support
// questions ("why did my sign-in fail?") before housekeeping removes it.
const flowKeep = 24 * time.Hour

// PurgeFlows deletes flows that expired more than a day ago and reports
// how many. It is idempotent, so every node may run it.
func (e *Engine) PurgeFlows(ctx context.Context) (int64, error) {
	var n int64
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		n, err = tx.Exec(ctx, `DELETE FROM flows WHERE expires_at < ?`, e.Clock.Now().Add(-flowKeep))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("engine: purge flows: %w", err)
	}
	return n, nil
}
