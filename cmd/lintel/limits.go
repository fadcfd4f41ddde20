package main

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/lintel-id/lintel/edge"
	"github.com/lintel-id/lintel/edge/ratelimit"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/settings"
	"github.com/lintel-id/lintel/server/engine"
)

// edgeLimits maps the limits.* settings onto the edge's limits; an empty
// setting stays zero, which the edge reads as its default. Validate has
// parsed each already.
func edgeLimits(c settings.Config) edge.Limits {
	l := func(s string) ratelimit.Limit {
		r, _ := settings.ParseRateLimit(s)
		return ratelimit.Limit{Rate: r.Rate, Per: r.Per, Burst: r.Burst}
	}
	return edge.Limits{
		IP: l(c.Limits.IP), Tenant: l(c.Limits.Tenant), Client: l(c.Limits.Client),
		TokenClient: l(c.Limits.TokenClient), TokenIP: l(c.Limits.TokenIP),
		MgmtIP: l(c.Limits.MgmtIP), MgmtCredential: l(c.Limits.MgmtCredential),
	}
}

// openLimits returns the rate limiter: Redis at redis.url, shared by every
// node, or one in process. The Redis client gives up fast (one retry, short
// timeouts): a limit that cannot be checked lets the request through (the
// edge fails open), so a slow Redis must not stall sign-ins.
func openLimits(c settings.Config, clk clock.Clock) (ratelimit.Limiter, error) {
	if c.Redis.URL == "" {
		return ratelimit.NewMemory(clk, ratelimit.MemoryOptions{}), nil
	}
	opts, err := redis.ParseURL(c.Redis.URL)
	if err != nil {
		// The URL may hold a password: name the setting, not the value.
		return nil, fmt.Errorf("redis.url: not a Redis URL")
	}
	opts.MaxRetries, opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = 1, 2*time.Second, time.Second, time.Second
	return ratelimit.NewRedis(redis.NewClient(opts), clk, ratelimit.RedisOptions{}), nil
}

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
