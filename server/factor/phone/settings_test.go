package phone

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestSettings(t *testing.T) {
	runOnBackends(t, []behaviour{
		{"stores webhook settings, sealing the secret, which is never read back", testSettingsWebhook},
		{"stores Twilio settings; an empty token keeps the stored one", testSettingsTwilio},
		{"switching provider needs the new provider's secret", testSettingsSwitchKind},
		{"refuses bad input naming each field and changes nothing", testSettingsRefuses},
		{"reports every problem at once", testSettingsAllProblems},
		{"a tenant without settings is not configured; Delete removes them", testSettingsNotConfigured},
		{"a sealed secret copied to another tenant does not open", testSettingsBinding},
		{"the egress dialer refuses a provider URL at an internal address", testSettingsEgress},
		{"delivery sees a change on this node at once, other nodes' within the TTL", testSettingsCache},
	})
}

// sealedSecret reads the tenant's stored secret column.
func (e *env) sealedSecret(t *testing.T, tenantID string) []byte {
	t.Helper()
	var sealed []byte
	err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT secret_sealed FROM phone_settings WHERE tenant_id = ?`, tenantID).Scan(&sealed)
	})
	if err != nil {
		t.Fatal(err)
	}
	return sealed
}

func testSettingsWebhook(t *testing.T, e *env) {
	g := startGateway(t, nil)
	in := webhookInput(g)
	in.Countries = []string{"us", "CA", "US"}
	in.Channels = []Channel{Voice, SMS, SMS}
	got, err := e.put(t, "ten_a", in)
	if err != nil {
		t.Fatal(err)
	}
	want := TenantSettings{TenantID: "ten_a", Kind: KindWebhook, Webhook: WebhookConfig{URL: g.url() + "/sms?tenant=acme"},
		SecretSet: true, Channels: []Channel{SMS, Voice}, Countries: []string{"CA", "US"},
		Caps: Caps{PerNumberHour: 5, PerNumberDay: 10, PerClientIPDay: 10, PerTenantDay: 1000}, UpdatedAt: t0}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Put = %+v,\nwant %+v", got, want)
	}
	if read, err := e.get(t, "ten_a"); err != nil || !reflect.DeepEqual(read, want) {
		t.Fatalf("Get = %+v, %v;\nwant %+v", read, err, want)
	}
	if sealed := e.sealedSecret(t, "ten_a"); len(sealed) == 0 || bytes.Contains(sealed, []byte(testSecret)) ||
		bytes.Contains(sealed, []byte("whsec")) {
		t.Fatalf("stored secret %q: want it sealed", sealed)
	}
	r, err := e.settings.route(context.Background(), "ten_a")
	if err != nil || r.webhook.Secret != testSecret || r.kind != KindWebhook || r.twilio.AuthToken != "" {
		t.Fatalf("route = %+v, %v; want the opened secret", r, err)
	}
}

func testSettingsTwilio(t *testing.T, e *env) {
	g := startGateway(t, nil)
	in := twilioInput(g)
	in.Caps = Caps{PerNumberHour: 3, PerTenantDay: 50}
	got, err := e.put(t, "ten_a", in)
	if err != nil {
		t.Fatal(err)
	}
	wantTwilio := TwilioConfig{AccountSID: testSID, From: "+14155550199", BaseURL: g.url(),
		StatusCallback: "https://login.acme.example/phone/status"}
	if got.Kind != KindTwilio || got.Twilio != wantTwilio || !got.SecretSet ||
		got.Caps != (Caps{PerNumberHour: 3, PerNumberDay: 10, PerClientIPDay: 10, PerTenantDay: 50}) {
		t.Fatalf("Put = %+v", got)
	}
	if sealed := e.sealedSecret(t, "ten_a"); bytes.Contains(sealed, []byte(testToken)) {
		t.Fatal("the auth token is stored in clear")
	}
	in.Twilio.AuthToken, in.Twilio.From = "", "+1 415 555 0198"
	e.clk.Advance(time.Minute)
	got, err = e.put(t, "ten_a", in)
	if err != nil || got.Twilio.From != "+14155550198" || !got.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("Put without a token = %+v, %v", got, err)
	}
	if r, err := e.settings.route(context.Background(), "ten_a"); err != nil || r.twilio.AuthToken != testToken {
		t.Fatalf("route = %+v, %v; want the kept token", r, err)
	}
	in.Twilio.AuthToken = "tw-new-token"
	if _, err := e.put(t, "ten_a", in); err != nil {
		t.Fatal(err)
	}
	if r, err := e.settings.route(context.Background(), "ten_a"); err != nil || r.twilio.AuthToken != "tw-new-token" {
		t.Fatalf("route = %+v, %v; want the new token", r, err)
	}
}

func testSettingsSwitchKind(t *testing.T, e *env) {
	g := startGateway(t, nil)
	e.mustPut(t, "ten_a", twilioInput(g))
	in := webhookInput(g)
	in.Webhook.Secret = ""
	_, err := e.put(t, "ten_a", in)
	if fields := invalid.All(err); len(fields) != 1 || fields[0].Field != "webhook.secret" {
		t.Fatalf("Put(webhook without a secret) = %v; want webhook.secret refused", err)
	}
	if got, err := e.get(t, "ten_a"); err != nil || got.Kind != KindTwilio {
		t.Fatalf("settings became %+v, %v", got, err)
	}
	e.mustPut(t, "ten_a", webhookInput(g))
	r, err := e.settings.route(context.Background(), "ten_a")
	if err != nil || r.kind != KindWebhook || r.webhook.Secret != testSecret {
		t.Fatalf("route = %+v, %v", r, err)
	}
}

func testSettingsRefuses(t *testing.T, e *env) {
	g := startGateway(t, nil)
	stored := e.mustPut(t, "ten_a", twilioInput(g))
	tests := []struct {
		name, field string
		edit        func(in *SettingsInput)
	}{
		{"an unknown kind", "kind", func(in *SettingsInput) { in.Kind = "sns" }},
		{"no account", "twilio.account_sid", func(in *SettingsInput) { in.Twilio.AccountSID = "" }},
		{"a token with a space", "twilio.auth_token", func(in *SettingsInput) { in.Twilio.AuthToken = "tw token" }},
		{"a sender in national format", "twilio.from", func(in *SettingsInput) { in.Twilio.From = "415 555 0199" }},
		{"no sender at all", "twilio.from", func(in *SettingsInput) { in.Twilio.From = "" }},
		{"voice without a sender", "twilio.from", func(in *SettingsInput) {
			in.Twilio.From, in.Twilio.MessagingServiceSID = "", "MG9a8b7c6d5e4f30211203f4e5d6c7b8a9"
		}},
		{"an http base URL", "twilio.base_url", func(in *SettingsInput) { in.Twilio.BaseURL = "http://api.twilio.com" }},
		{"an http callback", "twilio.status_callback", func(in *SettingsInput) { in.Twilio.StatusCallback = "http://a.example/" }},
		{"no channel", "channels", func(in *SettingsInput) { in.Channels = nil }},
		{"an unknown channel", "channels[1]", func(in *SettingsInput) { in.Channels = []Channel{SMS, "fax"} }},
		{"an unknown country", "countries[1]", func(in *SettingsInput) { in.Countries = []string{"US", "XX"} }},
		{"a country name", "countries[0]", func(in *SettingsInput) { in.Countries = []string{"Canada"} }},
		{"a negative cap", "caps.per_number_hour", func(in *SettingsInput) { in.Caps.PerNumberHour = -1 }},
		{"a huge cap", "caps.per_tenant_day", func(in *SettingsInput) { in.Caps.PerTenantDay = maxPerTenantDay + 1 }},
		{"a daily cap under the hourly one", "caps.per_number_day", func(in *SettingsInput) {
			in.Caps.PerNumberHour, in.Caps.PerNumberDay = 20, 10
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, tenantID := range []string{"ten_a", "ten_new"} {
				in := twilioInput(g)
				tt.edit(&in)
				err := storetest.Commit(t, e.st, func(ctx context.Context, tx store.Tx) error {
					_, err := e.settings.Put(ctx, tx, tenantID, in)
					return err
				})
				fields := invalid.All(err)
				if len(fields) != 1 || fields[0].Field != tt.field {
					t.Fatalf("%s: Put = %v; want one invalid field %q", tenantID, err, tt.field)
				}
				if strings.Contains(err.Error(), "tw token") || strings.Contains(err.Error(), testToken) {
					t.Errorf("error quotes the token: %v", err)
				}
			}
			if got, err := e.get(t, "ten_a"); err != nil || !reflect.DeepEqual(got, stored) {
				t.Fatalf("stored settings became %+v, %v;\nwant %+v", got, err, stored)
			}
			if _, err := e.get(t, "ten_new"); !errors.Is(err, ErrNotConfigured) {
				t.Fatalf("a refused Put created settings: %v", err)
			}
		})
	}
}

func testSettingsAllProblems(t *testing.T, e *env) {
	in := SettingsInput{Kind: KindWebhook, Webhook: WebhookConfig{URL: "http://x.example", Secret: "short"},
		Channels: []Channel{"fax"}, Countries: []string{"ZZ"}, Caps: Caps{PerClientIPDay: -5}}
	_, err := e.put(t, "ten_a", in)
	var got []string
	for _, f := range invalid.All(err) {
		got = append(got, f.Field)
	}
	want := []string{"webhook.url", "webhook.secret", "channels[0]", "countries[0]", "caps.per_client_ip_day"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("refused fields %v, want %v", got, want)
	}
	if strings.Contains(err.Error(), "short") {
		t.Errorf("error quotes the secret: %v", err)
	}
}

func testSettingsNotConfigured(t *testing.T, e *env) {
	if _, err := e.get(t, "ten_a"); !errors.Is(err, ErrNotConfigured) || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get = %v; want ErrNotConfigured and store.ErrNotFound", err)
	}
	if _, err := e.settings.route(context.Background(), "ten_a"); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("route = %v; want ErrNotConfigured", err)
	}
	e.mustPut(t, "ten_a", webhookInput(startGateway(t, nil)))
	del := func() error {
		return e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error { return e.settings.Delete(ctx, tx, "ten_a") })
	}
	if err := del(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.get(t, "ten_a"); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("Get after Delete = %v", err)
	}
	if err := del(); !errors.Is(err, store.ErrNotFound) || !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("Delete again = %v; want not found", err)
	}
	if _, err := e.settings.route(context.Background(), "ten_a"); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("route after Delete = %v; want ErrNotConfigured", err)
	}
}

func testSettingsBinding(t *testing.T, e *env) {
	g := startGateway(t, nil)
	e.mustPut(t, "ten_a", webhookInput(g))
	e.mustPut(t, "ten_b", webhookInput(g))
	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE phone_settings SET secret_sealed = (SELECT secret_sealed FROM phone_settings WHERE tenant_id = ?)
			WHERE tenant_id = ?`, "ten_a", "ten_b")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.settings.route(context.Background(), "ten_b"); !errors.Is(err, secrets.ErrDecrypt) {
		t.Fatalf("route = %v, want ErrDecrypt", err)
	}
}

func testSettingsEgress(t *testing.T, e *env) {
	g := startGateway(t, nil)
	strict := NewSettings(e.st, e.sec, e.clk, SettingsOptions{Egress: egress.New(egress.Options{})})
	for _, tt := range []struct {
		field string
		in    SettingsInput
	}{
		{"webhook.url", webhookInput(g)},
		{"twilio.base_url", twilioInput(g)},
	} {
		err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			_, err := strict.Put(ctx, tx, "ten_a", tt.in)
			return err
		})
		if fields := invalid.All(err); len(fields) != 1 || fields[0].Field != tt.field {
			t.Fatalf("Put = %v; want %s refused", err, tt.field)
		}
	}
}

func testSettingsCache(t *testing.T, e *env) {
	g := startGateway(t, nil)
	e.mustPut(t, "ten_a", webhookInput(g))
	e.clk.Advance(DefaultCacheTTL)
	if r, err := e.settings.route(context.Background(), "ten_a"); err != nil || r.webhook.URL != g.url()+"/sms?tenant=acme" {
		t.Fatalf("route = %+v, %v", r, err)
	}
	// Another node changes the allowlist: this node goes on with its copy
	// for at most the TTL.
	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE phone_settings SET countries = ? WHERE tenant_id = ?`, `["GB"]`, "ten_a")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(DefaultCacheTTL - time.Second)
	if r, _ := e.settings.route(context.Background(), "ten_a"); !reflect.DeepEqual(r.countries, []string{"CA", "US"}) {
		t.Fatalf("countries %v within the TTL, want the cached ones", r.countries)
	}
	e.clk.Advance(time.Second)
	if r, _ := e.settings.route(context.Background(), "ten_a"); !reflect.DeepEqual(r.countries, []string{"GB"}) {
		t.Fatalf("countries %v after the TTL, want the other node's", r.countries)
	}
	in := webhookInput(g)
	in.Countries = []string{"FR"}
	e.mustPut(t, "ten_a", in)
	if r, _ := e.settings.route(context.Background(), "ten_a"); !reflect.DeepEqual(r.countries, []string{"FR"}) {
		t.Fatalf("countries %v after Put, want the new ones", r.countries)
	}
}
