package ratelimittest

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/edge/ratelimit"
)

// callers is how many goroutines the concurrency tests run at once.
const callers = 64

func testConcurrentBurst(t *testing.T, f fixture) {
	l := ratelimit.Limit{Rate: 1, Per: time.Second, Burst: 25}
	const calls = 10 // per goroutine, for each of two keys
	var (
		mu        sync.Mutex
		remaining = map[string][]int{} // key → Remaining of each allowed call
		refusals  = map[string]int{}
	)
	var wg sync.WaitGroup
	for g := range callers {
		wg.Go(func() {
			for i := range 2 * calls {
				key := fmt.Sprintf("concurrent:%d", (g+i)%2)
				res, err := f.lim.Allow(context.Background(), key, l)
				if err != nil {
					t.Errorf("Allow: %v", err)
					return
				}
				mu.Lock()
				if res.Allowed {
					remaining[key] = append(remaining[key], res.Remaining)
				} else {
					refusals[key]++
					if res.RetryAfter != time.Second {
						t.Errorf("refused with RetryAfter %v, want 1s", res.RetryAfter)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// The clock stood still: each key allowed exactly its burst, and each
	// allowed call saw a different number remaining, as if in some order.
	want := make([]int, burst(l))
	for i := range want {
		want[i] = i
	}
	for _, key := range []string{"concurrent:0", "concurrent:1"} {
		got := slices.Sorted(slices.Values(remaining[key]))
		if !slices.Equal(got, want) {
			t.Errorf("%s: allowed calls saw Remaining %v, want each of 0..%d once", key, got, burst(l)-1)
		}
		if n := len(got) + refusals[key]; n != callers*calls {
			t.Errorf("%s: %d decisions, want %d", key, n, callers*calls)
		}
	}
}

func testConcurrentRefill(t *testing.T, f fixture) {
	l := ratelimit.Limit{Rate: 4, Per: time.Second, Burst: 10}
	const (
		calls = 20 // per goroutine
		steps = 50 // clock advances of one interval each, while they call
	)
	var (
		mu      sync.Mutex
		granted int
		wg      sync.WaitGroup
	)
	wg.Go(func() {
		for range steps {
			f.clk.Advance(interval(l))
			runtime.Gosched()
		}
	})
	for range callers {
		wg.Go(func() {
			for range calls {
				res, err := f.lim.Allow(context.Background(), "refilling", l)
				if err != nil {
					t.Errorf("Allow: %v", err)
					return
				}
				if res.Allowed {
					mu.Lock()
					granted++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	// However the calls and the advances interleave, the first burst of
	// calls is allowed and no more than one event per advance after it.
	if granted > burst(l)+steps {
		t.Errorf("allowed %d events, more than the burst %d plus %d refills", granted, burst(l), steps)
	}
	if granted < burst(l) {
		t.Errorf("allowed %d events, fewer than the burst %d", granted, burst(l))
	}
}
