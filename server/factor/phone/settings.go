package phone

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// Kind names a provider.
type Kind string

// The providers a tenant can configure.
const (
	KindTwilio  Kind = "twilio"
	KindWebhook Kind = "webhook"
)

// Purposes that bind sealed provider secrets (secrets.Binding.Purpose);
// one per kind, so that a secret never opens as the other kind's.
const (
	twilioTokenPurpose   = "phone.twilio-auth-token"
	webhookSecretPurpose = "phone.webhook-secret"
)

// DefaultCacheTTL is how long a node keeps a tenant's provider settings
// for delivery before reading them again, and so how stale another node's
// change may be seen.
const DefaultCacheTTL = 30 * time.Second

// maxCountries bounds a country allowlist.
const maxCountries = 300

// TenantSettings is a tenant's phone settings as stored, without secrets.
type TenantSettings struct {
	TenantID string
	Kind     Kind
	// Twilio is the configuration when Kind is KindTwilio, with AuthToken
	// always "": secrets are write-only.
	Twilio TwilioConfig
	// Webhook is the configuration when Kind is KindWebhook, with Secret
	// always "".
	Webhook WebhookConfig
	// SecretSet tells whether the provider's secret is stored.
	SecretSet bool
	// Channels are the enabled channels, sorted.
	Channels []Channel
	// Countries is the allowlist of ISO 3166-1 alpha-2 codes, sorted. It
	// is opt-in: an empty list allows no country at all.
	Countries []string
	// Caps are the caps against SMS pumping, defaults filled in.
	Caps      Caps
	UpdatedAt time.Time
}

// SettingsInput is what Put writes.
type SettingsInput struct {
	// Kind selects the provider; the other kind's fields are ignored.
	Kind Kind
	// Twilio configures KindTwilio. An empty AuthToken keeps the stored
	// one when the tenant already uses Twilio.
	Twilio TwilioConfig
	// Webhook configures KindWebhook. An empty Secret keeps the stored
	// one when the tenant already uses a webhook.
	Webhook WebhookConfig
	// Channels enables SMS, Voice or both; at least one. Voice over
	// Twilio needs Twilio.From.
	Channels []Channel
	// Countries lists the ISO 3166-1 alpha-2 codes (any case) of the
	// countries messages may go to. Empty allows none: SMS is opt-in per
	// country, since pumping targets countries a tenant never serves.
	Countries []string
	// Caps are the caps against SMS pumping; zero fields take defaults.
	Caps Caps
}

// SettingsOptions configure Settings; every field is optional.
type SettingsOptions struct {
	// Egress, when set, lets Put refuse at once a provider URL that
	// resolves to addresses outbound calls may not reach (they are checked
	// again at every send).
	Egress *egress.Dialer
	// CacheTTL bounds how long settings read for delivery are reused; 0
	// means DefaultCacheTTL.
	CacheTTL time.Duration
}

// Settings holds each tenant's phone provider, channels, country allowlist
// and caps. Provider secrets (Twilio auth token, webhook secret) are
// sealed through the secrets service, bound to their tenant.
//
// Get, Put and Delete work in the caller's transaction. Enqueue reads the
// settings in its transaction; delivery reads them through a cache, and
// sees a Put or Delete made on this node once it commits, other nodes'
// within CacheTTL. Settings is safe for concurrent use.
type Settings struct {
	st     store.Store
	sec    *secrets.Service
	clk    clock.Clock
	egress *egress.Dialer
	ttl    time.Duration

	mu      sync.Mutex
	cache   map[string]cachedRoute
	changed map[string]time.Time // tenant → until when lookups bypass the cache
}

// NewSettings returns the settings kept in st, sealing secrets with sec.
func NewSettings(st store.Store, sec *secrets.Service, clk clock.Clock, opts SettingsOptions) *Settings {
	s := &Settings{st: st, sec: sec, clk: clk, egress: opts.Egress, ttl: opts.CacheTTL,
		cache: map[string]cachedRoute{}, changed: map[string]time.Time{}}
	if s.ttl <= 0 {
		s.ttl = DefaultCacheTTL
	}
	return s
}

// storedConfig is the JSON of phone_settings.config: the provider's
// configuration without its secret.
type storedConfig struct {
	AccountSID          string `json:"account_sid,omitempty"`
	From                string `json:"from,omitempty"`
	MessagingServiceSID string `json:"messaging_service_sid,omitempty"`
	BaseURL             string `json:"base_url,omitempty"`
	StatusCallback      string `json:"status_callback,omitempty"`
	URL                 string `json:"url,omitempty"`
}

// settingsCols are the columns of phone_settings, in the order read scans.
const settingsCols = `tenant_id, provider, config, secret_sealed, channels, countries,
	cap_number_hour, cap_number_day, cap_ip_day, cap_tenant_day, updated_at`

// row is stored settings with the sealed secret.
type row struct {
	TenantSettings
	sealed []byte
}

// read returns the tenant's stored settings, or store.ErrNotFound.
func (s *Settings) read(ctx context.Context, tx store.Tx, tenantID string) (row, error) {
	var r row
	var kind string
	var config, channels, countries []byte
	err := tx.QueryRow(ctx, `SELECT `+settingsCols+` FROM phone_settings WHERE tenant_id = ?`, tenantID).
		Scan(&r.TenantID, &kind, &config, &r.sealed, &channels, &countries,
			&r.Caps.PerNumberHour, &r.Caps.PerNumberDay, &r.Caps.PerClientIPDay, &r.Caps.PerTenantDay, &r.UpdatedAt)
	if err != nil {
		return row{}, err
	}
	r.Kind, r.SecretSet = Kind(kind), len(r.sealed) > 0
	var c storedConfig
	var chans []string
	if err := errors.Join(json.Unmarshal(config, &c), store.ParseJSONList(channels, &chans),
		store.ParseJSONList(countries, &r.Countries)); err != nil {
		return row{}, fmt.Errorf("stored settings: %w", err)
	}
	for _, ch := range chans {
		r.Channels = append(r.Channels, Channel(ch))
	}
	switch r.Kind {
	case KindTwilio:
		r.Twilio = TwilioConfig{AccountSID: c.AccountSID, From: c.From, MessagingServiceSID: c.MessagingServiceSID,
			BaseURL: c.BaseURL, StatusCallback: c.StatusCallback}
	case KindWebhook:
		r.Webhook = WebhookConfig{URL: c.URL}
	default:
		return row{}, fmt.Errorf("stored settings: unknown provider %q", kind)
	}
	return r, nil
}

// Get returns the tenant's settings without secrets, or an error wrapping
// both ErrNotConfigured and store.ErrNotFound when it has none.
func (s *Settings) Get(ctx context.Context, tx store.Tx, tenantID string) (TenantSettings, error) {
	r, err := s.read(ctx, tx, tenantID)
	if errors.Is(err, store.ErrNotFound) {
		err = fmt.Errorf("%w: %w", ErrNotConfigured, err)
	}
	if err != nil {
		return TenantSettings{}, fmt.Errorf("phone: settings of %s: %w", tenantID, err)
	}
	return r.TenantSettings, nil
}

// Put validates in and makes it the tenant's settings, replacing any.
// Refused input returns an error holding an *invalid.Error per problem,
// all at once, naming the field ("kind", "twilio.account_sid",
// "webhook.secret", "channels", "countries[2]", "caps.per_tenant_day",
// …), and writes nothing. Reasons never quote secrets.
func (s *Settings) Put(ctx context.Context, tx store.Tx, tenantID string, in SettingsInput) (TenantSettings, error) {
	old, err := s.read(ctx, tx, tenantID)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return TenantSettings{}, fmt.Errorf("phone: settings of %s: %w", tenantID, err)
	}
	keep := exists && old.Kind == in.Kind && old.SecretSet
	out, secret, err := s.validate(ctx, tenantID, in, keep)
	if err != nil {
		return TenantSettings{}, fmt.Errorf("phone: settings of %s: %w", tenantID, err)
	}
	sealed := old.sealed
	if secret != "" {
		if sealed, err = s.sec.Seal(binding(tenantID, out.Kind), []byte(secret)); err != nil {
			return TenantSettings{}, fmt.Errorf("phone: seal provider secret: %w", err)
		}
	}
	c := storedConfig{AccountSID: out.Twilio.AccountSID, From: out.Twilio.From, MessagingServiceSID: out.Twilio.MessagingServiceSID,
		BaseURL: out.Twilio.BaseURL, StatusCallback: out.Twilio.StatusCallback, URL: out.Webhook.URL}
	config, err := json.Marshal(c)
	if err != nil {
		return TenantSettings{}, fmt.Errorf("phone: settings of %s: %w", tenantID, err)
	}
	chans := make([]string, len(out.Channels))
	for i, ch := range out.Channels {
		chans[i] = string(ch)
	}
	out.TenantID, out.SecretSet = tenantID, true
	out.UpdatedAt = s.clk.Now().UTC().Truncate(time.Microsecond)
	args := []any{tenantID, string(out.Kind), string(config), sealed, store.JSONList(chans), store.JSONList(out.Countries),
		out.Caps.PerNumberHour, out.Caps.PerNumberDay, out.Caps.PerClientIPDay, out.Caps.PerTenantDay, out.UpdatedAt}
	q := `INSERT INTO phone_settings (` + settingsCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if exists {
		q = `UPDATE phone_settings SET provider = ?, config = ?, secret_sealed = ?, channels = ?, countries = ?,
			cap_number_hour = ?, cap_number_day = ?, cap_ip_day = ?, cap_tenant_day = ?, updated_at = ? WHERE tenant_id = ?`
		args = append(args[1:], tenantID)
	}
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return TenantSettings{}, fmt.Errorf("phone: write settings of %s: %w", tenantID, err)
	}
	s.forget(tenantID)
	return out, nil
}

// validate checks in and returns the settings to store (without the
// secret) and the new secret, "" when the stored one is kept.
func (s *Settings) validate(ctx context.Context, tenantID string, in SettingsInput, keep bool) (TenantSettings, string, error) {
	var errs []error
	out := TenantSettings{Kind: in.Kind}
	var secret string
	if tenantID == "" {
		errs = append(errs, invalid.Field("tenant_id", "must be set"))
	}
	var urls map[string]string // field → URL to check with egress
	switch in.Kind {
	case KindTwilio:
		c, err := in.Twilio.validate(!keep)
		errs = append(errs, err)
		secret, c.AuthToken = c.AuthToken, ""
		out.Twilio = c
		if c.BaseURL != DefaultTwilioBaseURL {
			urls = map[string]string{"twilio.base_url": c.BaseURL}
		}
	case KindWebhook:
		c, err := in.Webhook.validate(!keep)
		errs = append(errs, err)
		secret, c.Secret = c.Secret, ""
		out.Webhook = c
		urls = map[string]string{"webhook.url": c.URL}
	default:
		errs = append(errs, invalid.Field("kind", "must be twilio or webhook"))
	}
	out.Channels = slices.Clone(in.Channels)
	slices.Sort(out.Channels)
	out.Channels = slices.Compact(out.Channels)
	if len(out.Channels) == 0 {
		errs = append(errs, invalid.Field("channels", "must enable sms, voice or both"))
	}
	for i, ch := range in.Channels {
		if !ch.Valid() {
			errs = append(errs, invalid.Field(fmt.Sprintf("channels[%d]", i), "must be sms or voice"))
		}
	}
	if in.Kind == KindTwilio && slices.Contains(out.Channels, Voice) && in.Twilio.From == "" && in.Twilio.MessagingServiceSID != "" {
		errs = append(errs, invalid.Field("twilio.from", "must be set for voice calls"))
	}
	if len(in.Countries) > maxCountries {
		errs = append(errs, invalid.Field("countries", "must list at most %d countries", maxCountries))
	}
	out.Countries = []string{}
	for i, c := range in.Countries {
		c = strings.ToUpper(c)
		if !knownCountry(c) {
			errs = append(errs, invalid.Field(fmt.Sprintf("countries[%d]", i), "must be the ISO 3166-1 alpha-2 code of a country with phone numbers"))
			continue
		}
		out.Countries = append(out.Countries, c)
	}
	slices.Sort(out.Countries)
	out.Countries = slices.Compact(out.Countries)
	var err error
	out.Caps, err = in.Caps.validate()
	errs = append(errs, err)
	if s.egress != nil {
		for field, u := range urls {
			if invalidField(errs, field) {
				continue
			}
			if err := s.egress.CheckURL(ctx, u); err != nil {
				errs = append(errs, invalid.Field(field, "must reach only addresses that outbound calls may reach"))
			}
		}
	}
	return out, secret, errors.Join(errs...)
}

// invalidField reports whether errs already refuse field.
func invalidField(errs []error, field string) bool {
	for _, e := range invalid.All(errors.Join(errs...)) {
		if e.Field == field {
			return true
		}
	}
	return false
}

// Delete removes the tenant's settings, so that it sends no SMS and makes
// no calls; messages still queued then fail. It returns an error wrapping
// store.ErrNotFound (and ErrNotConfigured) when the tenant has none.
func (s *Settings) Delete(ctx context.Context, tx store.Tx, tenantID string) error {
	n, err := tx.Exec(ctx, `DELETE FROM phone_settings WHERE tenant_id = ?`, tenantID)
	if err == nil && n == 0 {
		err = fmt.Errorf("%w: %w", ErrNotConfigured, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("phone: delete settings of %s: %w", tenantID, err)
	}
	s.forget(tenantID)
	return nil
}

// binding is the row a tenant's sealed provider secret belongs to.
func binding(tenantID string, kind Kind) secrets.Binding {
	purpose := twilioTokenPurpose
	if kind == KindWebhook {
		purpose = webhookSecretPurpose
	}
	return secrets.Binding{Tenant: tenantID, Purpose: purpose, Row: tenantID}
}
