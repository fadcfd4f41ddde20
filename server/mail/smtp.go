package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Sender sends one message.
//
// Send returns nil once the message was accepted for delivery. An error
// wrapping ErrPermanent means sending again will not help (an SMTP 5xx
// answer, an address the server refuses); any other error is temporary
// and the message is retried. Errors should not quote addresses, subjects
// or bodies; the outbox records only a summary of them anyway. Send must
// honour ctx's cancellation and be safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ErrPermanent marks a send error that retrying will not cure.
var ErrPermanent = errors.New("mail: permanent delivery failure")

// TLSPolicy says how SMTP connects.
type TLSPolicy string

// The TLS policies of SMTP.
const (
	// StartTLS connects in plaintext and requires STARTTLS (the default).
	StartTLS TLSPolicy = "starttls"
	// ImplicitTLS connects over TLS from the start (SMTPS, port 465).
	ImplicitTLS TLSPolicy = "implicit"
	// NoTLS never encrypts; only for a relay on loopback and for tests.
	NoTLS TLSPolicy = "none"
)

// DefaultTimeout bounds one SMTP send when SMTP.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// SMTP is a Sender that hands messages to an SMTP server, one connection
// per message. It is safe for concurrent use.
type SMTP struct {
	// Host and Port of the server; Port 0 means 587, or 465 for ImplicitTLS.
	Host string
	Port int
	// Username and Password authenticate (PLAIN, or whatever the server
	// offers best) when Username is set.
	Username, Password string
	// TLS is the TLS policy; "" means StartTLS.
	TLS TLSPolicy
	// Timeout bounds connecting and each SMTP command; 0 means 30s.
	Timeout time.Duration
	// TLSConfig, when set, replaces the default TLS configuration (whose
	// ServerName is Host).
	TLSConfig *tls.Config
}

// Send delivers m, as multipart/alternative when m.HTML is set, with the
// Message-ID m.MessageID when set. SMTP 5xx answers wrap ErrPermanent.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := s.build(m)
	if err != nil {
		return err
	}
	client, err := gomail.NewClient(s.Host, s.options()...)
	if err != nil {
		return fmt.Errorf("mail: smtp client: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		if code := smtpCode(err); code >= 500 && code < 600 {
			return fmt.Errorf("%w: %w", ErrPermanent, err)
		}
		return fmt.Errorf("mail: smtp send: %w", err)
	}
	return nil
}

func (s *SMTP) options() []gomail.Option {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	opts := []gomail.Option{gomail.WithTimeout(timeout)}
	switch s.TLS {
	case NoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	port := s.Port
	if port == 0 {
		port = 587
		if s.TLS == ImplicitTLS {
			port = 465
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if s.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(s.TLSConfig))
	}
	if s.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.Username), gomail.WithPassword(s.Password))
	}
	return opts
}

// build turns m into a go-mail message. Address errors are permanent: a
// stored message never becomes valid by waiting.
func (s *SMTP) build(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("%w: bad from address", ErrPermanent)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("%w: bad to address", ErrPermanent)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	} else {
		msg.SetMessageID()
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// smtpCode returns the SMTP reply code in err, 0 when there is none.
func smtpCode(err error) int {
	var se *gomail.SendError
	if errors.As(err, &se) && se.ErrorCode() != 0 {
		return se.ErrorCode()
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

// summary describes a send error for last_error and logs without personal
// data: server answers often quote the recipient, so only their codes are
// kept.
func summary(err error) string {
	if err == nil {
		return ""
	}
	var se *gomail.SendError
	var ne net.Error
	switch {
	case errors.As(err, &se):
		s := fmt.Sprintf("smtp %s", se.Reason)
		if code := smtpCode(err); code != 0 {
			s += fmt.Sprintf(": %d %s", code, se.EnhancedStatusCode())
		}
		return s
	case smtpCode(err) != 0:
		return fmt.Sprintf("smtp: %d", smtpCode(err))
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(err, &ne):
		return "network error"
	case errors.Is(err, ErrPermanent):
		return "permanent failure"
	default:
		return "send failed"
	}
}

var _ Sender = (*SMTP)(nil)
