package ratelimittest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/edge/ratelimit"
)

func testInvalidLimits(t *testing.T, f fixture) {
	good := ratelimit.Limit{Rate: 2, Per: time.Second}
	tests := []struct {
		name string
		l    ratelimit.Limit
	}{
		{"zero limit", ratelimit.Limit{}},
		{"zero rate", ratelimit.Limit{Rate: 0, Per: time.Second}},
		{"negative rate", ratelimit.Limit{Rate: -1, Per: time.Second}},
		{"zero period", ratelimit.Limit{Rate: 1}},
		{"negative period", ratelimit.Limit{Rate: 1, Per: -time.Second}},
		{"negative burst", ratelimit.Limit{Rate: 1, Per: time.Second, Burst: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := "invalid-limit:" + tc.name
			res, err := f.lim.Allow(context.Background(), key, tc.l)
			if !errors.Is(err, ratelimit.ErrInvalid) {
				t.Fatalf("Allow(%+v) error = %v, want ErrInvalid", tc.l, err)
			}
			if res != (ratelimit.Result{}) {
				t.Errorf("Allow(%+v) = %+v with an error, want the zero Result", tc.l, res)
			}
			f.drain(t, key, good) // the refused call used nothing
		})
	}
}

func testInvalidKeys(t *testing.T, f fixture) {
	l := ratelimit.Limit{Rate: 1, Per: time.Second}
	tests := []struct{ name, key string }{
		{"empty", ""},
		{"one byte too long", strings.Repeat("k", ratelimit.MaxKeyLen+1)},
		{"far too long", strings.Repeat("k", 1<<20)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := f.lim.Allow(context.Background(), tc.key, l)
			if !errors.Is(err, ratelimit.ErrInvalid) {
				t.Fatalf("Allow of a %d-byte key: error = %v, want ErrInvalid", len(tc.key), err)
			}
			if res != (ratelimit.Result{}) {
				t.Errorf("Allow of a %d-byte key = %+v with an error, want the zero Result", len(tc.key), res)
			}
			if len(tc.key) > 0 && strings.Contains(err.Error(), tc.key) {
				t.Errorf("error %q quotes the key", err)
			}
		})
	}
}

func testContext(t *testing.T, f fixture) {
	l := ratelimit.Limit{Rate: 2, Per: time.Second}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()
	tests := []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"cancelled", cancelled, context.Canceled},
		{"past its deadline", expired, context.DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := "context:" + tc.name
			res, err := f.lim.Allow(tc.ctx, key, l)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Allow error = %v, want %v", err, tc.want)
			}
			if res != (ratelimit.Result{}) {
				t.Errorf("Allow = %+v with an error, want the zero Result", res)
			}
			f.drain(t, key, l)
		})
	}
}
