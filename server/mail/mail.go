// Package mail is Lintel's outgoing mail: an outbox table written in the
// transaction of the change that causes a message, and its delivery over
// SMTP with retries.
//
// Enqueue inserts a message in the caller's transaction, so a message and
// the change it reports commit or roll back together and a crash loses
// nothing. Deliver, run by every node (see Run), claims due messages with
// a lease so that two nodes never send one message at the same time,
// sends each outside any transaction, then records the outcome: delivered,
// retried later with exponential backoff, or dead.
//
// Delivery is at least once: a crash (or a lost database connection)
// between a send and the recording of it sends the message again once its
// lease expires. Every message carries a Message-ID made from its outbox
// row ID, the same on every attempt, so a receiver can recognise a repeat.
//
// Settings holds each tenant's SMTP relay (its password sealed by the
// secrets service) and the instance default from configuration, and says
// which sender address a tenant's mail carries (From). Router is the Sender
// that lintel serve runs: it sends each message through its tenant's relay,
// else the instance's, dialing through the egress dialer; a message with no
// relay anywhere waits in the outbox until one is configured.
//
// Addresses, subjects and bodies are personal data, and bodies may hold
// codes and links: they are stored in plaintext only until Purge deletes
// delivered and dead messages after the retention, and they are never
// logged. Logs and last errors name messages by ID, tenant and kind only.
package mail

import (
	"errors"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/invalid"
)

// IDPrefix is the prefix of outbox message IDs ("mail_…", see internal/ident).
const IDPrefix = "mail"

// Size limits Enqueue enforces.
const (
	// MaxAddressLen bounds To and From, display name included.
	MaxAddressLen = 320
	// MaxSubjectLen bounds Subject, in bytes.
	MaxSubjectLen = 998
	// MaxBodyLen bounds Text and HTML each, in bytes.
	MaxBodyLen = 256 << 10
	// maxWordLen bounds TenantID, Kind and UserID.
	maxWordLen = 128
)

// Message is one email to one recipient.
type Message struct {
	// TenantID is the tenant the message is sent for; required.
	TenantID string
	// To is one recipient address (RFC 5322, display name allowed).
	To string
	// From is the sender address (RFC 5322, display name allowed).
	From string
	// Subject is the subject line, one line of UTF-8.
	Subject string
	// Text is the plain-text body; required.
	Text string
	// HTML is the HTML body; when set the message is multipart/alternative.
	HTML string
	// Kind names what the message is for, lowercase and dotted:
	// "passwordless.code", "password.reset"; required.
	Kind string
	// UserID is the opaque ID of the person the message is about, "" when
	// none. It is stored so that the message can be found by user.
	UserID string
	// MessageID is the value of the Message-ID header without angle
	// brackets. Deliver sets it from the outbox row ID; Enqueue ignores it.
	MessageID string
}

// validate checks m field by field and returns the normalised message or
// an error holding an *invalid.Error per refused field. Reasons never
// quote the values: they are personal data.
func (m Message) validate() (Message, error) {
	var errs []error
	word := func(field, v string, required bool) {
		switch {
		case v == "" && required:
			errs = append(errs, invalid.Field(field, "must be set"))
		case len(v) > maxWordLen || !utf8.ValidString(v) || strings.ContainsAny(v, " \t\r\n"):
			errs = append(errs, invalid.Field(field, "must be one word of at most %d bytes", maxWordLen))
		}
	}
	word("tenant_id", m.TenantID, true)
	word("kind", m.Kind, true)
	word("user_id", m.UserID, false)
	addr := func(field, v string) string {
		if v == "" {
			errs = append(errs, invalid.Field(field, "must be set"))
			return v
		}
		if len(v) > MaxAddressLen {
			errs = append(errs, invalid.Field(field, "must be at most %d bytes", MaxAddressLen))
			return v
		}
		a, err := mail.ParseAddress(v)
		if err != nil {
			errs = append(errs, invalid.Field(field, "must be one email address"))
			return v
		}
		return a.String()
	}
	m.To = addr("to", m.To)
	m.From = addr("from", m.From)
	switch {
	case len(m.Subject) > MaxSubjectLen:
		errs = append(errs, invalid.Field("subject", "must be at most %d bytes", MaxSubjectLen))
	case !utf8.ValidString(m.Subject) || strings.ContainsAny(m.Subject, "\r\n"):
		errs = append(errs, invalid.Field("subject", "must be one line of UTF-8"))
	}
	body := func(field, v string, required bool) {
		switch {
		case v == "" && required:
			errs = append(errs, invalid.Field(field, "must be set"))
		case len(v) > MaxBodyLen:
			errs = append(errs, invalid.Field(field, "must be at most %d bytes", MaxBodyLen))
		case !utf8.ValidString(v):
			errs = append(errs, invalid.Field(field, "must be UTF-8"))
		}
	}
	body("text", m.Text, true)
	body("html", m.HTML, false)
	m.MessageID = ""
	return m, errors.Join(errs...)
}
