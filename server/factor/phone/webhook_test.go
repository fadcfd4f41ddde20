package phone

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/invalid"
)

// verifySignature checks a Lintel-Signature header as a receiver
// following the documentation would, without this package's code.
func verifySignature(t *testing.T, header string, body []byte) {
	t.Helper()
	ts, sig, ok := strings.Cut(header, ",")
	ts, okT := strings.CutPrefix(ts, "t=")
	sig, okS := strings.CutPrefix(sig, "v1=")
	if !ok || !okT || !okS {
		t.Fatalf("signature header %q is not t=…,v1=…", header)
	}
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write([]byte(ts + "." + string(body)))
	want := hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(sig), []byte(want)) {
		t.Fatalf("signature %s does not verify (want %s)", sig, want)
	}
}

func TestWebhookRequests(t *testing.T) {
	client := testEgress(t).Client()
	clk := clock.NewFake(t0)
	tests := []struct {
		name string // golden file testdata/webhook/<name>.golden
		m    func(t testing.TB) Message
	}{
		{"sms", sms},
		{"voice", func(t testing.TB) Message {
			return Message{To: mustNumber(t, "+1 416 555 0100"), Channel: Voice, Locale: "en-CA",
				Body: "Your Acme <sign-in> code is " + VoiceCode("123456") + "."}
		}},
		{"sms-no-locale", func(t testing.TB) Message {
			return Message{To: mustNumber(t, "+971501234567"), Channel: SMS, Body: "رمز تسجيل الدخول إلى Acme: 654321"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := startGateway(t, nil)
			p, err := NewWebhook(WebhookConfig{URL: g.url() + "/hooks/sms?tenant=acme", Secret: testSecret}, client, clk)
			if err != nil {
				t.Fatal(err)
			}
			m := tt.m(t)
			m.ID = "phone_01jd0000000000000000000000"
			rec, err := p.Send(context.Background(), m)
			if err != nil || rec.ProviderID != m.ID {
				t.Fatalf("Send = %+v, %v; want the outbox ID as provider ID", rec, err)
			}
			reqs := g.requests()
			if len(reqs) != 1 {
				t.Fatalf("gateway got %d requests, want 1", len(reqs))
			}
			verifySignature(t, reqs[0].header.Get(SignatureHeader), reqs[0].body)
			var got webhookPayload
			if err := json.Unmarshal(reqs[0].body, &got); err != nil || got.To != m.To.String() || got.Body != m.Body ||
				got.Country != m.To.Country() || got.ID != m.ID || got.Channel != m.Channel || got.Locale != m.Locale {
				t.Fatalf("payload %+v, %v", got, err)
			}
			golden(t, filepath.Join("webhook", tt.name+".golden"), dump(reqs[0]))
		})
	}
	t.Run("WebhookSignature is what receivers verify", func(t *testing.T) {
		body := []byte(`{"id":"x"}`)
		h := WebhookSignature(testSecret, t0, body)
		if !strings.HasPrefix(h, "t=1772366400,v1=") {
			t.Fatalf("header %q", h)
		}
		verifySignature(t, h, body)
	})
}

func TestWebhookAnswers(t *testing.T) {
	client := testEgress(t).Client()
	tests := []struct {
		name      string
		status    int
		ok        bool
		permanent bool
	}{
		{"200 accepts", 200, true, false},
		{"202 accepts", 202, true, false},
		{"204 accepts", 204, true, false},
		{"400 is permanent", 400, false, true},
		{"401 is permanent", 401, false, true},
		{"404 is permanent", 404, false, true},
		{"422 is permanent", 422, false, true},
		{"a redirect is permanent, not followed", 307, false, true},
		{"408 is temporary", 408, false, false},
		{"429 is temporary", 429, false, false},
		{"500 is temporary", 500, false, false},
		{"503 is temporary", 503, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := startGateway(t, func(int, request) (int, string) { return tt.status, "" })
			p, err := NewWebhook(WebhookConfig{URL: g.url(), Secret: testSecret}, client, clock.NewFake(t0))
			if err != nil {
				t.Fatal(err)
			}
			m := sms(t)
			m.ID = "phone_x"
			_, err = p.Send(context.Background(), m)
			if tt.ok != (err == nil) || errors.Is(err, ErrPermanent) != tt.permanent {
				t.Fatalf("Send = %v; want ok %v, permanent %v", err, tt.ok, tt.permanent)
			}
			if n := len(g.requests()); n != 1 {
				t.Fatalf("gateway got %d requests, want 1 (no redirect followed)", n)
			}
			if err != nil && (strings.Contains(err.Error(), "4155550100") || strings.Contains(err.Error(), "tenant=") ||
				strings.Contains(err.Error(), testSecret)) {
				t.Errorf("error %q quotes the number, the URL or the secret", err)
			}
		})
	}
}

func TestNewWebhookRefuses(t *testing.T) {
	tests := []struct {
		name, field string
		cfg         WebhookConfig
	}{
		{"no URL", "webhook.url", WebhookConfig{Secret: testSecret}},
		{"an http URL", "webhook.url", WebhookConfig{URL: "http://sms.acme.example/hook", Secret: testSecret}},
		{"a URL with a fragment", "webhook.url", WebhookConfig{URL: "https://sms.acme.example/hook#x", Secret: testSecret}},
		{"a URL with credentials", "webhook.url", WebhookConfig{URL: "https://u:p@sms.acme.example/", Secret: testSecret}},
		{"a long URL", "webhook.url", WebhookConfig{URL: "https://sms.acme.example/" + strings.Repeat("a", maxURLLen), Secret: testSecret}},
		{"no secret", "webhook.secret", WebhookConfig{URL: "https://sms.acme.example/hook"}},
		{"a short secret", "webhook.secret", WebhookConfig{URL: "https://sms.acme.example/hook", Secret: "short-secret"}},
		{"a secret with a line break", "webhook.secret", WebhookConfig{URL: "https://sms.acme.example/hook", Secret: testSecret + "\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewWebhook(tt.cfg, http.DefaultClient, clock.NewFake(t0))
			fields := invalid.All(err)
			if p != nil || len(fields) != 1 || fields[0].Field != tt.field {
				t.Fatalf("NewWebhook = %v; want one invalid field %s", err, tt.field)
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), "short-secret") {
				t.Errorf("error quotes the secret: %v", err)
			}
		})
	}
}
