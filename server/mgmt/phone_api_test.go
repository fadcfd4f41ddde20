package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/factor/phone"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// The secrets the tests send; no answer, log or event may show them.
const (
	testTwilioToken   = "hunter2-twilio-token"
	testWebhookSecret = "hunter2-webhook-secret-0123456789abcdef"
	testAccountSID    = "AC0123456789abcdef0123456789abcdef"
)

// phoneRow returns the tenant's stored phone settings as text, "" when
// none, and the sealed secret, so that a test can tell that nothing
// changed and that a secret was kept.
func (w *world) phoneRow(t *testing.T, tenantID string) (string, []byte) {
	t.Helper()
	var kind string
	var config, sealed, channels, countries []byte
	var caps [4]int
	var updated time.Time
	err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT provider, config, secret_sealed, channels, countries, cap_number_hour, cap_number_day, cap_ip_day, cap_tenant_day, updated_at
			FROM phone_settings WHERE tenant_id = ?`, tenantID).
			Scan(&kind, &config, &sealed, &channels, &countries, &caps[0], &caps[1], &caps[2], &caps[3], &updated)
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		t.Fatal(err)
	}
	fields := []string{kind, string(config), string(sealed), string(channels), string(countries), updated.String()}
	for _, c := range caps {
		fields = append(fields, strconv.Itoa(c))
	}
	return strings.Join(fields, "|"), sealed
}

// TestPhoneSettingsAPI sets, reads, changes and removes a tenant's SMS
// and voice provider; checks that the provider's secret is never shown,
// is kept when left out, that each change is in the system log without
// values, and that refused requests name the fields and change nothing.
func TestPhoneSettingsAPI(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			admin := w.token[RoleTenantAdmin]
			base := "/api/v1/mgmt/tenants/" + w.a.ID + "/phone-settings"
			view := func(status int, body string, wantStatus int) PhoneSettingsView {
				t.Helper()
				var v PhoneSettingsView
				if err := json.Unmarshal([]byte(body), &v); status != wantStatus || err != nil {
					t.Fatalf("status %d, want %d: %s", status, wantStatus, body)
				}
				if strings.Contains(body, "hunter2") || strings.Contains(body, `"auth_token"`) || strings.Contains(body, `"secret"`) {
					t.Fatalf("answer shows a secret: %s", body)
				}
				return v
			}

			status, h, body := w.do(t, http.MethodGet, base, admin, "")
			if status != http.StatusNotFound || h.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("get before any settings: %d %s %s", status, h.Get("Content-Type"), body)
			}

			status, _, body = w.do(t, http.MethodPut, base, admin, `{"kind":"twilio","twilio":{"account_sid":"`+testAccountSID+`",
				"auth_token":"`+testTwilioToken+`","from":"+1 415 555 0100"},"channels":["voice","sms"],"countries":["us","GB"],"caps":{"per_number_hour":3}}`)
			set := view(status, body, http.StatusOK)
			want := PhoneSettingsView{TenantID: w.a.ID, Kind: "twilio", SecretSet: true, Channels: []string{"sms", "voice"}, Countries: []string{"GB", "US"},
				Twilio:    &PhoneTwilioView{AccountSID: testAccountSID, From: "+14155550100", BaseURL: phone.DefaultTwilioBaseURL},
				Caps:      PhoneCaps{PerNumberHour: 3, PerNumberDay: phone.DefaultPerNumberDay, PerClientIPDay: phone.DefaultPerClientIPDay, PerTenantDay: phone.DefaultPerTenantDay},
				UpdatedAt: w.clock.Now().UTC()}
			if !equalPhoneViews(set, want) {
				t.Fatalf("put %+v %+v, want %+v %+v", set, set.Twilio, want, want.Twilio)
			}
			status, _, body = w.do(t, http.MethodGet, base, w.token[RoleReadOnly], "")
			if got := view(status, body, http.StatusOK); !equalPhoneViews(got, set) || !strings.Contains(body, `"secret_set":true`) {
				t.Fatalf("read %s, set %+v", body, set)
			}
			_, token := w.phoneRow(t, w.a.ID)

			// A change without the token keeps it.
			w.clock.Advance(time.Second)
			status, _, body = w.do(t, http.MethodPut, base, admin, `{"kind":"twilio","twilio":{"account_sid":"`+testAccountSID+`",
				"from":"+14155550100"},"channels":["sms","voice"],"countries":["US"],"caps":{"per_number_hour":3}}`)
			if got := view(status, body, http.StatusOK); !got.SecretSet || !slices.Equal(got.Countries, []string{"US"}) || !got.UpdatedAt.Equal(w.clock.Now()) {
				t.Fatalf("put without the token: %+v", got)
			}
			stored, kept := w.phoneRow(t, w.a.ID)
			if len(kept) == 0 || string(kept) != string(token) {
				t.Fatal("a put without the token did not keep the stored one")
			}

			// Tenant B has settings of its own, which A's admin may not see.
			err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				_, err := w.phone.Put(ctx, tx, w.b.ID, phone.SettingsInput{Kind: phone.KindWebhook, Channels: []phone.Channel{phone.SMS},
					Webhook: phone.WebhookConfig{URL: "https://sms.tenant-b.example/send", Secret: testWebhookSecret}})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			otherBase := "/api/v1/mgmt/tenants/" + w.b.ID + "/phone-settings"
			otherStored, _ := w.phoneRow(t, w.b.ID)

			validTwilio := `"twilio":{"account_sid":"` + testAccountSID + `","from":"+14155550100"}`
			for _, c := range []struct {
				name, method, path, token, body string
				status                          int
				where                           []string
			}{
				{"a Twilio account without its SID", http.MethodPut, base, admin, `{"kind":"twilio","twilio":{"from":"+14155550100"},"channels":["sms"]}`,
					http.StatusUnprocessableEntity, []string{"body.twilio.account_sid"}},
				{"several problems at once", http.MethodPut, base, admin, `{"kind":"twilio",` + validTwilio + `,"countries":["US","XX"],"caps":{"per_number_hour":-1,"per_tenant_day":20000000}}`,
					http.StatusUnprocessableEntity, []string{"body.channels", "body.countries[1]", "body.caps.per_number_hour", "body.caps.per_tenant_day"}},
				{"a number that is no number", http.MethodPut, base, admin, `{"kind":"twilio","twilio":{"account_sid":"` + testAccountSID + `","from":"call me"},"channels":["sms"]}`,
					http.StatusUnprocessableEntity, []string{"body.twilio.from"}},
				{"calls through a messaging service without a number", http.MethodPut, base, admin, `{"kind":"twilio","twilio":{"account_sid":"` + testAccountSID + `","messaging_service_sid":"MG0123456789abcdef0123456789abcdef"},"channels":["voice"]}`,
					http.StatusUnprocessableEntity, []string{"body.twilio.from"}},
				{"a Twilio base URL over http, not echoing the token", http.MethodPut, base, admin, `{"kind":"twilio","twilio":{"account_sid":"` + testAccountSID + `","auth_token":"` + testTwilioToken + `-new","from":"+14155550100","base_url":"http://twilio.example"},"channels":["sms"]}`,
					http.StatusUnprocessableEntity, []string{"body.twilio.base_url"}},
				{"a token with spaces, not echoing it", http.MethodPut, base, admin, `{"kind":"twilio","twilio":{"account_sid":"` + testAccountSID + `","auth_token":"hunter2 token","from":"+14155550100"},"channels":["sms"]}`,
					http.StatusUnprocessableEntity, []string{"body.twilio.auth_token"}},
				{"a switch to a webhook without its secret", http.MethodPut, base, admin, `{"kind":"webhook","webhook":{"url":"https://sms.acme.example/send"},"channels":["sms"]}`,
					http.StatusUnprocessableEntity, []string{"body.webhook.secret"}},
				{"a short webhook secret, not echoing it", http.MethodPut, base, admin, `{"kind":"webhook","webhook":{"url":"https://sms.acme.example/send","secret":"hunter2-short"},"channels":["sms"]}`,
					http.StatusUnprocessableEntity, []string{"body.webhook.secret"}},
				{"a webhook over http", http.MethodPut, base, admin, `{"kind":"webhook","webhook":{"url":"http://sms.acme.example/send","secret":"` + testWebhookSecret + `"},"channels":["sms"]}`,
					http.StatusUnprocessableEntity, []string{"body.webhook.url"}},
				{"an unknown kind", http.MethodPut, base, admin, `{"kind":"carrier-pigeon","channels":["sms"]}`, http.StatusUnprocessableEntity, []string{"body.kind"}},
				{"an unknown channel", http.MethodPut, base, admin, `{"kind":"twilio",` + validTwilio + `,"channels":["fax"]}`, http.StatusUnprocessableEntity, []string{"body.channels[0]"}},
				{"an unknown field", http.MethodPut, base, admin, `{"kind":"twilio",` + validTwilio + `,"channels":["sms"],"countrys":["US"]}`, http.StatusUnprocessableEntity, []string{"body.countrys"}},
				{"a body that is not JSON, not echoing it", http.MethodPut, base, admin, `{"kind":"twilio","twilio":{"auth_token":"` + testTwilioToken + `",`, http.StatusBadRequest, nil},
				{"a read-only admin writing", http.MethodPut, base, w.token[RoleReadOnly], `{"kind":"twilio",` + validTwilio + `,"channels":["sms"]}`, http.StatusForbidden, []string{"mail:write"}},
				{"a read-only admin deleting", http.MethodDelete, base, w.token[RoleReadOnly], "", http.StatusForbidden, []string{"mail:write"}},
				{"a help-desk admin reading", http.MethodGet, base, w.token[RoleHelpDesk], "", http.StatusForbidden, []string{"mail:read"}},
				{"another tenant's admin reading", http.MethodGet, otherBase, admin, "", http.StatusForbidden, nil},
				{"another tenant's admin writing", http.MethodPut, otherBase, admin, `{"kind":"twilio",` + validTwilio + `,"channels":["sms"]}`, http.StatusForbidden, nil},
				{"another tenant's admin deleting", http.MethodDelete, otherBase, admin, "", http.StatusForbidden, nil},
			} {
				t.Run("refuses "+c.name, func(t *testing.T) {
					status, h, body := w.do(t, c.method, c.path, c.token, c.body)
					if status != c.status || h.Get("Content-Type") != "application/problem+json" {
						t.Fatalf("status %d, want %d (%s): %s", status, c.status, h.Get("Content-Type"), body)
					}
					if strings.Contains(body, "hunter2") || strings.Contains(body, "tenant-b.example") {
						t.Fatalf("answer shows a secret or another tenant's settings: %s", body)
					}
					var p problemBody
					if err := json.Unmarshal([]byte(body), &p); err != nil || p.Status != c.status {
						t.Fatalf("not a problem document: %s", body)
					}
					for _, where := range c.where {
						named := strings.Contains(p.Detail, where)
						for _, e := range p.Errors {
							named = named || e.Location == where || strings.Contains(e.Message, where)
						}
						if !named {
							t.Errorf("problem does not name %q: %s", where, body)
						}
					}
					if after, _ := w.phoneRow(t, w.a.ID); after != stored {
						t.Fatal("the stored settings changed")
					}
					if after, _ := w.phoneRow(t, w.b.ID); after != otherStored {
						t.Fatal("the other tenant's settings changed")
					}
				})
			}

			// A switch to a webhook needs its secret, then shows only the webhook.
			w.clock.Advance(time.Second)
			status, _, body = w.do(t, http.MethodPut, base, admin,
				`{"kind":"webhook","webhook":{"url":"https://sms.acme.example/send?k=1","secret":"`+testWebhookSecret+`"},"channels":["sms"],"countries":["US"]}`)
			if got := view(status, body, http.StatusOK); got.Kind != "webhook" || got.Twilio != nil || got.Webhook == nil ||
				got.Webhook.URL != "https://sms.acme.example/send?k=1" || !got.SecretSet || strings.Contains(body, `"twilio"`) {
				t.Fatalf("put a webhook: %s", body)
			}
			if strings.Contains(w.logs.String(), "hunter2") {
				t.Fatal("the log shows a secret")
			}

			w.clock.Advance(time.Second)
			if status, _, body := w.do(t, http.MethodDelete, base, admin, ""); status != http.StatusNoContent {
				t.Fatalf("delete: %d %s", status, body)
			}
			if status, _, body := w.do(t, http.MethodGet, base, admin, ""); status != http.StatusNotFound {
				t.Fatalf("get after delete: %d %s", status, body)
			}
			if status, _, body := w.do(t, http.MethodDelete, base, admin, ""); status != http.StatusNotFound {
				t.Fatalf("delete again: %d %s", status, body)
			}
			if after, _ := w.phoneRow(t, w.b.ID); after != otherStored {
				t.Fatal("deleting A's settings touched B's")
			}

			evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Types: []string{"tenant.phone_settings.*"}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range evs {
				if ev.Target.Type != "phone_settings" || ev.Target.ID != w.a.ID || ev.Actor.ID != w.tokenRec[RoleTenantAdmin].ID {
					t.Errorf("event %+v", ev)
				}
				got = append(got, ev.Type)
				d, _ := json.Marshal(ev.Details)
				for _, value := range []string{"hunter2", testAccountSID, "acme.example", "4155550100"} {
					if strings.Contains(string(d), value) {
						t.Errorf("event details show %q: %s", value, d)
					}
				}
			}
			slices.Sort(got)
			if want := []string{"tenant.phone_settings.deleted", "tenant.phone_settings.updated", "tenant.phone_settings.updated", "tenant.phone_settings.updated"}; !slices.Equal(got, want) {
				t.Fatalf("events %q, want %q", got, want)
			}
		})
	}
}

// TestChangedPhoneFields checks the field names an update event lists.
func TestChangedPhoneFields(t *testing.T) {
	twilio := phone.TenantSettings{Kind: phone.KindTwilio, SecretSet: true, Channels: []phone.Channel{phone.SMS}, Countries: []string{"US"},
		Twilio: phone.TwilioConfig{AccountSID: testAccountSID, From: "+14155550100", BaseURL: phone.DefaultTwilioBaseURL}}
	with := func(f func(*phone.TenantSettings)) phone.TenantSettings {
		s := twilio
		f(&s)
		return s
	}
	for _, c := range []struct {
		name     string
		old, new phone.TenantSettings
		secret   bool
		want     []string
	}{
		{"lists nothing for the same settings", twilio, twilio, false, []string{}},
		{"lists a token that was sent, even the same", twilio, twilio, true, []string{"twilio.auth_token"}},
		{"lists countries and caps", twilio, with(func(s *phone.TenantSettings) {
			s.Countries, s.Caps.PerTenantDay = []string{"GB", "US"}, 5
		}), false, []string{"countries", "caps"}},
		{"lists everything of a new tenant", phone.TenantSettings{}, twilio, true,
			[]string{"kind", "twilio.account_sid", "twilio.from", "twilio.base_url", "twilio.auth_token", "channels", "countries"}},
		{"lists the secret of a switch to a webhook", twilio, phone.TenantSettings{Kind: phone.KindWebhook, SecretSet: true, Channels: twilio.Channels,
			Countries: twilio.Countries, Webhook: phone.WebhookConfig{URL: "https://sms.acme.example"}}, true,
			[]string{"kind", "twilio.account_sid", "twilio.from", "twilio.base_url", "webhook.url", "webhook.secret"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := changedPhoneFields(c.old, c.new, c.secret); !slices.Equal(got, c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

// equalPhoneViews compares two views, times by instant.
func equalPhoneViews(a, b PhoneSettingsView) bool {
	eqPtr := func(x, y *PhoneTwilioView) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	eqHook := func(x, y *PhoneWebhookView) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.TenantID == b.TenantID && a.Kind == b.Kind && a.SecretSet == b.SecretSet && a.Caps == b.Caps &&
		slices.Equal(a.Channels, b.Channels) && slices.Equal(a.Countries, b.Countries) && a.UpdatedAt.Equal(b.UpdatedAt) &&
		eqPtr(a.Twilio, b.Twilio) && eqHook(a.Webhook, b.Webhook)
}
