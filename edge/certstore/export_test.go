package certstore

import "time"

// SetRenewHooks makes s's renewal goroutines wait on after instead of
// time.After and report each renewal to renewed (nil: not reported), so
// that tests drive renewal with a fake clock. Call it before Lock.
func SetRenewHooks(s *Storage, after func(time.Duration) <-chan time.Time, renewed func(name string, err error)) {
	s.hooks = hooks{after: after, renewed: renewed}
}
