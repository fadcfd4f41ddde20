package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/redis/go-redis/v9"

	"github.com/lintel-id/lintel/internal/clock"
)

// DefaultRedisPrefix is the prefix of every key a Redis writes when
// RedisOptions leaves Prefix empty.
const DefaultRedisPrefix = "lintel:rl:"

// RedisOptions tunes a Redis.
type RedisOptions struct {
	// Prefix is put before every key, so that several instances (or
	// tests) can share one Redis without colliding; "" means
	// DefaultRedisPrefix. Limiters that must share budgets use the same
	// prefix.
	Prefix string
}

// Redis is the Limiter shared by many nodes: every node that points at the
// same Redis with the same prefix draws on one budget per key. It is safe
// for concurrent use.
//
// Each Allow is one round trip running one Lua script, which decides the
// event and stores the key's new state atomically, with the arithmetic of
// Memory and of github.com/go-redis/redis_rate. Unlike redis_rate's script,
// it does not read Redis's TIME: the current time comes from the clock the
// Redis was built with and travels in the call, because Lintel takes time
// from an injected clock everywhere so that tests never sleep. The nodes'
// clocks must therefore agree, as they must for everything else that is
// time-based (token expiry, sessions); a node whose clock runs ahead
// refills keys early. The script is thus deterministic, and each call
// touches one key, so it runs as well on a Redis Cluster client.
//
// Times travel as whole seconds and nanoseconds, each exact in Lua's
// doubles, so Redis answers to the nanosecond what Memory answers, for
// every limit Validate accepts (Memory saturates times 292 years past its
// creation; Redis does not). The clock is read to within ±2^50 seconds of
// 1970 (35 million years), and clamped there.
//
// A key's state is one string ("seconds:nanoseconds" of its theoretical
// arrival time) that expires when the key would be full again (rounded up
// to whole milliseconds, at least one), so idle keys vanish; nothing else
// is written. Redis counts that expiry down on its own clock: should a
// node's clock step back by more than what remains of it, the key answers
// as a fresh one where Memory would still count its debt.
//
// Errors from Redis are returned wrapped; the caller chooses whether to
// fail open or closed. A request that failed in flight (a broken
// connection, a context done while waiting for the reply) may have been
// counted by Redis all the same.
type Redis struct {
	client redis.UniversalClient
	clk    clock.Clock
	prefix string
}

// NewRedis returns a Redis that keeps its state in client's database under
// opts.Prefix and reads time from clk. The client's own settings (timeouts,
// retries, pool) apply to every call.
func NewRedis(client redis.UniversalClient, clk clock.Clock, opts RedisOptions) *Redis {
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	return &Redis{client: client, clk: clk, prefix: prefix}
}

// maxUnixSeconds bounds the clock readings sent to the script, so that
// its sums stay under 2^53 and exact.
const maxUnixSeconds = 1 << 50

// allowScript decides one event for KEYS[1], given now, the emission
// interval and the room (burst offset − interval) as pairs of whole
// seconds and nanoseconds (0 ≤ ns < 1e9). It returns {allowed, debt
// seconds, debt nanoseconds}, where debt = max(tat, now) − now before the
// event, from which the caller works out Remaining and RetryAfter exactly as
// gcra.allow does. Every number stays an integer below 2^53, so Lua's
// doubles hold it exactly; numbers are formatted with %.0f, because Lua's
// tostring keeps only 14 digits.
var allowScript = redis.NewScript(`
local now_s, now_ns = tonumber(ARGV[1]), tonumber(ARGV[2])
local int_s, int_ns = tonumber(ARGV[3]), tonumber(ARGV[4])
local room_s, room_ns = tonumber(ARGV[5]), tonumber(ARGV[6])

local tat_s, tat_ns = now_s, now_ns
local state = redis.call("GET", KEYS[1])
if state then
  local s, ns = string.match(state, "^(-?%d+):(%d+)$")
  if not s then
    return redis.error_reply("ratelimit: unreadable state")
  end
  s, ns = tonumber(s), tonumber(ns)
  if s > now_s or (s == now_s and ns > now_ns) then
    tat_s, tat_ns = s, ns
  end
end

local debt_s, debt_ns = tat_s - now_s, tat_ns - now_ns
if debt_ns < 0 then
  debt_s, debt_ns = debt_s - 1, debt_ns + 1000000000
end
if debt_s > room_s or (debt_s == room_s and debt_ns > room_ns) then
  return {0, debt_s, debt_ns}
end

tat_s, tat_ns = tat_s + int_s, tat_ns + int_ns
if tat_ns >= 1000000000 then
  tat_s, tat_ns = tat_s + 1, tat_ns - 1000000000
end
-- The key is full again debt + interval from now: expire it then.
local ttl = (debt_s + int_s) * 1000 + math.ceil((debt_ns + int_ns) / 1000000)
redis.call("SET", KEYS[1], string.format("%.0f:%.0f", tat_s, tat_ns),
  "PX", string.format("%.0f", math.max(ttl, 1)))
return {1, debt_s, debt_ns}
`)

// Allow counts one event under key against l, as Limiter says.
func (r *Redis) Allow(ctx context.Context, key string, l Limit) (Result, error) {
	g, err := admit(ctx, key, l)
	if err != nil {
		return Result{}, err
	}
	now := r.clk.Now()
	nowS, nowNS := now.Unix(), int64(now.Nanosecond())
	if nowS > maxUnixSeconds {
		nowS, nowNS = maxUnixSeconds, 0
	} else if nowS < -maxUnixSeconds {
		nowS, nowNS = -maxUnixSeconds, 0
	}
	room := g.offset - g.interval
	reply, err := allowScript.Run(ctx, r.client, []string{r.prefix + key},
		nowS, nowNS, g.interval/1e9, g.interval%1e9, room/1e9, room%1e9).Int64Slice()
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if len(reply) != 3 || reply[1] < 0 || reply[2] < 0 || reply[2] >= 1e9 {
		return Result{}, fmt.Errorf("ratelimit: redis: unexpected reply %v", reply)
	}
	// The script decided; the same arithmetic on its debt gives the
	// numbers, exactly as Memory's.
	_, res := g.allow(debtNanos(reply[1], reply[2]), 0)
	if res.Allowed != (reply[0] == 1) {
		return Result{}, errors.New("ratelimit: redis: the script and the arithmetic disagree")
	}
	return res, nil
}

// debtNanos returns s seconds and ns nanoseconds (both ≥ 0) in nanoseconds,
// saturating at math.MaxInt64.
func debtNanos(s, ns int64) int64 {
	if s > (math.MaxInt64-ns)/1e9 {
		return math.MaxInt64
	}
	return s*1e9 + ns
}

var _ Limiter = (*Redis)(nil)
