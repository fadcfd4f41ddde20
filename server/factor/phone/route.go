package phone

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/store"
)

// route is a tenant's settings as read for delivery, secret included.
type route struct {
	kind      Kind
	twilio    TwilioConfig
	webhook   WebhookConfig
	channels  []Channel
	countries []string
}

// allows reports whether the route may carry a message on ch to a number
// of country.
func (r route) allows(ch Channel, country string) bool {
	return slices.Contains(r.channels, ch) && country != "" && slices.Contains(r.countries, country)
}

// provider returns the provider of r, sending with client and clk.
func (r route) provider(client *http.Client, clk clock.Clock) (Provider, error) {
	if r.kind == KindWebhook {
		return NewWebhook(r.webhook, client, clk)
	}
	return NewTwilio(r.twilio, client)
}

// cachedRoute is a tenant's route (or ErrNotConfigured) until expires.
type cachedRoute struct {
	route   route
	err     error
	expires time.Time
}

// route returns the tenant's settings with its provider secret opened, or
// an error wrapping ErrNotConfigured. Answers are cached for the TTL,
// except for a TTL after Put or Delete changed the tenant on this node:
// its transaction may not have committed yet, and an answer read
// meanwhile would be stale.
func (s *Settings) route(ctx context.Context, tenantID string) (route, error) {
	now := s.clk.Now()
	s.mu.Lock()
	c, hit := s.cache[tenantID]
	s.mu.Unlock()
	if hit && now.Before(c.expires) {
		return c.route, c.err
	}
	var r route
	var found bool
	err := s.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		row, err := s.read(ctx, tx, tenantID)
		if errors.Is(err, store.ErrNotFound) {
			found = false
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		r = route{kind: row.Kind, twilio: row.Twilio, webhook: row.Webhook, channels: row.Channels, countries: row.Countries}
		if !row.SecretSet {
			return nil
		}
		secret, err := s.sec.Open(ctx, tx, binding(tenantID, row.Kind), row.sealed)
		if err != nil {
			return err
		}
		if row.Kind == KindWebhook {
			r.webhook.Secret = string(secret)
		} else {
			r.twilio.AuthToken = string(secret)
		}
		return nil
	})
	if err != nil {
		return route{}, fmt.Errorf("phone: settings of %s: %w", tenantID, err)
	}
	c = cachedRoute{route: r, expires: now.Add(s.ttl)}
	if !found {
		c.route, c.err = route{}, fmt.Errorf("phone: tenant %s: %w", tenantID, ErrNotConfigured)
	}
	s.mu.Lock()
	if until, ok := s.changed[tenantID]; ok && !s.clk.Now().Before(until) {
		delete(s.changed, tenantID)
	}
	if _, recent := s.changed[tenantID]; !recent {
		s.cache[tenantID] = c
	}
	s.mu.Unlock()
	return c.route, c.err
}

// forget drops the tenant's cached route and keeps it out of the cache for
// a TTL (see route).
func (s *Settings) forget(tenantID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cache, tenantID)
	s.changed[tenantID] = s.clk.Now().Add(s.ttl)
}
