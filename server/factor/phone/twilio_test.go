package phone

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/internal/invalid"
)

// fixture returns a recorded answer from testdata/twilio.
func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "twilio", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// answering returns a gateway reply that always gives status and body.
func answering(status int, body string) func(int, request) (int, string) {
	return func(int, request) (int, string) { return status, body }
}

// twilioConfig is a valid configuration for g.
func twilioConfig(g *gateway) TwilioConfig {
	return TwilioConfig{AccountSID: testSID, AuthToken: testToken, From: "+1 415 555 0199", BaseURL: g.url(),
		StatusCallback: "https://login.acme.example/phone/status?tenant=acme"}
}

func TestTwilioRequests(t *testing.T) {
	client := testEgress(t).Client()
	tests := []struct {
		name    string // golden file testdata/twilio/<name>.golden
		edit    func(c *TwilioConfig)
		m       func(t testing.TB) Message
		answer  string
		wantSID string
	}{
		{"sms", nil, sms, "message-201.json", "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0"},
		{"sms-messaging-service",
			func(c *TwilioConfig) {
				c.MessagingServiceSID, c.StatusCallback = "MG9a8b7c6d5e4f30211203f4e5d6c7b8a9", ""
			},
			sms, "message-service-201.json", "SM2a3b4c5d6e7f80918273645546372819"},
		{"voice", nil, func(t testing.TB) Message {
			return Message{To: mustNumber(t, "+14155550100"), Channel: Voice, Locale: "en-US",
				Body: "Your Acme & Co <sign-in> code is " + VoiceCode("123456") + "."}
		}, "call-201.json", "CA3c4d5e6f708192a3b4c5d6e7f8091a2b"},
		{"voice-arabic", nil, func(t testing.TB) Message {
			return Message{To: mustNumber(t, "+971501234567"), Channel: Voice, Locale: "ar",
				Body: "رمز تسجيل الدخول إلى Acme هو " + VoiceCode("654321") + "."}
		}, "call-201.json", "CA3c4d5e6f708192a3b4c5d6e7f8091a2b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := startGateway(t, answering(http.StatusCreated, fixture(t, tt.answer)))
			cfg := twilioConfig(g)
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			p, err := NewTwilio(cfg, client)
			if err != nil {
				t.Fatal(err)
			}
			m := tt.m(t)
			m.ID = "phone_01jd0000000000000000000000"
			rec, err := p.Send(context.Background(), m)
			if err != nil || rec.ProviderID != tt.wantSID {
				t.Fatalf("Send = %+v, %v; want SID %s", rec, err, tt.wantSID)
			}
			reqs := g.requests()
			if len(reqs) != 1 {
				t.Fatalf("gateway got %d requests, want 1", len(reqs))
			}
			golden(t, filepath.Join("twilio", tt.name+".golden"), dump(reqs[0]))
		})
	}
}

func TestTwilioAnswers(t *testing.T) {
	client := testEgress(t).Client()
	tests := []struct {
		name      string
		status    int
		answer    string // fixture file, or a literal body when it does not end in .json/.html
		wantID    string
		permanent bool
		wantErr   string // part of the error text
	}{
		{"a created message is accepted", 201, "message-201.json", "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0", false, ""},
		{"an accepted answer that cannot be read is still accepted", 200, "not json", "", false, ""},
		{"an accepted answer with a malformed SID has no provider ID", 201, `{"sid":"SM/../x"}`, "", false, ""},
		{"an invalid number is permanent", 400, "error-21211.json", "", true, "HTTP 400, error 21211 (invalid To number)"},
		{"an unsubscribed recipient is permanent", 400, "error-21610.json", "", true, "error 21610"},
		{"a landline is permanent", 400, "error-21614.json", "", true, "error 21614"},
		{"a region not enabled is permanent", 400, "error-21408.json", "", true, "error 21408"},
		{"an unknown 400 is permanent", 400, `{"code": 21999, "status": 400}`, "", true, "HTTP 400, error 21999"},
		{"refused credentials are permanent", 401, "error-20003.json", "", true, "HTTP 401, error 20003 (authentication failed)"},
		{"forbidden is permanent", 403, `{"code": 20403, "status": 403}`, "", true, "HTTP 403"},
		{"an unknown account is permanent", 404, "error-20404.json", "", true, "HTTP 404, error 20404"},
		{"a redirect is permanent", 302, "", "", true, "HTTP 302"},
		{"too many requests is temporary", 429, "error-20429.json", "", false, "HTTP 429, error 20429"},
		{"a server error is temporary", 500, "error-20500.json", "", false, "HTTP 500, error 20500"},
		{"an HTML 503 is temporary", 503, "error-503.html", "", false, "HTTP 503"},
		{"a request timeout is temporary", 408, "", "", false, "HTTP 408"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.answer
			if strings.HasSuffix(body, ".json") || strings.HasSuffix(body, ".html") {
				body = fixture(t, body)
			}
			g := startGateway(t, answering(tt.status, body))
			p, err := NewTwilio(twilioConfig(g), client)
			if err != nil {
				t.Fatal(err)
			}
			rec, err := p.Send(context.Background(), sms(t))
			if tt.wantErr == "" {
				if err != nil || rec.ProviderID != tt.wantID {
					t.Fatalf("Send = %+v, %v; want accepted with ID %q", rec, err, tt.wantID)
				}
				return
			}
			if err == nil || errors.Is(err, ErrPermanent) != tt.permanent || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Send = %v; want an error with %q, permanent %v", err, tt.wantErr, tt.permanent)
			}
			for _, secret := range []string{"4155550100", testToken, "123456", "Authenticate"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q quotes %q", err, secret)
				}
			}
		})
	}
}

func TestTwilioTransport(t *testing.T) {
	g := startGateway(t, nil)
	cfg := twilioConfig(g)
	t.Run("an unreachable API is temporary and the error does not name the account", func(t *testing.T) {
		g2 := startGateway(t, nil)
		c := cfg
		c.BaseURL = g2.url()
		g2.srv.Close()
		p, err := NewTwilio(c, testEgress(t).Client())
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Send(context.Background(), sms(t))
		if err == nil || errors.Is(err, ErrPermanent) || strings.Contains(err.Error(), testSID) {
			t.Fatalf("Send = %v; want a temporary error without the account SID", err)
		}
	})
	t.Run("an address egress refuses is permanent", func(t *testing.T) {
		p, err := NewTwilio(cfg, egress.New(egress.Options{}).Client())
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Send(context.Background(), sms(t))
		if !errors.Is(err, ErrPermanent) || !errors.Is(err, egress.ErrForbidden) {
			t.Fatalf("Send = %v; want permanent, forbidden", err)
		}
	})
	t.Run("a call without a From number is permanent and sends nothing", func(t *testing.T) {
		c := cfg
		c.From, c.MessagingServiceSID = "", "MG9a8b7c6d5e4f30211203f4e5d6c7b8a9"
		p, err := NewTwilio(c, testEgress(t).Client())
		if err != nil {
			t.Fatal(err)
		}
		m := sms(t)
		m.Channel = Voice
		if _, err := p.Send(context.Background(), m); !errors.Is(err, ErrPermanent) {
			t.Fatalf("Send = %v, want permanent", err)
		}
		if _, err := p.Send(context.Background(), Message{Channel: SMS, Body: "x"}); !errors.Is(err, ErrPermanent) {
			t.Fatalf("Send(no recipient) = %v, want permanent", err)
		}
		if n := len(g.requests()); n != 0 {
			t.Fatalf("gateway got %d requests", n)
		}
	})
	t.Run("a cancelled context returns its error", func(t *testing.T) {
		p, err := NewTwilio(cfg, testEgress(t).Client())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := p.Send(ctx, sms(t)); !errors.Is(err, context.Canceled) {
			t.Fatalf("Send = %v, want context.Canceled", err)
		}
	})
}

func TestNewTwilioRefuses(t *testing.T) {
	valid := TwilioConfig{AccountSID: testSID, AuthToken: testToken, From: "+14155550199"}
	tests := []struct {
		name, field string
		edit        func(c *TwilioConfig)
	}{
		{"no account", "twilio.account_sid", func(c *TwilioConfig) { c.AccountSID = "" }},
		{"an account with a slash", "twilio.account_sid", func(c *TwilioConfig) { c.AccountSID = "AC/../x" }},
		{"no token", "twilio.auth_token", func(c *TwilioConfig) { c.AuthToken = "" }},
		{"a token with a space", "twilio.auth_token", func(c *TwilioConfig) { c.AuthToken = "tw auth" }},
		{"a long token", "twilio.auth_token", func(c *TwilioConfig) { c.AuthToken = strings.Repeat("t", 257) }},
		{"no sender", "twilio.from", func(c *TwilioConfig) { c.From = "" }},
		{"a national sender", "twilio.from", func(c *TwilioConfig) { c.From = "(415) 555-0199" }},
		{"a bad messaging service", "twilio.messaging_service_sid", func(c *TwilioConfig) { c.MessagingServiceSID = "MG 1" }},
		{"an http base URL", "twilio.base_url", func(c *TwilioConfig) { c.BaseURL = "http://api.twilio.com" }},
		{"a base URL with a query", "twilio.base_url", func(c *TwilioConfig) { c.BaseURL = "https://api.twilio.com/?x=1" }},
		{"a base URL with credentials", "twilio.base_url", func(c *TwilioConfig) { c.BaseURL = "https://u:p@api.twilio.com" }},
		{"a relative base URL", "twilio.base_url", func(c *TwilioConfig) { c.BaseURL = "/api" }},
		{"a callback with a fragment", "twilio.status_callback", func(c *TwilioConfig) { c.StatusCallback = "https://a.example/s#x" }},
		{"an http callback", "twilio.status_callback", func(c *TwilioConfig) { c.StatusCallback = "http://a.example/s" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.edit(&c)
			p, err := NewTwilio(c, http.DefaultClient)
			fields := invalid.All(err)
			if p != nil || len(fields) != 1 || fields[0].Field != tt.field {
				t.Fatalf("NewTwilio = %v; want one invalid field %s", err, tt.field)
			}
			if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "tw auth") {
				t.Errorf("error quotes the token: %v", err)
			}
		})
	}
	t.Run("every problem at once", func(t *testing.T) {
		_, err := NewTwilio(TwilioConfig{BaseURL: "ftp://x"}, http.DefaultClient)
		if got := len(invalid.All(err)); got != 4 {
			t.Fatalf("NewTwilio = %v; want 4 invalid fields (account, token, from, base URL)", err)
		}
	})
	t.Run("defaults the base URL", func(t *testing.T) {
		p, err := NewTwilio(valid, http.DefaultClient)
		if err != nil || p.cfg.BaseURL != DefaultTwilioBaseURL || p.cfg.From != "+14155550199" {
			t.Fatalf("NewTwilio = %+v, %v", p, err)
		}
	})
}
