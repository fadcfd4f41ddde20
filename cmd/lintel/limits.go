package main

import (
	"context"
	"time"

	"github.com/lintel-id/lintel/edge/ratelimit"
	"github.com/lintel-id/lintel/server/engine"
)

// engineLimits lets the engine count attempts with an edge/ratelimit
// Limiter: the engine declares its own small interface (server packages
// never import edge), and this adapter joins the two.
type engineLimits struct{ l ratelimit.Limiter }

// Allow implements engine.Limiter.
func (a engineLimits) Allow(ctx context.Context, key string, l engine.Limit) (bool, time.Duration, error) {
	return allow(ctx, a.l, key, ratelimit.Limit{Rate: l.Rate, Per: l.Per})
}

// allow counts one event with l and answers as the server packages'
// small Limiter interfaces do.
func allow(ctx context.Context, l ratelimit.Limiter, key string, lim ratelimit.Limit) (bool, time.Duration, error) {
	r, err := l.Allow(ctx, key, lim)
	if err != nil {
		return false, 0, err
	}
	return r.Allowed, r.RetryAfter, nil
}
