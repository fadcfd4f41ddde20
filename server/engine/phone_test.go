package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/factor/phone"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// smsGateway is a tenant's own SMS gateway on loopback, reached through
// the phone outbox's webhook provider; it keeps what it was sent.
type smsGateway struct {
	srv    *httptest.Server
	client *http.Client
	mu     sync.Mutex
	sent   []map[string]string
}

func newSMSGateway(t *testing.T) *smsGateway {
	t.Helper()
	g := &smsGateway{}
	g.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]string
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil || r.Header.Get(phone.SignatureHeader) == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		g.mu.Lock()
		g.sent = append(g.sent, m)
		g.mu.Unlock()
	}))
	t.Cleanup(g.srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(g.srv.Certificate())
	g.client = egress.New(egress.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, TLS: &tls.Config{RootCAs: pool}}).Client()
	return g
}

// configure points the test tenant's phone settings at the gateway, for
// SMS and voice to the United States.
func (v *env) configurePhones(t *testing.T) {
	t.Helper()
	err := v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := v.phoneSettings.Put(ctx, tx, v.iss.TenantID, phone.SettingsInput{Kind: phone.KindWebhook,
			Webhook:  phone.WebhookConfig{URL: v.gateway.srv.URL + "/sms", Secret: strings.Repeat("s", 32)},
			Channels: []phone.Channel{phone.SMS, phone.Voice}, Countries: []string{"US"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// lastText delivers the phone outbox and returns the last message the
// gateway got, and its six-digit code.
func (v *env) lastText(t *testing.T) (map[string]string, string) {
	t.Helper()
	if _, _, err := v.phones.Deliver(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	v.gateway.mu.Lock()
	defer v.gateway.mu.Unlock()
	if len(v.gateway.sent) == 0 {
		t.Fatal("the gateway got nothing")
	}
	m := v.gateway.sent[len(v.gateway.sent)-1]
	code := regexp.MustCompile(`\d(?:[, ]*\d){5}`).FindString(m["body"])
	return m, strings.NewReplacer(",", "", " ", "").Replace(code)
}

// TestPhoneFactor sets up a phone as second factor (a number of a country
// the tenant does not allow is refused, the code goes out through the
// outbox and the tenant's gateway, a wrong code is refused, the right one
// proves it), then signs in with a text and with a call.
func TestPhoneFactor(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			v := newEnv(t, b.New(t))
			v.configurePhones(t)
			v.policy(t, policy.Rule{Name: "mfa", Access: policy.AccessAllow, Factors: 2,
				Authenticators: []string{policy.AuthPassword, policy.AuthSMS, policy.AuthVoice}})
			toSecond := func(t *testing.T) (Result, Result) {
				t.Helper()
				r := v.start(t, "", "")
				must(t)(v.cont(t, r, ActionNext, FieldLogin, login))
				return r, must(t)(v.cont(t, r, ActionSignIn, FieldPassword, password))
			}

			r, en := toSecond(t)
			if en.Flow.Step != wire.EnrollStep(policy.AuthSMS) || en.Flow.Fields[0].Name != FieldPhone {
				t.Fatalf("set-up: %s %+v", en.Flow.Step, en.Flow.Fields)
			}
			if got := must(t)(v.cont(t, r, ActionSend, FieldPhone, "+44 7700 900123")); !strings.Contains(messageIDs(got.Flow), MsgPhoneCountry) {
				t.Fatalf("a country not allowed: %s", messageIDs(got.Flow))
			}
			if got := must(t)(v.cont(t, r, ActionSend, FieldPhone, "415 555 0100")); !strings.Contains(messageIDs(got.Flow), MsgPhoneInvalid) {
				t.Fatalf("a national number: %s", messageIDs(got.Flow))
			}
			sent := must(t)(v.cont(t, r, ActionSend, FieldPhone, "+1 (415) 555-0100"))
			if !strings.Contains(messageIDs(sent.Flow), MsgPhoneSent) || sent.Flow.Fields[0].Name != FieldCode {
				t.Fatalf("after sending: %s %+v", messageIDs(sent.Flow), sent.Flow.Fields)
			}
			text, code := v.lastText(t)
			if text["to"] != "+14155550100" || text["channel"] != "sms" || !strings.Contains(text["body"], "Portal") || len(code) != 6 {
				t.Fatalf("the gateway got %v (code %q)", text, code)
			}
			if got := must(t)(v.cont(t, r, ActionVerify, FieldCode, "000000")); got.Flow.Step == wire.StepDone {
				t.Fatal("a wrong code signed in")
			}
			done := must(t)(v.cont(t, r, ActionVerify, FieldCode, code))
			if done.Flow.Step != wire.StepDone {
				t.Fatalf("the right code: %s (%s)", done.Flow.Step, messageIDs(done.Flow))
			}
			if s := v.sessionOf(t, done.SetSession.Value); !slices.Equal(s.AMR, []string{"pwd", "sms", "mfa"}) {
				t.Fatalf("amr %v", s.AMR)
			}
			phones := storetest.Get(t, v.st, func(ctx context.Context, tx store.Tx) ([]directory.Credential, error) {
				return v.e.credentials(ctx, tx, v.iss.TenantID, v.userID, directory.CredentialPhone)
			})
			if len(phones) != 1 || phones[0].Secret != "+14155550100" {
				t.Fatalf("phones %v", phones)
			}

			// Next time: a text at once, or a call as another way.
			r, ch := toSecond(t)
			if ch.Flow.Step != wire.StepChallengeSMS || !strings.Contains(messageIDs(ch.Flow), MsgPhoneSent) {
				t.Fatalf("second sign-in: %s (%s)", ch.Flow.Step, messageIDs(ch.Flow))
			}
			v.clk.Advance(resendAfter)
			must(t)(v.cont(t, r, ActionAnotherWay))
			call := must(t)(v.cont(t, r, ActionSelect, FieldAuthenticator, policy.AuthVoice))
			if call.Flow.Step != wire.StepChallengeVoice {
				t.Fatalf("chose a call: %s", call.Flow.Step)
			}
			said, code := v.lastText(t)
			if said["channel"] != "voice" || !regexp.MustCompile(`\d, \d, \d`).MatchString(said["body"]) {
				t.Fatalf("the call says %v", said)
			}
			if done := must(t)(v.cont(t, r, ActionVerify, FieldCode, code)); done.Flow.Step != wire.StepDone {
				t.Fatalf("the code of the call: %s (%s)", done.Flow.Step, messageIDs(done.Flow))
			}
		})
	}
}
