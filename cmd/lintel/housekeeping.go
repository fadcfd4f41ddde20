package main

import (
	"context"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// eventDeliveryRetention is how long delivered and dead event hook
// deliveries are kept: long enough for a tenant to notice dead letters
// and redeliver them.
const eventDeliveryRetention = 14 * 24 * time.Hour

// housekeeping removes what has outlived its use (expired flows,
// authorization codes, sessions, refresh tokens, grants, replay records,
// sent mail, finished event hook deliveries)
// and rotates signing keys when they are due. Each purge is idempotent, so every node
// of a cluster may run it.
func housekeeping(ctx context.Context, s *system, ticks <-chan time.Time) {
	for {
		if n, err := s.engine.PurgeFlows(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "housekeeping: flows", "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "housekeeping: flows purged", "deleted", n)
		}
		if n, err := s.oidc.PurgeCodes(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "housekeeping: codes", "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "housekeeping: codes purged", "deleted", n)
		}
		if n, err := s.oidc.PurgeTokens(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "housekeeping: tokens", "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "housekeeping: token records purged", "deleted", n)
		}
		s.purgeMail(ctx)   // mail.go
		s.purgePhones(ctx) // phone.go
		if n, err := s.eventHooks.Purge(ctx, s.clock.Now().Add(-eventDeliveryRetention)); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "housekeeping: event hook deliveries", "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "housekeeping: event hook deliveries purged", "deleted", n)
		}
		if rep, err := s.oidc.RotateKeys(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "housekeeping: key rotation", "err", err)
		} else if rep.Created > 0 || rep.Deleted > 0 {
			s.log.InfoContext(ctx, "housekeeping: signing keys rotated", "created", rep.Created, "deleted", rep.Deleted)
		}
		var replays int
		err := s.store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
			var err error
			replays, err = s.federation.PurgeSAMLReplays(ctx, tx, s.clock.Now())
			return err
		})
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "housekeeping: SAML replay cache", "err", err)
		} else if replays > 0 {
			s.log.InfoContext(ctx, "housekeeping: SAML replay records purged", "deleted", replays)
		}
		var n int64
		err = s.store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
			var err error
			n, err = s.sessions.Purge(ctx, tx)
			return err
		})
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "housekeeping: sessions", "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "housekeeping: sessions purged", "deleted", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticks:
		}
	}
}
