package ratelimit_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/lintel-id/lintel/edge/ratelimit"
	"github.com/lintel-id/lintel/edge/ratelimit/ratelimittest"
	"github.com/lintel-id/lintel/internal/clock"
)

// redisURLEnv names the variable that points the tests at another Redis.
const redisURLEnv = "TEST_REDIS_URL"

// redisURL is the Redis the tests use: TEST_REDIS_URL, or the local one.
func redisURL() string {
	if u := os.Getenv(redisURLEnv); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// testRedis returns a client of the test Redis, closed when tb ends, and
// fails tb at once when that Redis cannot be reached.
func testRedis(tb testing.TB) *redis.Client {
	tb.Helper()
	opts, err := redis.ParseURL(redisURL())
	if err != nil {
		tb.Fatalf("%s: %v", redisURLEnv, err)
	}
	c := redis.NewClient(opts)
	tb.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		tb.Fatalf("Redis at %s is not reachable (start it, or set %s): %v", opts.Addr, redisURLEnv, err)
	}
	return c
}

// testPrefix returns a fresh random key prefix whose keys are deleted when
// tb ends.
func testPrefix(tb testing.TB, c *redis.Client) string {
	tb.Helper()
	prefix := "lintel:test:rl:" + rand.Text() + ":"
	tb.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			tb.Errorf("scanning %s*: %v", prefix, err)
			return
		}
		if len(keys) > 0 {
			if err := c.Del(ctx, keys...).Err(); err != nil {
				tb.Errorf("deleting %d keys: %v", len(keys), err)
			}
		}
	})
	return prefix
}

func TestRedis(t *testing.T) {
	c := testRedis(t)
	ratelimittest.Run(t, func(t *testing.T, clk clock.Clock) ratelimit.Limiter {
		return ratelimit.NewRedis(c, clk, ratelimit.RedisOptions{Prefix: testPrefix(t, c)})
	})
}

// TestRedisMatchesMemory plays one random sequence of events and clock
// steps against both backends, with limits and steps the suite avoids
// (intervals and steps of odd nanoseconds, debts past 2^53 nanoseconds,
// the longest limits Validate accepts), and expects the same Result from
// each at every step.
//
// Redis expires keys on its own clock, so a key whose TTL ran out in real
// time while the fake clock still counted it in debt would answer as a
// fresh key. Every key here stays in debt for minutes at least: limits of
// one-nanosecond intervals only act on keys primed with hours of debt.
func TestRedisMatchesMemory(t *testing.T) {
	c := testRedis(t)
	// Memory counts time from its creation and saturates theoretical
	// arrival times 292 years after it; created ahead of the walk, it
	// never does here, and answers as exactly as Redis.
	start := time.Date(2025, 3, 1, 12, 0, 0, 123_456_789, time.UTC)
	clk := clock.NewFake(start.Add(10_000 * time.Hour))
	mem := ratelimit.NewMemory(clk, ratelimit.MemoryOptions{})
	clk.Set(start)
	red := ratelimit.NewRedis(c, clk, ratelimit.RedisOptions{Prefix: testPrefix(t, c)})
	ctx := context.Background()
	step := 0
	check := func(key string, l ratelimit.Limit) {
		t.Helper()
		step++
		want, err := mem.Allow(ctx, key, l)
		if err != nil {
			t.Fatalf("step %d: Memory: %v", step, err)
		}
		got, err := red.Allow(ctx, key, l)
		if err != nil {
			t.Fatalf("step %d: Redis: %v", step, err)
		}
		if got != want {
			t.Fatalf("step %d at %v: Allow(%q, %+v) = %+v from Redis, %+v from Memory", step, clk.Now(), key, l, got, want)
		}
	}

	var (
		// Intervals of odd nanoseconds, hours long.
		sevenPer10h = ratelimit.Limit{Rate: 7, Per: 10 * time.Hour, Burst: 4} // 5,142,857,142,857ns
		elevenPerH  = ratelimit.Limit{Rate: 11, Per: time.Hour, Burst: 30}    // 327,272,727,272ns
		// Debts of thousands of hours, past 2^53ns (104 days).
		prime = ratelimit.Limit{Rate: 1, Per: 3000 * time.Hour, Burst: 2}
		// One-nanosecond intervals with room for those debts.
		perNS    = ratelimit.Limit{Rate: 1_000_000_000, Per: time.Second, Burst: 30_000_000_000_000_000}
		perNSOdd = ratelimit.Limit{Rate: 999_999_937, Per: time.Second + 1, Burst: 22_000_000_000_000_003}
		// The longest.
		longest   = ratelimit.Limit{Rate: 1, Per: time.Duration(math.MaxInt64)}
		halves    = ratelimit.Limit{Rate: 2, Per: time.Duration(math.MaxInt64), Burst: 2}
		centuries = ratelimit.Limit{Rate: 1, Per: 200 * 365 * 24 * time.Hour, Burst: 1}
	)
	classes := []struct {
		key    string
		keys   int
		limits []ratelimit.Limit
	}{
		{"hours:", 4, []ratelimit.Limit{sevenPer10h, elevenPerH}},
		{"years:", 50, []ratelimit.Limit{prime, longest, halves, centuries}},
		{"primed:", 10, []ratelimit.Limit{sevenPer10h, elevenPerH, prime, perNS, perNSOdd}},
	}
	for j := range 10 {
		for range 1 + j%2 { // 3000h of debt or 6000h
			check(fmt.Sprint("primed:", j), prime)
		}
	}
	steps := []time.Duration{0, 0, 0, 1, 999, time.Microsecond + 1, 333_333_333, time.Second, time.Hour + 7, -time.Minute - 3}
	rng := mrand.New(mrand.NewPCG(1, 2))
	for range 3000 {
		cl := classes[rng.IntN(len(classes))]
		check(fmt.Sprint(cl.key, rng.IntN(cl.keys)), cl.limits[rng.IntN(len(cl.limits))])
		clk.Advance(steps[rng.IntN(len(steps))])
	}
}

// TestRedisNodesShareABudget runs a burst through two limiters with their
// own clients, as two nodes would, and expects the limit to hold across
// them.
func TestRedisNodesShareABudget(t *testing.T) {
	prefix := testPrefix(t, testRedis(t))
	clk := clock.NewFake(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	nodes := []ratelimit.Limiter{
		ratelimit.NewRedis(testRedis(t), clk, ratelimit.RedisOptions{Prefix: prefix}),
		ratelimit.NewRedis(testRedis(t), clk, ratelimit.RedisOptions{Prefix: prefix}),
	}
	l := ratelimit.Limit{Rate: 1, Per: time.Minute, Burst: 30}
	const callers, calls = 16, 10 // per node
	var (
		mu      sync.Mutex
		allowed = make([]int, len(nodes))
		wg      sync.WaitGroup
	)
	for n, lim := range nodes {
		for range callers {
			wg.Go(func() {
				for range calls {
					res, err := lim.Allow(context.Background(), "signin:ip:192.0.2.1", l)
					if err != nil {
						t.Errorf("node %d: %v", n, err)
						return
					}
					if res.Allowed {
						mu.Lock()
						allowed[n]++
						mu.Unlock()
					}
				}
			})
		}
	}
	wg.Wait()
	if total := allowed[0] + allowed[1]; total != l.Burst {
		t.Errorf("the nodes allowed %d and %d events, %d in all; want the burst, %d", allowed[0], allowed[1], total, l.Burst)
	}
	// Either node sees the budget spent.
	for n, lim := range nodes {
		res, err := lim.Allow(context.Background(), "signin:ip:192.0.2.1", l)
		if err != nil {
			t.Fatal(err)
		}
		if want := (ratelimit.Result{RetryAfter: time.Minute}); res != want {
			t.Errorf("node %d after the burst: %+v, want %+v", n, res, want)
		}
	}
}

// TestRedisUnreachable points a Redis at a closed loopback port: Allow
// fails with the connection's error and the zero Result.
func TestRedisUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	// No retries: the client's settings decide how long a failure takes.
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { c.Close() })
	lim := ratelimit.NewRedis(c, clock.System(), ratelimit.RedisOptions{})

	// The deadline only bounds a failure; a refused connection fails
	// long before it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range 3 { // the pool remembers failed dials; each call must still fail
		res, err := lim.Allow(ctx, "k", ratelimit.Limit{Rate: 1, Per: time.Second})
		if err == nil {
			t.Fatalf("call %d: Allow on a closed port succeeded: %+v", i, res)
		}
		if errors.Is(err, ratelimit.ErrInvalid) || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("call %d: error %v, want the connection's", i, err)
		}
		var opErr *net.OpError
		if !errors.As(err, &opErr) {
			t.Errorf("call %d: error %v does not wrap a *net.OpError", i, err)
		}
		if res != (ratelimit.Result{}) {
			t.Errorf("call %d: Result %+v with an error, want the zero Result", i, res)
		}
	}
}

// TestRedisKeys checks what a Redis leaves in the database: one key under
// its prefix, expiring when the key would be full again.
func TestRedisKeys(t *testing.T) {
	c := testRedis(t)
	prefix := testPrefix(t, c)
	clk := clock.NewFake(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	lim := ratelimit.NewRedis(c, clk, ratelimit.RedisOptions{Prefix: prefix})
	ctx := context.Background()
	tests := []struct {
		name    string
		l       ratelimit.Limit
		events  int
		wantTTL int64 // milliseconds
	}{
		{"one event of a minute's burst", ratelimit.Limit{Rate: 1, Per: time.Minute, Burst: 5}, 1, 60_000},
		{"a drained burst", ratelimit.Limit{Rate: 1, Per: time.Minute, Burst: 5}, 5, 300_000},
		{"a refusal does not extend it", ratelimit.Limit{Rate: 1, Per: time.Minute, Burst: 5}, 7, 300_000},
		{"rounded up to whole milliseconds", ratelimit.Limit{Rate: 3, Per: time.Hour}, 1, 1_200_000},
		{"292 years, rounded up", ratelimit.Limit{Rate: 1, Per: time.Duration(math.MaxInt64)}, 1, math.MaxInt64/1_000_000 + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := "ttl:" + tc.name
			for range tc.events {
				if _, err := lim.Allow(ctx, key, tc.l); err != nil {
					t.Fatal(err)
				}
			}
			n, err := c.Exists(ctx, key).Result()
			if err != nil || n != 0 {
				t.Errorf("the unprefixed key exists (%d, %v)", n, err)
			}
			// PTTL's reply in milliseconds: go-redis's Duration would
			// overflow at 292 years.
			ttl, err := c.Do(ctx, "PTTL", prefix+key).Int64()
			if err != nil {
				t.Fatal(err)
			}
			// Redis counts the TTL down on its own clock: allow a second
			// of it to pass between the write and the read.
			if ttl > tc.wantTTL || ttl < tc.wantTTL-1000 {
				t.Errorf("PTTL = %dms, want %dms", ttl, tc.wantTTL)
			}
		})
	}
}

func TestRedisDefaultPrefix(t *testing.T) {
	c := testRedis(t)
	lim := ratelimit.NewRedis(c, clock.System(), ratelimit.RedisOptions{})
	key := "test:default-prefix:" + rand.Text()
	t.Cleanup(func() { c.Del(context.Background(), ratelimit.DefaultRedisPrefix+key) })
	if _, err := lim.Allow(context.Background(), key, ratelimit.Limit{Rate: 1, Per: time.Second}); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Exists(context.Background(), ratelimit.DefaultRedisPrefix+key).Result(); err != nil || n != 1 {
		t.Errorf("Exists(DefaultRedisPrefix+key) = %d, %v; want 1", n, err)
	}
}

func TestRedisUnreadableState(t *testing.T) {
	c := testRedis(t)
	prefix := testPrefix(t, c)
	lim := ratelimit.NewRedis(c, clock.System(), ratelimit.RedisOptions{Prefix: prefix})
	ctx := context.Background()
	if err := c.Set(ctx, prefix+"k", "1740830400.25", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	res, err := lim.Allow(ctx, "k", ratelimit.Limit{Rate: 1, Per: time.Second})
	if err == nil || errors.Is(err, ratelimit.ErrInvalid) {
		t.Fatalf("Allow on a key in another format: %+v, %v; want a Redis error", res, err)
	}
	if res != (ratelimit.Result{}) {
		t.Errorf("Result %+v with an error, want the zero Result", res)
	}
}
