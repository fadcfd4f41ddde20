package phone

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/lintel-id/lintel/internal/invalid"
)

// DefaultTwilioBaseURL is where Twilio's REST API lives; TwilioConfig
// takes another base URL for Twilio-compatible providers and for tests.
const DefaultTwilioBaseURL = "https://api.twilio.com"

// Bounds of provider configuration.
const (
	maxIDLen     = 64
	maxSecretLen = 256
	maxURLLen    = 2048
)

// TwilioConfig configures the Twilio-compatible provider. AuthToken is a
// secret: Settings seals it and never reads it back.
type TwilioConfig struct {
	// AccountSID names the account ("AC…"); required.
	AccountSID string
	// AuthToken authenticates, with AccountSID, by HTTP basic auth;
	// required.
	AuthToken string
	// From is the sending number, E.164 (separators allowed, see
	// ParseNumber). Either From or MessagingServiceSID is required, and
	// calls always need From.
	From string
	// MessagingServiceSID ("MG…"), when set, sends SMS through a Twilio
	// messaging service (which picks the sender) instead of From.
	MessagingServiceSID string
	// BaseURL is the API's https base URL, without query; ""
	// means DefaultTwilioBaseURL.
	BaseURL string
	// StatusCallback, when set, is the https URL the provider calls with
	// delivery statuses (Lintel's edge, which passes them to
	// Outbox.RecordStatus).
	StatusCallback string
}

// validate checks c field by field ("twilio.…" fields) and returns it
// normalised: From in E.164, BaseURL defaulted and without a trailing
// slash. requireToken is false when Settings may keep a stored token.
func (c TwilioConfig) validate(requireToken bool) (TwilioConfig, error) {
	var errs []error
	if err := checkID("twilio.account_sid", c.AccountSID, true); err != nil {
		errs = append(errs, err)
	}
	if err := checkSecret("twilio.auth_token", c.AuthToken, 1, requireToken); err != nil {
		errs = append(errs, err)
	}
	if c.From != "" {
		n, reason := parseNumber(c.From)
		if reason != "" {
			errs = append(errs, invalid.Field("twilio.from", "%s", reason))
		} else {
			c.From = n.String()
		}
	}
	if err := checkID("twilio.messaging_service_sid", c.MessagingServiceSID, false); err != nil {
		errs = append(errs, err)
	}
	if c.From == "" && c.MessagingServiceSID == "" {
		errs = append(errs, invalid.Field("twilio.from", "must be set, or twilio.messaging_service_sid"))
	}
	if c.BaseURL == "" {
		c.BaseURL = DefaultTwilioBaseURL
	}
	var err error
	if c.BaseURL, err = checkURL("twilio.base_url", c.BaseURL, false); err != nil {
		errs = append(errs, err)
	}
	c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	if c.StatusCallback != "" {
		if c.StatusCallback, err = checkURL("twilio.status_callback", c.StatusCallback, true); err != nil {
			errs = append(errs, err)
		}
	}
	return c, errors.Join(errs...)
}

// Twilio sends SMS and calls through Twilio's REST API (or a compatible
// one): SMS as POST {BaseURL}/2010-04-01/Accounts/{AccountSID}/Messages.json,
// calls as POST …/Calls.json with inline TwiML that says the body twice,
// a second apart. It is safe for concurrent use.
type Twilio struct {
	cfg    TwilioConfig
	client *http.Client
}

// NewTwilio returns the provider for cfg, sending with client (in
// production the egress dialer's, see egress.Dialer.Client; redirects are
// not followed). Refused configuration returns an error holding an
// *invalid.Error per field ("twilio.account_sid", …) that never quotes
// the token.
func NewTwilio(cfg TwilioConfig, client *http.Client) (*Twilio, error) {
	cfg, err := cfg.validate(true)
	if err != nil {
		return nil, fmt.Errorf("phone: twilio: %w", err)
	}
	return &Twilio{cfg: cfg, client: noRedirects(client)}, nil
}

// Send posts m to the API and returns the message's or call's SID. The
// answer decides: 2xx is accepted; 401, 403, 404 and other 4xx (Twilio's
// 21211 invalid number, 21610 unsubscribed, 21614 not a mobile, 21408
// region not enabled…) wrap ErrPermanent; 408, 429, 5xx and transport
// failures are temporary. Errors name the HTTP status and Twilio's error
// code, never Twilio's message, which may quote the number.
func (t *Twilio) Send(ctx context.Context, m Message) (Receipt, error) {
	if m.To.IsZero() || !m.Channel.Valid() {
		return Receipt{}, fmt.Errorf("%w: twilio: no recipient or unknown channel", ErrPermanent)
	}
	form := url.Values{"To": {m.To.String()}}
	resource := "Messages.json"
	switch {
	case m.Channel == Voice && t.cfg.From == "":
		return Receipt{}, fmt.Errorf("%w: twilio: calls need a From number", ErrPermanent)
	case m.Channel == Voice:
		resource = "Calls.json"
		form.Set("From", t.cfg.From)
		form.Set("Twiml", twiml(m.Body, m.Locale))
	case t.cfg.MessagingServiceSID != "":
		form.Set("MessagingServiceSid", t.cfg.MessagingServiceSID)
		form.Set("Body", m.Body)
	default:
		form.Set("From", t.cfg.From)
		form.Set("Body", m.Body)
	}
	if t.cfg.StatusCallback != "" {
		form.Set("StatusCallback", t.cfg.StatusCallback)
	}
	u := t.cfg.BaseURL + "/2010-04-01/Accounts/" + url.PathEscape(t.cfg.AccountSID) + "/" + resource
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return Receipt{}, fmt.Errorf("%w: twilio: %w", ErrPermanent, err)
	}
	req.SetBasicAuth(t.cfg.AccountSID, t.cfg.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	status, body, err := post(t.client, req, "twilio")
	if err != nil {
		return Receipt{}, err
	}
	return twilioReceipt(status, body)
}

// twilioAnswer is the part of Twilio's JSON answers Lintel reads: a
// message or call resource (sid, status, error_code) or an error
// (code, status, message).
type twilioAnswer struct {
	SID       string `json:"sid"`
	Code      int    `json:"code"`
	ErrorCode *int   `json:"error_code"`
}

// twilioCodes describes the Twilio error codes a misconfigured tenant or a
// bad number meets most, for last errors an operator reads.
var twilioCodes = map[int]string{
	20003: "authentication failed",
	20404: "account or resource not found",
	20429: "too many requests",
	21211: "invalid To number",
	21215: "calls to this region are not enabled",
	21217: "invalid number for a call",
	21219: "trial account: number not verified",
	21408: "SMS to this region is not enabled",
	21606: "From number cannot send to this destination",
	21610: "recipient has unsubscribed",
	21612: "cannot route to this number",
	21614: "not a mobile number",
	21617: "body too long",
}

// twilioReceipt turns Twilio's answer into a receipt or a classified
// error. A 2xx answer that cannot be read is still accepted (with no
// provider ID): the message is on its way, and sending it again would send
// a second code.
func twilioReceipt(status int, body []byte) (Receipt, error) {
	var a twilioAnswer
	_ = json.Unmarshal(bytes.TrimSpace(body), &a) // best effort; the status decides
	if status >= 200 && status < 300 {
		if validID(a.SID) {
			return Receipt{ProviderID: a.SID}, nil
		}
		return Receipt{}, nil
	}
	code := a.Code
	if code == 0 && a.ErrorCode != nil {
		code = *a.ErrorCode
	}
	what := fmt.Sprintf("twilio: HTTP %d", status)
	if code > 0 {
		what += fmt.Sprintf(", error %d", code)
		if d, ok := twilioCodes[code]; ok {
			what += " (" + d + ")"
		}
	}
	if permanentStatus(status) {
		return Receipt{}, fmt.Errorf("%w: %s", ErrPermanent, what)
	}
	return Receipt{}, errors.New(what)
}

// permanentStatus reports whether an HTTP status answering a send means
// that sending again cannot succeed: every 3xx (redirects are not
// followed) and 4xx but 408 Request Timeout and 429 Too Many Requests,
// which ask to come back later.
func permanentStatus(status int) bool {
	return status >= 300 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
}

// twiml is the inline TwiML of a call: body said twice, a second apart,
// in the voice of locale when set.
func twiml(body, locale string) string {
	var say bytes.Buffer
	say.WriteString("<Say")
	if locale != "" {
		say.WriteString(` language="`)
		_ = xml.EscapeText(&say, []byte(locale)) // writes to memory
		say.WriteString(`"`)
	}
	say.WriteString(">")
	_ = xml.EscapeText(&say, []byte(body))
	say.WriteString("</Say>")
	return "<Response>" + say.String() + `<Pause length="1"/>` + say.String() + "</Response>"
}

// validID reports whether id may be stored as a provider ID: 1 to 64
// letters, digits, hyphens and underscores.
func validID(id string) bool {
	if id == "" || len(id) > maxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// checkID refuses an identifier that is not 1 to 64 letters, digits,
// hyphens and underscores (or empty when not required).
func checkID(field, v string, required bool) error {
	switch {
	case v == "" && required:
		return invalid.Field(field, "must be set")
	case v != "" && !validID(v):
		return invalid.Field(field, "must be at most %d letters, digits, hyphens and underscores", maxIDLen)
	}
	return nil
}

// checkSecret refuses a secret that is not minLen to 256 printable ASCII
// characters without spaces, or that is missing when required. The reason
// never quotes it.
func checkSecret(field, v string, minLen int, required bool) error {
	if v == "" {
		if required {
			return invalid.Field(field, "must be set")
		}
		return nil
	}
	if len(v) < minLen || len(v) > maxSecretLen {
		return invalid.Field(field, "must be %d to %d characters", minLen, maxSecretLen)
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] > '~' {
			return invalid.Field(field, "must be printable ASCII without spaces")
		}
	}
	return nil
}

// checkURL refuses a URL that is not an absolute https URL with a host,
// without userinfo or fragment, and, unless query is true, without a
// query; it returns the URL as given.
func checkURL(field, raw string, query bool) (string, error) {
	if len(raw) > maxURLLen {
		return raw, invalid.Field(field, "must be at most %d bytes", maxURLLen)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Opaque != "" || u.Host == "":
		return raw, invalid.Field(field, "must be an absolute URL")
	case u.Scheme != "https":
		return raw, invalid.Field(field, "must use https")
	case u.User != nil:
		return raw, invalid.Field(field, "must not hold a user name or password")
	case strings.Contains(raw, "#"):
		return raw, invalid.Field(field, "must not have a fragment")
	case !query && (u.RawQuery != "" || u.ForceQuery):
		return raw, invalid.Field(field, "must not have a query")
	}
	return raw, nil
}

var _ Provider = (*Twilio)(nil)
