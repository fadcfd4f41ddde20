package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/server/store"
)

// cachedRoute is a tenant's relay (or ErrNotConfigured) as read for
// sending, until expires.
type cachedRoute struct {
	relay   Relay
	err     error
	expires time.Time
}

// route returns the relay that carries the tenant's mail, password
// included: its own, else the instance default, else an error wrapping
// ErrNotConfigured. Answers are cached for the TTL, except for a TTL after
// Put or Delete changed the tenant on this node: its transaction may not
// have committed yet, and an answer read meanwhile would be stale.
func (s *Settings) route(ctx context.Context, tenantID string) (Relay, error) {
	now := s.clk.Now()
	s.mu.Lock()
	c, hit := s.cache[tenantID]
	s.mu.Unlock()
	if hit && now.Before(c.expires) {
		return c.relay, c.err
	}
	var r Relay
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
		r = Relay{Host: row.Host, Port: row.Port, Username: row.Username, TLS: row.TLS, From: row.From}
		if row.PasswordSet {
			pw, err := s.sec.Open(ctx, tx, binding(tenantID), row.sealed)
			if err != nil {
				return err
			}
			r.Password = string(pw)
		}
		return nil
	})
	if err != nil {
		return Relay{}, fmt.Errorf("mail: relay of %s: %w", tenantID, err)
	}
	c = cachedRoute{relay: r, expires: now.Add(s.ttl)}
	switch {
	case found:
	case s.instance.configured():
		c.relay = s.instance
	default:
		c.relay, c.err = Relay{}, fmt.Errorf("tenant %s: %w", tenantID, ErrNotConfigured)
	}
	s.mu.Lock()
	if until, ok := s.changed[tenantID]; ok && !s.clk.Now().Before(until) {
		delete(s.changed, tenantID)
	}
	if _, recent := s.changed[tenantID]; !recent {
		s.cache[tenantID] = c
	}
	s.mu.Unlock()
	return c.relay, c.err
}

// forget drops the tenant's cached relay and keeps it out of the cache for
// a TTL (see route).
func (s *Settings) forget(tenantID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cache, tenantID)
	s.changed[tenantID] = s.clk.Now().Add(s.ttl)
}

// RouterOptions tune a Router; zero fields take the defaults.
type RouterOptions struct {
	// Timeout bounds connecting and each SMTP command; 0 means
	// DefaultTimeout. Keep it well under the outbox lease.
	Timeout time.Duration
	// TLS, when set, is the base TLS configuration (tests pass RootCAs);
	// its ServerName is set to each relay's host.
	TLS *tls.Config
	// Senders, when set, signs with DKIM every message whose From domain
	// is a brand sender's of the message's tenant.
	Senders *BrandSenders
}

// Router is the Sender of the outbox: it sends each message through its
// tenant's relay, else the instance default (see Settings), and dials every
// connection through the egress dialer, so that a tenant's relay cannot
// reach loopback, private or link-local addresses unless egress.allow
// lists them. A message whose tenant has no relay and the instance none
// fails with ErrNotConfigured and stays queued. Router is safe for
// concurrent use.
type Router struct {
	settings *Settings
	dialer   *egress.Dialer
	opts     RouterOptions
}

// NewRouter returns a Router over s that dials through d.
func NewRouter(s *Settings, d *egress.Dialer, opts RouterOptions) *Router {
	return &Router{settings: s, dialer: d, opts: opts}
}

// Send delivers m through the relay of m.TenantID; see Sender.
func (r *Router) Send(ctx context.Context, m Message) error {
	relay, err := r.settings.route(ctx, m.TenantID)
	if err != nil {
		return err
	}
	var tc *tls.Config
	if r.opts.TLS != nil {
		tc = r.opts.TLS.Clone()
		tc.ServerName = relay.Host
	}
	s := &SMTP{Host: relay.Host, Port: relay.Port, Username: relay.Username, Password: relay.Password,
		TLS: relay.TLS, Timeout: r.opts.Timeout, TLSConfig: tc, Dial: r.dialer.DialContext}
	if r.opts.Senders != nil {
		if s.DKIM, err = r.opts.Senders.signer(ctx, m.TenantID, m.From); err != nil {
			return err
		}
	}
	return s.Send(ctx, m)
}

var _ Sender = (*Router)(nil)
