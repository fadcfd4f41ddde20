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
	r, err := a.l.Allow(ctx, key, ratelimit.Limit{Rate: l.Rate, Per: l.Per})
	if err != nil {
		return false, 0, err
	}
	return r.Allowed, r.RetryAfter, nil
}
