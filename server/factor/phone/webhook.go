package phone

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/invalid"
)

// SignatureHeader is the header that carries a webhook's signature.
const SignatureHeader = "Lintel-Signature"

// MinWebhookSecretLen is the shortest webhook secret accepted: 32
// characters, so that the HMAC key cannot be guessed.
const MinWebhookSecretLen = 32

// WebhookConfig configures the webhook provider. Secret is a secret:
// Settings seals it and never reads it back.
type WebhookConfig struct {
	// URL is the https URL messages are posted to (a query is allowed);
	// required.
	URL string
	// Secret is the HMAC-SHA256 key that signs each request: 32 to 256
	// printable ASCII characters without spaces; required.
	Secret string
}

// validate checks c field by field ("webhook.…" fields). requireSecret is
// false when Settings may keep a stored secret.
func (c WebhookConfig) validate(requireSecret bool) (WebhookConfig, error) {
	var errs []error
	var err error
	if c.URL == "" {
		errs = append(errs, invalid.Field("webhook.url", "must be set"))
	} else if c.URL, err = checkURL("webhook.url", c.URL, true); err != nil {
		errs = append(errs, err)
	}
	if err := checkSecret("webhook.secret", c.Secret, MinWebhookSecretLen, requireSecret); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// Webhook posts each message as JSON to the tenant's own gateway, signed
// so that the gateway can tell Lintel's requests from anyone else's.
//
// The request is POST {URL} with Content-Type application/json and the body
//
//	{"id":"phone_…","to":"+14155550100","channel":"sms","body":"…","locale":"en","country":"US"}
//
// where id is the outbox message ID, the same on every attempt (use it to
// drop repeats), and the header
//
//	Lintel-Signature: t=<unix seconds>,v1=<hex>
//
// where <hex> is the lowercase hex HMAC-SHA256, keyed with the configured
// secret, of the string "<t>.<body>": the decimal t of the header, a dot,
// and the raw request body, byte for byte. A receiver recomputes it over
// the body as received, compares in constant time, and refuses a t more
// than five minutes from its clock (a replay). WebhookSignature computes
// the header value.
//
// Any 2xx answer accepts the message (its body is ignored) and the receipt
// names it by its outbox ID; 3xx (redirects are not followed) and 4xx
// answers but 408 and 429 are permanent failures; anything else is
// retried. Webhook is safe for concurrent use.
type Webhook struct {
	cfg    WebhookConfig
	client *http.Client
	clk    clock.Clock
}

// NewWebhook returns the provider for cfg, sending with client (in
// production the egress dialer's; redirects are not followed) and
// stamping signatures with clk. Refused configuration returns an error
// holding an *invalid.Error per field ("webhook.url", "webhook.secret")
// that never quotes the secret.
func NewWebhook(cfg WebhookConfig, client *http.Client, clk clock.Clock) (*Webhook, error) {
	cfg, err := cfg.validate(true)
	if err != nil {
		return nil, fmt.Errorf("phone: webhook: %w", err)
	}
	return &Webhook{cfg: cfg, client: noRedirects(client), clk: clk}, nil
}

// webhookPayload is the JSON body of a webhook request.
type webhookPayload struct {
	ID      string  `json:"id"`
	To      string  `json:"to"`
	Channel Channel `json:"channel"`
	Body    string  `json:"body"`
	Locale  string  `json:"locale"`
	Country string  `json:"country"`
}

// Send posts m, signed, to the configured URL; see Webhook.
func (w *Webhook) Send(ctx context.Context, m Message) (Receipt, error) {
	if m.To.IsZero() || !m.Channel.Valid() {
		return Receipt{}, fmt.Errorf("%w: webhook: no recipient or unknown channel", ErrPermanent)
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false) // the body is data, not HTML
	p := webhookPayload{ID: m.ID, To: m.To.String(), Channel: m.Channel, Body: m.Body, Locale: m.Locale, Country: m.To.Country()}
	if err := enc.Encode(p); err != nil {
		return Receipt{}, fmt.Errorf("%w: webhook: %w", ErrPermanent, err)
	}
	raw := bytes.TrimSuffix(body.Bytes(), []byte("\n"))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(raw))
	if err != nil {
		return Receipt{}, fmt.Errorf("%w: webhook: %w", ErrPermanent, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(SignatureHeader, WebhookSignature(w.cfg.Secret, w.clk.Now(), raw))
	status, _, err := post(w.client, req, "webhook")
	switch {
	case err != nil:
		return Receipt{}, err
	case status >= 200 && status < 300:
		return Receipt{ProviderID: m.ID}, nil
	case permanentStatus(status):
		return Receipt{}, fmt.Errorf("%w: webhook: HTTP %d", ErrPermanent, status)
	}
	return Receipt{}, fmt.Errorf("webhook: HTTP %d", status)
}

// WebhookSignature returns the value of the Lintel-Signature header for a
// request body sent at t under secret: "t=<unix seconds>,v1=<hex>", the
// hex being HMAC-SHA256(secret, "<unix seconds>.<body>"). Receivers in Go
// can compute it to verify a request (compare with hmac.Equal).
func WebhookSignature(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

var _ Provider = (*Webhook)(nil)
