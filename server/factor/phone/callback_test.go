package phone

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net/url"
	"testing"
)

// TestTwilioSignature checks the signature against the algorithm spelled
// out: the URL, then each parameter's name and value sorted by name,
// HMAC-SHA1 under the auth token, base64.
func TestTwilioSignature(t *testing.T) {
	form := url.Values{"MessageStatus": {"delivered"}, "MessageSid": {"SM123"}, "AccountSid": {"AC1"}}
	const u = "https://login.acme.example/phone/twilio/status"
	m := hmac.New(sha1.New, []byte("token"))
	m.Write([]byte(u + "AccountSidAC1" + "MessageSidSM123" + "MessageStatusdelivered"))
	if got, want := TwilioSignature("token", u, form), base64.StdEncoding.EncodeToString(m.Sum(nil)); got != want {
		t.Fatalf("signature %q, want %q", got, want)
	}
}

// TestVerifyTwilio accepts a callback signed with the tenant's stored
// auth token and refuses the rest alike: a wrong or missing signature, a
// tenant on a webhook, a tenant without settings.
func TestVerifyTwilio(t *testing.T) {
	runOnBackends(t, []behaviour{{"verifies status callbacks", func(t *testing.T, e *env) {
		g := startGateway(t, nil)
		e.mustPut(t, "ten_a", twilioInput(g))
		e.mustPut(t, "ten_b", webhookInput(g))
		const u = "https://login.acme.example/phone/twilio/status"
		form := url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"delivered"}}
		good := TwilioSignature(testToken, u, form)
		for _, tc := range []struct {
			name, tenant, sig string
			ok                bool
		}{
			{"the tenant's signature", "ten_a", good, true},
			{"a wrong signature", "ten_a", TwilioSignature("other", u, form), false},
			{"no signature", "ten_a", "", false},
			{"a tenant on a webhook", "ten_b", good, false},
			{"a tenant without settings", "ten_c", good, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := e.settings.VerifyTwilio(context.Background(), tc.tenant, u, form, tc.sig)
				if tc.ok != (err == nil) || (!tc.ok && !errors.Is(err, ErrBadSignature)) {
					t.Fatalf("VerifyTwilio: %v, want ok=%v", err, tc.ok)
				}
			})
		}
	}}})
}
