package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/lintel-id/lintel/edge/ratelimit"
	"github.com/lintel-id/lintel/server/factor/phone"
)

// phoneInterval is how often the SMS and voice outbox is looked at.
const phoneInterval = 2 * time.Second

// phoneLimits lets the phone outbox count sends with an edge/ratelimit
// Limiter, like engineLimits for the engine.
type phoneLimits struct{ l ratelimit.Limiter }

// Allow implements phone.Limiter.
func (a phoneLimits) Allow(ctx context.Context, key string, l phone.Limit) (bool, time.Duration, error) {
	return allow(ctx, a.l, key, ratelimit.Limit{Rate: l.Rate, Per: l.Per}) // limits.go
}

// openPhones sets up the tenants' SMS and voice settings and the outbox
// their codes leave through (egress-checked, like every outbound call).
func (s *system) openPhones() {
	s.phoneSettings = phone.NewSettings(s.store, s.secrets, s.clock, phone.SettingsOptions{Egress: s.egress})
	s.phones = phone.NewOutbox(s.store, s.phoneSettings, phoneLimits{s.limits}, s.egress.Client(), s.clock, phone.Options{Logger: s.log})
}

// runPhones delivers the phone outbox until ctx ends or stop is called;
// stop returns once the worker has stopped.
func (s *system) runPhones(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	ticker := time.NewTicker(phoneInterval)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer ticker.Stop()
		if err := s.phones.Run(ctx, ticker.C); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error("phone delivery stopped", "err", err)
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}

// purgePhones deletes sent and failed texts and calls older than the mail
// retention (both hold the same kind of record).
func (s *system) purgePhones(ctx context.Context) {
	if n, err := s.phones.Purge(ctx, s.mailRetention); err != nil && ctx.Err() == nil {
		s.log.ErrorContext(ctx, "housekeeping: phone outbox", "err", err)
	} else if n > 0 {
		s.log.InfoContext(ctx, "housekeeping: sent texts and calls purged", "deleted", n)
	}
}
