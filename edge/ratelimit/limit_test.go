package ratelimit

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestLimitValidate(t *testing.T) {
	tests := []struct {
		name  string
		l     Limit
		valid bool
	}{
		{"accepts a rate per second", Limit{Rate: 10, Per: time.Second}, true},
		{"accepts a burst above the rate", Limit{Rate: 1, Per: time.Minute, Burst: 20}, true},
		{"accepts a burst below the rate", Limit{Rate: 100, Per: time.Minute, Burst: 1}, true},
		{"accepts one event per nanosecond", Limit{Rate: 1e9, Per: time.Second}, true},
		{"accepts the longest burst that fits", Limit{Rate: 1, Per: time.Duration(math.MaxInt64)}, true},
		{"refuses the zero limit", Limit{}, false},
		{"refuses a zero rate", Limit{Per: time.Second}, false},
		{"refuses a negative rate", Limit{Rate: -5, Per: time.Second}, false},
		{"refuses a zero period", Limit{Rate: 5}, false},
		{"refuses a negative period", Limit{Rate: 5, Per: -time.Second}, false},
		{"refuses a negative burst", Limit{Rate: 5, Per: time.Second, Burst: -1}, false},
		{"refuses more than one event per nanosecond", Limit{Rate: 2e9, Per: time.Second}, false},
		{"refuses a burst longer than the longest duration", Limit{Rate: 1, Per: time.Duration(math.MaxInt64), Burst: 2}, false},
		{"refuses a huge burst", Limit{Rate: 1, Per: time.Second, Burst: math.MaxInt}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.l.Validate()
			if tc.valid && err != nil {
				t.Errorf("Validate(%+v) = %v, want nil", tc.l, err)
			}
			if !tc.valid && !errors.Is(err, ErrInvalid) {
				t.Errorf("Validate(%+v) = %v, want ErrInvalid", tc.l, err)
			}
		})
	}
}

func TestValidateKey(t *testing.T) {
	tests := []struct {
		name  string
		key   string
		valid bool
	}{
		{"accepts one byte", "k", true},
		{"accepts MaxKeyLen bytes", strings.Repeat("k", MaxKeyLen), true},
		{"accepts bytes that are not UTF-8", "\xff\x00", true},
		{"refuses the empty key", "", false},
		{"refuses MaxKeyLen+1 bytes", strings.Repeat("k", MaxKeyLen+1), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateKey(tc.key)
			if tc.valid && err != nil {
				t.Errorf("ValidateKey = %v, want nil", err)
			}
			if !tc.valid && !errors.Is(err, ErrInvalid) {
				t.Errorf("ValidateKey = %v, want ErrInvalid", err)
			}
		})
	}
}

// TestGCRA checks the arithmetic where the suite cannot reach: intervals
// that are not whole nanoseconds and times at the ends of int64.
func TestGCRA(t *testing.T) {
	tests := []struct {
		name     string
		l        Limit
		tat, now int64
		wantTat  int64
		want     Result
	}{
		{
			name: "truncates an interval of a third of a second",
			l:    Limit{Rate: 3, Per: time.Second}, tat: math.MinInt64, now: 0,
			wantTat: 333_333_333, want: Result{Allowed: true, Remaining: 2},
		},
		{
			name: "refuses a third event of a burst of 3 only when the debt exceeds it",
			l:    Limit{Rate: 3, Per: time.Second}, tat: 999_999_999, now: 0,
			wantTat: 999_999_999, want: Result{RetryAfter: 333_333_333},
		},
		{
			name: "allows the last event of the burst",
			l:    Limit{Rate: 3, Per: time.Second}, tat: 666_666_666, now: 0,
			wantTat: 999_999_999, want: Result{Allowed: true},
		},
		{
			name: "saturates a key at the end of time",
			l:    Limit{Rate: 1, Per: time.Second, Burst: 2}, tat: math.MaxInt64 - 10, now: math.MaxInt64 - 10,
			wantTat: math.MaxInt64, want: Result{Allowed: true, Remaining: 1},
		},
		{
			name: "saturates a debt wider than int64",
			l:    Limit{Rate: 1, Per: time.Second}, tat: math.MaxInt64, now: math.MinInt64,
			wantTat: math.MaxInt64, want: Result{RetryAfter: time.Duration(math.MaxInt64)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := tc.l.gcra()
			if err != nil {
				t.Fatal(err)
			}
			tat, res := g.allow(tc.tat, tc.now)
			if tat != tc.wantTat || res != tc.want {
				t.Errorf("allow(%d, %d) = %d, %+v; want %d, %+v", tc.tat, tc.now, tat, res, tc.wantTat, tc.want)
			}
		})
	}
}
