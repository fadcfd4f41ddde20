package mail

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// passwordPurpose binds sealed relay passwords (secrets.Binding.Purpose).
const passwordPurpose = "mail.smtp-password"

// DefaultCacheTTL is how long a node keeps a tenant's relay before reading
// it again, and so how stale another node's change may be seen.
const DefaultCacheTTL = 30 * time.Second

// TenantRelay is a tenant's relay as stored, without its password.
type TenantRelay struct {
	TenantID string
	Host     string
	Port     int
	Username string
	// PasswordSet tells whether a password is stored. The password itself
	// is write-only: nothing reads it back but the sender.
	PasswordSet bool
	TLS         TLSPolicy
	From        string
	UpdatedAt   time.Time
}

// RelayInput is what Put writes.
type RelayInput struct {
	Host     string
	Port     int
	Username string
	// Password, when not nil, replaces the stored password ("" removes
	// it); nil keeps the stored one. Clearing Username removes it too.
	Password *string
	// TLS is the TLS policy; "" means StartTLS. NoTLS is refused unless
	// Host is on loopback.
	TLS  TLSPolicy
	From string
}

// SettingsOptions configure Settings; every field is optional.
type SettingsOptions struct {
	// Instance is the default relay of tenants without their own; a zero
	// Host means none.
	Instance Relay
	// Egress, when set, lets Put refuse at once a tenant's relay that is
	// an IP address (or localhost) outbound connections may not reach.
	// Names are checked when they are dialed.
	Egress *egress.Dialer
	// CacheTTL bounds how long a relay read for sending is reused; 0 means
	// DefaultCacheTTL.
	CacheTTL time.Duration
}

// Settings holds the tenants' SMTP relays and the instance default, and
// answers which relay and sender address serve a tenant. Passwords are
// sealed through the secrets service, bound to their tenant.
//
// Get, Put, Delete and From work in the caller's transaction. A change made
// with Put or Delete is seen by this node's senders once it commits, and by
// other nodes' within CacheTTL. Settings is safe for concurrent use.
type Settings struct {
	st       store.Store
	sec      *secrets.Service
	clk      clock.Clock
	instance Relay
	egress   *egress.Dialer
	ttl      time.Duration

	mu      sync.Mutex
	cache   map[string]cachedRoute
	changed map[string]time.Time // tenant → until when lookups bypass the cache
}

// NewSettings returns the relays kept in st, sealing passwords with sec.
// It refuses an invalid opts.Instance (with an *invalid.Error per field);
// the instance relay may use NoTLS with any host, since the operator chose
// it.
func NewSettings(st store.Store, sec *secrets.Service, clk clock.Clock, opts SettingsOptions) (*Settings, error) {
	s := &Settings{st: st, sec: sec, clk: clk, egress: opts.Egress, ttl: opts.CacheTTL,
		cache: map[string]cachedRoute{}, changed: map[string]time.Time{}}
	if s.ttl <= 0 {
		s.ttl = DefaultCacheTTL
	}
	if opts.Instance.configured() {
		r, err := opts.Instance.validate(false, nil)
		if err != nil {
			return nil, fmt.Errorf("mail: instance relay: %w", err)
		}
		s.instance = r
	}
	return s, nil
}

const relayCols = `tenant_id, host, port, username, password_sealed, tls, from_addr, updated_at`

// row is a stored relay with its sealed password.
type row struct {
	TenantRelay
	sealed []byte
}

func (s *Settings) read(ctx context.Context, tx store.Tx, tenantID string) (row, error) {
	var r row
	var tls string
	err := tx.QueryRow(ctx, `SELECT `+relayCols+` FROM mail_settings WHERE tenant_id = ?`, tenantID).
		Scan(&r.TenantID, &r.Host, &r.Port, &r.Username, &r.sealed, &tls, &r.From, &r.UpdatedAt)
	r.TLS, r.PasswordSet = TLSPolicy(tls), len(r.sealed) > 0
	return r, err
}

// Get returns the tenant's relay, or an error wrapping store.ErrNotFound
// when it has none (it uses the instance default).
func (s *Settings) Get(ctx context.Context, tx store.Tx, tenantID string) (TenantRelay, error) {
	r, err := s.read(ctx, tx, tenantID)
	if err != nil {
		return TenantRelay{}, fmt.Errorf("mail: relay of %s: %w", tenantID, err)
	}
	return r.TenantRelay, nil
}

// Put validates in and makes it the tenant's relay, replacing any. Refused
// input returns an error holding an *invalid.Error per field (host, port,
// username, password, tls, from) and writes nothing.
func (s *Settings) Put(ctx context.Context, tx store.Tx, tenantID string, in RelayInput) (TenantRelay, error) {
	old, err := s.read(ctx, tx, tenantID)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return TenantRelay{}, fmt.Errorf("mail: relay of %s: %w", tenantID, err)
	}
	r := Relay{Host: in.Host, Port: in.Port, Username: in.Username, TLS: in.TLS, From: in.From}
	keep := in.Password == nil && in.Username != "" && old.PasswordSet
	if in.Password != nil {
		r.Password = *in.Password
	}
	if r, err = r.validate(true, s.egress); err != nil {
		return TenantRelay{}, fmt.Errorf("mail: relay of %s: %w", tenantID, err)
	}
	b := binding(tenantID)
	sealed := []byte{}
	switch {
	case keep:
		sealed = old.sealed
	case r.Password != "":
		if sealed, err = s.sec.Seal(b, []byte(r.Password)); err != nil {
			return TenantRelay{}, fmt.Errorf("mail: seal relay password: %w", err)
		}
	}
	now := s.clk.Now().UTC().Truncate(time.Microsecond)
	q := `INSERT INTO mail_settings (` + relayCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	args := []any{tenantID, r.Host, r.Port, r.Username, sealed, string(r.TLS), r.From, now}
	if exists {
		q = `UPDATE mail_settings SET host = ?, port = ?, username = ?, password_sealed = ?, tls = ?, from_addr = ?, updated_at = ?
			WHERE tenant_id = ?`
		args = append(args[1:], tenantID)
	}
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return TenantRelay{}, fmt.Errorf("mail: write relay of %s: %w", tenantID, err)
	}
	s.forget(tenantID)
	return TenantRelay{TenantID: tenantID, Host: r.Host, Port: r.Port, Username: r.Username, PasswordSet: len(sealed) > 0,
		TLS: r.TLS, From: r.From, UpdatedAt: now}, nil
}

// Delete removes the tenant's relay, so that its mail goes through the
// instance default. It returns an error wrapping store.ErrNotFound when
// the tenant has none.
func (s *Settings) Delete(ctx context.Context, tx store.Tx, tenantID string) error {
	n, err := tx.Exec(ctx, `DELETE FROM mail_settings WHERE tenant_id = ?`, tenantID)
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("mail: delete relay of %s: %w", tenantID, err)
	}
	s.forget(tenantID)
	return nil
}

// From returns the sender address for the tenant's mail: its relay's,
// else the instance default's, else an error wrapping ErrNotConfigured.
func (s *Settings) From(ctx context.Context, tx store.Tx, tenantID string) (string, error) {
	var from string
	err := tx.QueryRow(ctx, `SELECT from_addr FROM mail_settings WHERE tenant_id = ?`, tenantID).Scan(&from)
	switch {
	case err == nil:
		return from, nil
	case !errors.Is(err, store.ErrNotFound):
		return "", fmt.Errorf("mail: sender of %s: %w", tenantID, err)
	case s.instance.configured():
		return s.instance.From, nil
	}
	return "", fmt.Errorf("mail: sender of %s: %w", tenantID, ErrNotConfigured)
}

// FromBrand returns the sender address for mail of the tenant's brand:
// the brand's own (see BrandSenders) when it has one, else what From
// returns.
func (s *Settings) FromBrand(ctx context.Context, tx store.Tx, tenantID, brandID string) (string, error) {
	var addr, name string
	err := tx.QueryRow(ctx, `SELECT address, name FROM brand_senders WHERE brand_id = ? AND tenant_id = ?`, brandID, tenantID).
		Scan(&addr, &name)
	switch {
	case err == nil:
		return BrandSender{Address: addr, Name: name}.From(), nil
	case !errors.Is(err, store.ErrNotFound):
		return "", fmt.Errorf("mail: sender of brand %s: %w", brandID, err)
	}
	return s.From(ctx, tx, tenantID)
}

// binding is the row a tenant's sealed relay password belongs to.
func binding(tenantID string) secrets.Binding {
	return secrets.Binding{Tenant: tenantID, Purpose: passwordPurpose, Row: tenantID}
}
