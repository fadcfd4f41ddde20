package clock_test

import (
	"fmt"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
)

// session is a stand-in for code that takes a Clock instead of calling
// time.Now.
type session struct {
	clk       clock.Clock
	expiresAt time.Time
}

func (s session) expired() bool { return !s.clk.Now().Before(s.expiresAt) }

func ExampleFake() {
	clk := clock.NewFake(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	s := session{clk: clk, expiresAt: clk.Now().Add(15 * time.Minute)}

	fmt.Println(s.expired())
	clk.Advance(15 * time.Minute)
	fmt.Println(s.expired())
	// Output:
	// false
	// true
}
