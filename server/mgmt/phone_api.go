package mgmt

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/factor/phone"
	"github.com/lintel-id/lintel/server/store"
)

// PhoneSettingsView is a tenant's SMS and voice provider. The provider's
// secret (Twilio auth token, webhook signing secret) is write-only: only
// whether one is stored is shown.
type PhoneSettingsView struct {
	TenantID string `json:"tenant_id"`
	Kind     string `json:"kind" enum:"twilio,webhook"`
	// Twilio and Webhook: only the one of Kind is shown.
	Twilio    *PhoneTwilioView  `json:"twilio,omitempty" doc:"The Twilio-compatible provider, when kind is twilio"`
	Webhook   *PhoneWebhookView `json:"webhook,omitempty" doc:"The webhook provider, when kind is webhook"`
	SecretSet bool              `json:"secret_set" doc:"Whether the provider's secret is stored; the secret itself is never returned"`
	Channels  []string          `json:"channels" enum:"sms,voice" doc:"Enabled channels, sorted"`
	Countries []string          `json:"countries" doc:"ISO 3166-1 alpha-2 codes of the countries messages may go to, sorted; empty allows none"`
	Caps      PhoneCaps         `json:"caps"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// PhoneTwilioView is the Twilio-compatible provider, without its token.
type PhoneTwilioView struct {
	AccountSID          string `json:"account_sid"`
	From                string `json:"from" doc:"Sending number in E.164; empty when SMS go through the messaging service"`
	MessagingServiceSID string `json:"messaging_service_sid"`
	BaseURL             string `json:"base_url"`
	StatusCallback      string `json:"status_callback"`
}

// PhoneWebhookView is the webhook provider, without its secret.
type PhoneWebhookView struct {
	URL string `json:"url"`
}

// PhoneCaps bound a tenant's messages, against SMS pumping.
type PhoneCaps struct {
	PerNumberHour  int `json:"per_number_hour" doc:"Messages to one number per hour"`
	PerNumberDay   int `json:"per_number_day" doc:"Messages to one number per day"`
	PerClientIPDay int `json:"per_client_ip_day" doc:"Messages requested from one client address (an IPv6 address counting as its /64) per day"`
	PerTenantDay   int `json:"per_tenant_day" doc:"All the tenant's messages per day"`
}

func phoneView(s phone.TenantSettings) PhoneSettingsView {
	v := PhoneSettingsView{TenantID: s.TenantID, Kind: string(s.Kind), SecretSet: s.SecretSet, Channels: []string{},
		Countries: append([]string{}, s.Countries...), UpdatedAt: s.UpdatedAt,
		Caps: PhoneCaps{PerNumberHour: s.Caps.PerNumberHour, PerNumberDay: s.Caps.PerNumberDay,
			PerClientIPDay: s.Caps.PerClientIPDay, PerTenantDay: s.Caps.PerTenantDay}}
	for _, ch := range s.Channels {
		v.Channels = append(v.Channels, string(ch))
	}
	switch s.Kind {
	case phone.KindTwilio:
		t := s.Twilio
		v.Twilio = &PhoneTwilioView{AccountSID: t.AccountSID, From: t.From, MessagingServiceSID: t.MessagingServiceSID,
			BaseURL: t.BaseURL, StatusCallback: t.StatusCallback}
	case phone.KindWebhook:
		v.Webhook = &PhoneWebhookView{URL: s.Webhook.URL}
	}
	return v
}

// phoneBody is a tenant's SMS and voice provider as written. Field names
// are those phone.Settings names in its refusals, so that a 422 points
// at body.twilio.account_sid, body.countries[2] and so on; the schema
// requires only kind, and leaves the rest to phone.Settings, which
// refuses every problem at once.
type phoneBody struct {
	Kind      string            `json:"kind" enum:"twilio,webhook" doc:"The provider; only its object is read, the other kind's is ignored"`
	Twilio    *phoneTwilioBody  `json:"twilio,omitempty" doc:"Required when kind is twilio"`
	Webhook   *phoneWebhookBody `json:"webhook,omitempty" doc:"Required when kind is webhook"`
	Channels  []string          `json:"channels,omitempty" enum:"sms,voice" maxItems:"2" doc:"sms, voice or both; at least one. Voice over Twilio needs twilio.from"`
	Countries []string          `json:"countries,omitempty" maxItems:"300" doc:"ISO 3166-1 alpha-2 codes (any case) of the countries messages may go to. Empty or absent allows none: each country is opted into, since SMS pumping targets countries a tenant never serves"`
	Caps      *phoneCapsBody    `json:"caps,omitempty" doc:"Caps against SMS pumping; a cap left out or 0 takes its default"`
}

type phoneCapsBody struct {
	PerNumberHour  int `json:"per_number_hour,omitempty" doc:"Messages to one number per hour: 1 to 100, default 5"`
	PerNumberDay   int `json:"per_number_day,omitempty" doc:"Messages to one number per day: 1 to 1000 and at least per_number_hour, default 10"`
	PerClientIPDay int `json:"per_client_ip_day,omitempty" doc:"Messages requested from one client address (an IPv6 /64) per day: 1 to 100000, default 10"`
	PerTenantDay   int `json:"per_tenant_day,omitempty" doc:"All the tenant's messages per day: 1 to 10000000, default 1000"`
}

type phoneTwilioBody struct {
	AccountSID          string `json:"account_sid,omitempty" maxLength:"64" doc:"The account (AC…); required"`
	AuthToken           string `json:"auth_token,omitempty" maxLength:"256" doc:"Write-only. Leave it out to keep the stored token; required when the tenant did not use Twilio before"`
	From                string `json:"from,omitempty" maxLength:"32" doc:"Sending number, E.164 (separators allowed). Either from or messaging_service_sid; calls always need from"`
	MessagingServiceSID string `json:"messaging_service_sid,omitempty" maxLength:"64" doc:"A messaging service (MG…) that sends the SMS instead of from"`
	BaseURL             string `json:"base_url,omitempty" maxLength:"2048" doc:"https base URL of a Twilio-compatible API; absent: https://api.twilio.com. Goes through the egress policy"`
	StatusCallback      string `json:"status_callback,omitempty" maxLength:"2048" doc:"https URL the provider reports delivery statuses to"`
}

type phoneWebhookBody struct {
	URL    string `json:"url,omitempty" maxLength:"2048" doc:"Required: the https URL messages are posted to, signed with the secret; goes through the egress policy"`
	Secret string `json:"secret,omitempty" maxLength:"256" doc:"Write-only HMAC-SHA256 key, 32 to 256 printable ASCII characters. Leave it out to keep the stored secret; required when the tenant did not use a webhook before"`
}

func (b phoneBody) input() phone.SettingsInput {
	in := phone.SettingsInput{Kind: phone.Kind(b.Kind), Countries: b.Countries}
	if c := b.Caps; c != nil {
		in.Caps = phone.Caps{PerNumberHour: c.PerNumberHour, PerNumberDay: c.PerNumberDay, PerClientIPDay: c.PerClientIPDay, PerTenantDay: c.PerTenantDay}
	}
	for _, ch := range b.Channels {
		in.Channels = append(in.Channels, phone.Channel(ch))
	}
	if t := b.Twilio; t != nil {
		in.Twilio = phone.TwilioConfig{AccountSID: t.AccountSID, AuthToken: t.AuthToken, From: t.From,
			MessagingServiceSID: t.MessagingServiceSID, BaseURL: t.BaseURL, StatusCallback: t.StatusCallback}
	}
	if w := b.Webhook; w != nil {
		in.Webhook = phone.WebhookConfig{URL: w.URL, Secret: w.Secret}
	}
	return in
}

// secretSent reports whether the body carries a new secret for its kind.
func (b phoneBody) secretSent() bool {
	switch phone.Kind(b.Kind) {
	case phone.KindTwilio:
		return b.Twilio != nil && b.Twilio.AuthToken != ""
	case phone.KindWebhook:
		return b.Webhook != nil && b.Webhook.Secret != ""
	}
	return false
}

func (a *API) registerPhone() {
	if a.PhoneSettings == nil {
		return
	}
	const tag = "Phone"
	base := Prefix + "/tenants/{tenant}/phone-settings"
	register(a, Route{ID: "get-phone-settings", Method: http.MethodGet, Path: base, Scope: ScopeMailRead}, tag,
		"Get the tenant's SMS and voice provider, channels, countries and caps (404 when it has none, and so sends no SMS)",
		func(ctx context.Context, in *TenantPath) (*Out[PhoneSettingsView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (phone.TenantSettings, error) {
				return a.PhoneSettings.Get(ctx, tx, principal(ctx).Target.ID)
			}, phoneView)
		})
	register(a, Route{ID: "put-phone-settings", Method: http.MethodPut, Path: base, Scope: ScopeMailWrite, Secret: true}, tag,
		"Set the tenant's SMS and voice provider, channels, countries and caps",
		func(ctx context.Context, in *struct {
			TenantPath
			Body phoneBody
		}) (*Out[PhoneSettingsView], error) {
			id, b := principal(ctx).Target.ID, in.Body
			return changed(a, ctx, "tenant.phone_settings.updated", ref[phone.TenantSettings]("phone_settings", id),
				func(ctx context.Context, tx store.Tx, ev *events.Event) (phone.TenantSettings, error) {
					old, err := a.PhoneSettings.Get(ctx, tx, id)
					created := errors.Is(err, store.ErrNotFound)
					if err != nil && !created {
						return phone.TenantSettings{}, err
					}
					s, err := a.PhoneSettings.Put(ctx, tx, id, b.input())
					if err != nil {
						return s, err
					}
					ev.Details = map[string]any{"created": created, "kind": string(s.Kind), "fields": changedPhoneFields(old, s, b.secretSent())}
					return s, nil
				}, phoneView)
		})
	register(a, Route{ID: "delete-phone-settings", Method: http.MethodDelete, Path: base, Scope: ScopeMailWrite, Status: http.StatusNoContent}, tag,
		"Remove the tenant's SMS and voice provider: it sends no SMS and makes no calls, and messages still queued fail",
		func(ctx context.Context, in *TenantPath) (*struct{}, error) {
			id := principal(ctx).Target.ID
			return deleted(a, ctx, "tenant.phone_settings.deleted", events.Ref{Type: "phone_settings", ID: id}, func(ctx context.Context, tx store.Tx) error {
				return a.PhoneSettings.Delete(ctx, tx, id)
			})
		})
}

// changedPhoneFields names the fields a Put changed, for the event, never
// their values; a secret that was sent counts as changed, whatever it was.
func changedPhoneFields(old, s phone.TenantSettings, secret bool) []string {
	out := []string{}
	add := func(name string, differs bool) {
		if differs {
			out = append(out, name)
		}
	}
	add("kind", old.Kind != s.Kind)
	add("twilio.account_sid", old.Twilio.AccountSID != s.Twilio.AccountSID)
	add("twilio.from", old.Twilio.From != s.Twilio.From)
	add("twilio.messaging_service_sid", old.Twilio.MessagingServiceSID != s.Twilio.MessagingServiceSID)
	add("twilio.base_url", old.Twilio.BaseURL != s.Twilio.BaseURL)
	add("twilio.status_callback", old.Twilio.StatusCallback != s.Twilio.StatusCallback)
	add("webhook.url", old.Webhook.URL != s.Webhook.URL)
	switch s.Kind {
	case phone.KindTwilio:
		add("twilio.auth_token", secret || old.Kind != s.Kind)
	case phone.KindWebhook:
		add("webhook.secret", secret || old.Kind != s.Kind)
	}
	add("channels", !slices.Equal(old.Channels, s.Channels))
	add("countries", !slices.Equal(old.Countries, s.Countries))
	add("caps", old.Caps != s.Caps)
	return out
}
