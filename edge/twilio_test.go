package edge

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/factor/phone"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestTwilioStatusCallback takes a delivery status only when Twilio's
// signature matches the tenant's auth token over the site's own URL.
func TestTwilioStatusCallback(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.NewFake(time.Now().UTC().Truncate(time.Second)))
	const token = "0123456789abcdef0123456789abcdef"
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := w.phoneSettings.Put(ctx, tx, w.acme.ID, phone.SettingsInput{Kind: phone.KindTwilio,
			Twilio:   phone.TwilioConfig{AccountSID: "AC" + strings.Repeat("0", 32), AuthToken: token, From: "+14155550199", StatusCallback: w.srv.URL + TwilioStatusPath},
			Channels: []phone.Channel{phone.SMS}, Countries: []string{"US"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"MessageSid": {"SM" + strings.Repeat("1", 32)}, "MessageStatus": {"delivered"}}
	post := func(sig string) int {
		req, _ := http.NewRequest(http.MethodPost, w.srv.URL+TwilioStatusPath, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if sig != "" {
			req.Header.Set("X-Twilio-Signature", sig)
		}
		status, _, _ := do(t, w.srv.Client(), req)
		return status
	}
	for _, tc := range []struct {
		name string
		sig  string
		want int
	}{
		{"unsigned", "", http.StatusForbidden},
		{"signed with another token", phone.TwilioSignature("not the token", w.srv.URL+TwilioStatusPath, form), http.StatusForbidden},
		{"signed over another URL", phone.TwilioSignature(token, "https://evil.example"+TwilioStatusPath, form), http.StatusForbidden},
		// A message the outbox no longer knows is acknowledged.
		{"signed by the tenant's account", phone.TwilioSignature(token, w.srv.URL+TwilioStatusPath, form), http.StatusNoContent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := post(tc.sig); got != tc.want {
				t.Fatalf("status %d, want %d", got, tc.want)
			}
		})
	}
}
