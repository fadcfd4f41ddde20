package ratelimit_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/lintel-id/lintel/edge/ratelimit"
	"github.com/lintel-id/lintel/internal/clock"
)

func Example() {
	clk := clock.NewFake(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	var lim ratelimit.Limiter = ratelimit.NewMemory(clk, ratelimit.MemoryOptions{})

	// Five sign-in attempts per minute from one address, three at once.
	signIn := ratelimit.Limit{Rate: 5, Per: time.Minute, Burst: 3}
	key := "signin:ip:" + ratelimit.IPKey(netip.MustParseAddr("2001:db8:1:2::17"))

	try := func() {
		res, err := lim.Allow(context.Background(), key, signIn)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("allowed=%v remaining=%d retry after=%v\n", res.Allowed, res.Remaining, res.RetryAfter)
	}
	for range 4 {
		try()
	}
	clk.Advance(12 * time.Second) // one interval: Per/Rate
	try()
	// Output:
	// allowed=true remaining=2 retry after=0s
	// allowed=true remaining=1 retry after=0s
	// allowed=true remaining=0 retry after=0s
	// allowed=false remaining=0 retry after=12s
	// allowed=true remaining=0 retry after=0s
}

func ExampleIPKey() {
	for _, a := range []string{"203.0.113.7", "::ffff:203.0.113.7", "2001:db8:1:2:aaaa::1", "2001:db8:1:2:bbbb::2"} {
		fmt.Println(ratelimit.IPKey(netip.MustParseAddr(a)))
	}
	// Output:
	// 203.0.113.7
	// 203.0.113.7
	// 2001:db8:1:2::/64
	// 2001:db8:1:2::/64
}
