package ratelimit

import "slices"

// evictFraction is the part of a full shard that eviction frees at least,
// so that a shard filling with live keys sorts once per that many new keys
// rather than once per key.
const evictFraction = 16

// evict makes room in a full shard at now, as Memory describes: first every
// key whose state has fully decayed, then, if that freed fewer than
// max/evictFraction (at least one), the keys with the earliest theoretical
// arrival times. The caller holds s.mu.
func (s *shard) evict(now int64) {
	want := max(1, s.max/evictFraction)
	for k, tat := range s.tats {
		if tat <= now {
			delete(s.tats, k)
			want--
		}
	}
	if want <= 0 || len(s.tats) == 0 {
		return
	}
	want = min(want, len(s.tats))

	// The want-th earliest time is the cut: drop everything before it,
	// then as many at it as still needed.
	tats := make([]int64, 0, len(s.tats))
	for _, tat := range s.tats {
		tats = append(tats, tat)
	}
	slices.Sort(tats)
	cut := tats[want-1]
	for k, tat := range s.tats {
		if tat < cut {
			delete(s.tats, k)
			want--
		}
	}
	for k, tat := range s.tats {
		if want == 0 {
			break
		}
		if tat == cut {
			delete(s.tats, k)
			want--
		}
	}
}
