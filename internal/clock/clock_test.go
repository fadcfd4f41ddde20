package clock_test

import (
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
)

var start = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestSystem(t *testing.T) {
	tests := []struct {
		name  string
		check func(t *testing.T, now time.Time)
	}{
		{"returns UTC times", func(t *testing.T, now time.Time) {
			if now.Location() != time.UTC {
				t.Errorf("location = %v, want UTC", now.Location())
			}
		}},
		{"returns the real time", func(t *testing.T, now time.Time) {
			if d := time.Since(now); d < 0 || d > time.Minute {
				t.Errorf("System().Now() is %v away from time.Now()", d)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, clock.System().Now())
		})
	}
}

func TestFake(t *testing.T) {
	tests := []struct {
		name string
		act  func(f *clock.Fake)
		want time.Time
	}{
		{"starts at the given time", func(*clock.Fake) {}, start},
		{"stands still without being told", func(f *clock.Fake) { f.Now(); f.Now() }, start},
		{"advances by a duration", func(f *clock.Fake) { f.Advance(90 * time.Second) }, start.Add(90 * time.Second)},
		{"advances cumulatively", func(f *clock.Fake) { f.Advance(time.Hour); f.Advance(time.Hour) }, start.Add(2 * time.Hour)},
		{"moves back on a negative advance", func(f *clock.Fake) { f.Advance(-time.Minute) }, start.Add(-time.Minute)},
		{"jumps to a set time", func(f *clock.Fake) { f.Set(start.AddDate(1, 0, 0)) }, start.AddDate(1, 0, 0)},
		{"steps backwards when set earlier", func(f *clock.Fake) { f.Set(start.Add(-time.Hour)) }, start.Add(-time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := clock.NewFake(start)
			tt.act(f)
			if got := f.Now(); !got.Equal(tt.want) {
				t.Errorf("Now() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFakeAdvanceReturnsNewTime(t *testing.T) {
	f := clock.NewFake(start)
	if got, want := f.Advance(time.Minute), start.Add(time.Minute); !got.Equal(want) {
		t.Errorf("Advance returned %v, want %v", got, want)
	}
}

func TestFakeZeroValueReadsZeroTime(t *testing.T) {
	var f clock.Fake
	if got := f.Now(); !got.IsZero() {
		t.Errorf("zero Fake Now() = %v, want zero time", got)
	}
}

func TestFakeIsSafeForConcurrentUse(t *testing.T) {
	f := clock.NewFake(start)
	const goroutines, steps = 8, 100
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range steps {
				f.Advance(time.Second)
				_ = f.Now()
			}
		})
	}
	wg.Wait()
	if got, want := f.Now(), start.Add(goroutines*steps*time.Second); !got.Equal(want) {
		t.Errorf("after concurrent advances Now() = %v, want %v", got, want)
	}
}
