package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/server/mail/dkim"
	"github.com/lintel-id/lintel/server/secrets"
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

// errConnect marks a failure to connect to, start TLS with or log in to a
// relay.
var errConnect = errors.New("mail: smtp connect")

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
	// Dial, when set, makes every connection (Router sets the egress
	// dialer's DialContext); nil dials directly.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// DKIM, when set, signs each message (Router sets it for the brand
	// senders' domains).
	DKIM *dkim.Signer
}

// Send delivers m, as multipart/alternative when m.HTML is set, with the
// Message-ID m.MessageID when set. SMTP 5xx answers to the message wrap
// ErrPermanent; failures to connect, start TLS or log in are temporary.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := s.build(m)
	if err != nil {
		return err
	}
	if s.DKIM != nil {
		if err := sign(msg, s.DKIM); err != nil {
			return err
		}
	}
	client, err := gomail.NewClient(s.Host, s.options()...)
	if err != nil {
		return fmt.Errorf("mail: smtp client: %w", err)
	}
	// Connecting, TLS and login fail for the relay, not for the message:
	// such errors are temporary even with a 5xx answer (a wrong password
	// is fixed by an admin, and the message should still go out then).
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", errConnect, err)
	}
	defer func() { _ = client.CloseWithSMTPClient(conn) }()
	// go-mail honours ctx only while connecting: close the connection when
	// ctx ends so that a shutdown does not wait for a slow relay.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if err := client.SendWithSMTPClient(conn, msg); err != nil {
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
	tc := s.tlsConfig()
	opts = append(opts, gomail.WithTLSConfig(tc))
	if s.Dial != nil {
		opts = append(opts, gomail.WithDialContextFunc(s.dialer(tc)))
	}
	if s.Username != "" {
		// Opportunistic rather than auto-discovered: go-mail's discovery
		// does not know that a connection from a custom dialer is already
		// TLS. PLAIN and LOGIN still refuse to send a password over an
		// unencrypted connection to anything but localhost.
		opts = append(opts, gomail.WithOpportunisticSMTPAuth(authPreference...),
			gomail.WithUsername(s.Username), gomail.WithPassword(s.Password))
	}
	return opts
}

// authPreference is the order SMTP authentication mechanisms are chosen in.
var authPreference = []gomail.SMTPAuthType{
	gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthCramMD5,
	gomail.SMTPAuthPlain, gomail.SMTPAuthLogin,
}

// tlsConfig is TLSConfig, or the default: verify Host, TLS 1.2 at least.
func (s *SMTP) tlsConfig() *tls.Config {
	if s.TLSConfig != nil {
		return s.TLSConfig
	}
	return &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
}

// dialer wraps Dial for go-mail, which leaves implicit TLS to a custom
// dialer: with ImplicitTLS the connection is a TLS client of tc, its
// handshake done.
func (s *SMTP) dialer(tc *tls.Config) gomail.DialContextFunc {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		conn, err := s.Dial(ctx, network, address)
		if err != nil || s.TLS != ImplicitTLS {
			return conn, err
		}
		tconn := tls.Client(conn, tc)
		if err := tconn.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, err
		}
		return tconn, nil
	}
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

// sign adds a DKIM-Signature field to msg over exactly the bytes go-mail
// sends. go-mail writes a message the same way each time once its first
// write has fixed the multipart boundaries (kept in the Msg), and it
// writes the one preformatted field among the others, where no field is
// signed: so msg is written once, signed, given the field, and written
// again to make sure the second write is the first plus the field. The
// send then writes it a third time, as the second.
func sign(msg *gomail.Msg, signer *dkim.Signer) error {
	var first, second bytes.Buffer
	if _, err := msg.WriteTo(&first); err != nil {
		return fmt.Errorf("%w: write message: %w", ErrPermanent, err)
	}
	field, err := signer.Sign(first.Bytes())
	switch {
	case errors.Is(err, dkim.ErrKey) || errors.Is(err, dkim.ErrConfig):
		return fmt.Errorf("%w: %w", errDKIMKey, err)
	case err != nil:
		return fmt.Errorf("%w: dkim: %w", ErrPermanent, err)
	}
	name, value, _ := strings.Cut(strings.TrimSuffix(field, "\r\n"), ": ")
	msg.SetGenHeaderPreformatted(gomail.Header(name), value)
	if _, err := msg.WriteTo(&second); err != nil {
		return fmt.Errorf("%w: write message: %w", ErrPermanent, err)
	}
	if !bytes.Equal(bytes.Replace(second.Bytes(), []byte(field), nil, 1), first.Bytes()) {
		return fmt.Errorf("%w: the signed message does not write the same twice", ErrPermanent)
	}
	return nil
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
	case errors.Is(err, ErrNotConfigured):
		return "no SMTP relay configured for the tenant or the instance"
	case errors.Is(err, egress.ErrForbidden):
		return "smtp relay address not allowed by the egress policy"
	case errors.Is(err, errDKIMKey):
		return "the DKIM key of the sender's domain does not open"
	case errors.Is(err, secrets.ErrDecrypt) || errors.Is(err, secrets.ErrUnknownKEK):
		return "the relay's stored password does not open"
	case errors.Is(err, errConnect):
		s := "smtp connect, TLS or login failed"
		var ce *tls.CertificateVerificationError
		switch code := smtpCode(err); {
		case code != 0:
			s += fmt.Sprintf(": %d", code)
		case errors.As(err, &ce):
			s += ": certificate not trusted"
		case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
			s += ": timeout"
		}
		return s
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
