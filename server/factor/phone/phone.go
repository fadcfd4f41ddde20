// Package phone sends one-time codes by SMS and voice call: phone numbers
// (E.164, with the country they belong to), the providers that carry
// messages (a Twilio-compatible HTTP API, or a signed webhook to the
// tenant's own gateway), each tenant's provider settings, the caps that
// stop SMS pumping, and an outbox.
//
// The sign-in engine renders the text (MsgSMSCode, MsgVoiceCode) and
// verifies the code itself; this package only carries it. Outbox.Enqueue
// checks the tenant's settings, its country allowlist and the caps, then
// writes the message in the caller's transaction, so a message and the
// change that causes it commit or roll back together. Deliver, run by
// every node (see Run), claims due messages with a lease, sends each
// through its tenant's provider outside any transaction, and records the
// outcome: sent (with the provider's ID), retried with backoff, or failed.
//
// SMS pumping (toll fraud: bots requesting codes to premium numbers whose
// operators share the revenue) is stopped before anything is queued: a
// tenant sends only to the countries it lists (an empty list allows none,
// so SMS is opt-in per country), and to at most so many codes per number,
// per client address and per tenant (see Caps).
//
// Bodies hold codes: they are stored only sealed by the secrets service,
// and the sealed copy is dropped once a message is sent or has failed for
// good. Numbers, bodies, codes and provider secrets are never logged and
// never put in errors; logs and last errors name messages by ID only.
// Delivery is at least once: a crash between a send and its recording
// sends the message again after its lease, with the same ID.
package phone

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"

	"github.com/lintel-id/lintel/internal/invalid"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrNotConfigured is wrapped when a tenant has no phone settings: the
	// engine then offers neither SMS nor voice. Settings.Get wraps it
	// together with store.ErrNotFound.
	ErrNotConfigured = errors.New("phone: no SMS or voice provider configured for the tenant")
	// ErrPermanent is wrapped by a provider's Send when retrying cannot
	// help: a bad or unsubscribed number, refused credentials, a refused
	// request. Any other Send error is temporary and retried.
	ErrPermanent = errors.New("phone: permanent delivery failure")
	// ErrCountryNotAllowed is wrapped by Enqueue when the number's country
	// is not in the tenant's allowlist, or the number belongs to no
	// country (satellite and international networks).
	ErrCountryNotAllowed = errors.New("phone: country not allowed")
	// ErrChannelNotAllowed is wrapped by Enqueue when the tenant's settings
	// do not enable the message's channel.
	ErrChannelNotAllowed = errors.New("phone: channel not enabled")
	// ErrCapped is matched (errors.Is) by the *CappedError Enqueue returns
	// when a cap is reached; errors.As gives the cap and the retry-after.
	ErrCapped = errors.New("phone: cap reached")
)

// Message IDs of the texts the engine renders, with parameters "code" and
// "app". The voice text takes the code as VoiceCode formats it.
const (
	MsgSMSCode   = "sms.code"
	MsgVoiceCode = "voice.code"
)

// IDPrefix is the prefix of outbox message IDs ("phone_…", see internal/ident).
const IDPrefix = "phone"

// Channel is how a message reaches a phone.
type Channel string

// The channels.
const (
	SMS   Channel = "sms"
	Voice Channel = "voice"
)

// Valid reports whether c is SMS or Voice.
func (c Channel) Valid() bool { return c == SMS || c == Voice }

// Body limits Enqueue enforces, in bytes. A voice body is said twice in a
// TwiML document, which Twilio bounds at 4,000 characters after escaping.
const (
	MaxSMSBodyLen   = 1600
	MaxVoiceBodyLen = 500
	maxLocaleLen    = 35
)

// Message is one SMS or call to one number.
type Message struct {
	// ID is the outbox message ID, the same on every attempt, so that a
	// provider or gateway can recognise a repeat. Enqueue sets it.
	ID string
	// To is the recipient; required.
	To Number
	// Channel is SMS or Voice; required.
	Channel Channel
	// Body is the rendered text: one code message, which for Voice is
	// read aloud twice; required, UTF-8, without control characters other
	// than line breaks.
	Body string
	// Locale is the BCP 47 tag of Body's language ("en", "ar"), "" when
	// unknown; voice providers pick the speaking voice by it.
	Locale string
}

// validate checks m field by field and returns it with Locale in canonical
// form, or an error holding an *invalid.Error per refused field. Reasons
// never quote the number or the body.
func (m Message) validate() (Message, error) {
	var errs []error
	if m.To.IsZero() {
		errs = append(errs, invalid.Field("to", "must be set"))
	}
	limit := MaxSMSBodyLen
	switch m.Channel {
	case SMS:
	case Voice:
		limit = MaxVoiceBodyLen
	default:
		errs = append(errs, invalid.Field("channel", "must be sms or voice"))
	}
	switch {
	case strings.TrimSpace(m.Body) == "":
		errs = append(errs, invalid.Field("body", "must be set"))
	case len(m.Body) > limit:
		errs = append(errs, invalid.Field("body", "must be at most %d bytes", limit))
	case !utf8.ValidString(m.Body) || strings.ContainsFunc(m.Body, func(r rune) bool { return r != '\n' && unicode.IsControl(r) }):
		errs = append(errs, invalid.Field("body", "must be UTF-8 without control characters"))
	}
	if m.Locale != "" {
		tag, err := language.Parse(m.Locale)
		if err != nil || len(m.Locale) > maxLocaleLen {
			errs = append(errs, invalid.Field("locale", "must be a BCP 47 language tag"))
		} else {
			m.Locale = tag.String()
		}
	}
	return m, errors.Join(errs...)
}

// Receipt is a provider's answer to an accepted message.
type Receipt struct {
	// ProviderID names the message at the provider (a Twilio SID; the
	// outbox ID for a webhook), as its status callbacks will name it.
	ProviderID string
}

// Cap names one of the caps against SMS pumping.
type Cap string

// The caps, in the order Enqueue checks them.
const (
	CapClientIP   Cap = "client-ip"   // per client address (IPv6 by /64) per day
	CapNumberHour Cap = "number-hour" // per number per hour
	CapNumberDay  Cap = "number-day"  // per number per day
	CapTenant     Cap = "tenant"      // per tenant per day
)

// CappedError is returned by Enqueue when a cap is reached. It matches
// ErrCapped with errors.Is.
type CappedError struct {
	// Cap is the cap that was reached.
	Cap Cap
	// RetryAfter is how long until the same message would pass this cap,
	// as the Limiter reports it; 0 when unknown.
	RetryAfter time.Duration
}

// Error names the cap and the retry-after, never the number or address
// that reached it.
func (e *CappedError) Error() string {
	return fmt.Sprintf("phone: %s cap reached, retry after %v", e.Cap, e.RetryAfter)
}

// Is makes errors.Is(err, ErrCapped) true.
func (e *CappedError) Is(target error) bool { return target == ErrCapped }

// VoiceCode spells a code for a voice call so that a speech engine reads
// it one character at a time: "123456" becomes "1, 2, 3, 4, 5, 6" (a
// number would be read "one hundred twenty-three thousand…"). Spaces and
// hyphens in the code are dropped. Use it for the code parameter of
// MsgVoiceCode.
func VoiceCode(code string) string {
	var b strings.Builder
	for _, r := range code {
		if r == ' ' || r == '-' {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteRune(r)
	}
	return b.String()
}
