package ratelimit_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/lintel-id/lintel/edge/ratelimit"
	"github.com/lintel-id/lintel/internal/clock"
)

// BenchmarkMemoryAllow measures Allow from parallel goroutines on the
// system clock: all on one key (one lock), spread over keys that fit, and
// a stream of new keys that keeps a full Memory evicting.
func BenchmarkMemoryAllow(b *testing.B) {
	l := ratelimit.Limit{Rate: 100, Per: time.Second}
	tests := []struct {
		name    string
		maxKeys int
		keys    int // distinct keys cycled through; 0 for never-repeating keys
	}{
		{"one key", 0, 1},
		{"10k keys", 0, 10_000},
		{"new keys past MaxKeys", 10_000, 0},
	}
	for _, tc := range tests {
		b.Run(tc.name, func(b *testing.B) {
			m := ratelimit.NewMemory(clock.System(), ratelimit.MemoryOptions{MaxKeys: tc.maxKeys})
			n := tc.keys
			if n == 0 {
				n = 1 << 20 // far more than MaxKeys: each is new when it comes round
			}
			keys := make([]string, n)
			for i := range keys {
				keys[i] = fmt.Sprint("bench:", i)
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for i := rand.IntN(n); pb.Next(); i++ {
					if _, err := m.Allow(ctx, keys[i%n], l); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkRedisAllow measures Allow on the test Redis from parallel
// goroutines on the system clock, one round trip each: all on one key
// (Redis runs scripts one at a time in any case) and spread over keys.
// Eight goroutines per CPU keep several round trips in flight, as an
// edge serving many requests would.
func BenchmarkRedisAllow(b *testing.B) {
	l := ratelimit.Limit{Rate: 100, Per: time.Second}
	for _, n := range []int{1, 10_000} {
		b.Run(fmt.Sprint(n, " keys"), func(b *testing.B) {
			c := testRedis(b)
			r := ratelimit.NewRedis(c, clock.System(), ratelimit.RedisOptions{Prefix: testPrefix(b, c)})
			keys := make([]string, n)
			for i := range keys {
				keys[i] = fmt.Sprint("bench:", i)
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for i := rand.IntN(n); pb.Next(); i++ {
					if _, err := r.Allow(ctx, keys[i%n], l); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
