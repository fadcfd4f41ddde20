package ratelimit

import (
	"context"
	"hash/maphash"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
)

// DefaultMaxKeys is the number of keys a Memory holds when MemoryOptions
// leaves MaxKeys at 0. A key costs about its length plus 50 bytes, so the
// default bounds a Memory near 8 MB with 24-byte keys and 30 MB with keys
// of MaxKeyLen bytes.
const DefaultMaxKeys = 100_000

// maxShards is how many independently locked maps a Memory spreads its
// keys over, so that callers with different keys rarely wait for each
// other.
const maxShards = 64

// MemoryOptions tunes a Memory.
type MemoryOptions struct {
	// MaxKeys bounds the keys held, and so the memory used; 0 or less
	// means DefaultMaxKeys. See Memory for what happens when it is
	// reached.
	MaxKeys int
}

// Memory is the in-process Limiter, for a single node: its state is lost
// on restart and not shared between processes. It is safe for concurrent
// use.
//
// Each key costs one timestamp. Keys live in sharded maps, each with its
// own lock and an equal part of MaxKeys. When a new key arrives at a full
// shard, the shard first drops every key whose state has fully decayed
// (its theoretical arrival time has passed): such a key answers exactly
// as an absent one, so nothing is lost. If that frees fewer than a
// sixteenth of the shard, it then drops the keys with the earliest
// theoretical arrival times until it has: they are the keys nearest to
// full, whose loss grants the least. A flood of new keys therefore evicts
// its own fresh keys before the state of a key it has driven into
// refusal, and eviction in batches keeps its cost amortized. Eviction is
// per shard, so the keys dropped are the oldest of their shard, not
// always of the whole Memory.
//
// Memory does not run goroutines; it evicts only when it needs room.
type Memory struct {
	clk    clock.Clock
	epoch  time.Time // times are kept as nanoseconds since epoch
	seed   maphash.Seed
	shards []shard
}

// shard is one lock and the keys it guards.
type shard struct {
	mu   sync.Mutex
	tats map[string]int64 // key → theoretical arrival time, ns since epoch
	max  int
	_    [64]byte // keeps neighbouring shards' locks off one cache line
}

// NewMemory returns an empty Memory that reads time from clk.
func NewMemory(clk clock.Clock, opts MemoryOptions) *Memory {
	n := opts.MaxKeys
	if n <= 0 {
		n = DefaultMaxKeys
	}
	return newMemory(clk, n, min(maxShards, n))
}

// newMemory spreads maxKeys over shards (≤ maxKeys) as evenly as possible,
// so that the shards together hold exactly maxKeys.
func newMemory(clk clock.Clock, maxKeys, shards int) *Memory {
	m := &Memory{clk: clk, epoch: clk.Now(), seed: maphash.MakeSeed(), shards: make([]shard, shards)}
	for i := range m.shards {
		m.shards[i].max = maxKeys / shards
		if i < maxKeys%shards {
			m.shards[i].max++
		}
		m.shards[i].tats = make(map[string]int64)
	}
	return m
}

// Allow counts one event under key against l, as Limiter says.
func (m *Memory) Allow(ctx context.Context, key string, l Limit) (Result, error) {
	g, err := admit(ctx, key, l)
	if err != nil {
		return Result{}, err
	}
	// Sub saturates, so a clock centuries away cannot wrap around.
	now := int64(m.clk.Now().Sub(m.epoch))

	s := &m.shards[maphash.String(m.seed, key)%uint64(len(m.shards))]
	s.mu.Lock()
	defer s.mu.Unlock()
	tat, ok := s.tats[key]
	if !ok {
		tat = math.MinInt64
	}
	tat, res := g.allow(tat, now)
	if !res.Allowed {
		return res, nil
	}
	if !ok {
		if len(s.tats) >= s.max {
			s.evict(now)
		}
		// The caller's key may share memory with a larger string (a
		// header, a body); keep only its bytes.
		key = strings.Clone(key)
	}
	s.tats[key] = tat
	return res, nil
}

// Len returns the number of keys m holds, at most MaxKeys.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.tats)
		s.mu.Unlock()
	}
	return n
}

var _ Limiter = (*Memory)(nil)
