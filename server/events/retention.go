package events

import (
	"context"
	"log/slog"
	"time"
)

// Retention purges events older than Keep each time Run's ticker fires.
// Purging is idempotent, so running it on every node of a cluster is
// harmless: the first to run does the work.
type Retention struct {
	Log    *Log
	Keep   time.Duration // 0 disables purging
	Logger *slog.Logger
}

// Run purges once at start and then on every tick until ctx ends. The
// caller owns the ticker (time.NewTicker(time.Hour).C in production, a
// channel in tests), so tests never wait.
func (r Retention) Run(ctx context.Context, ticks <-chan time.Time) {
	if r.Keep <= 0 {
		return
	}
	r.once(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			r.once(ctx)
		}
	}
}

func (r Retention) once(ctx context.Context) {
	n, err := r.Log.Purge(ctx, r.Log.clk.Now().Add(-r.Keep))
	switch {
	case err != nil && ctx.Err() == nil:
		r.Logger.ErrorContext(ctx, "events: retention purge failed", "err", err)
	case n > 0:
		r.Logger.InfoContext(ctx, "events: retention purge", "deleted", n, "keep", r.Keep.String())
	}
}
