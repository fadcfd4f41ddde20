package mail

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// recorder is a Sender that records the Message-IDs it is given and
// answers err.
type recorder struct {
	mu   sync.Mutex
	sent []string
	err  error
}

func (r *recorder) Send(_ context.Context, m Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m.MessageID)
	return r.err
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sent...)
}

// sink is an SMTP server on loopback that keeps the messages it accepts.
// refuse, when set, is asked before each message is accepted and may
// answer an error (an *smtp.SMTPError) instead.
type sink struct {
	mu       sync.Mutex
	received [][]byte
	offered  int
	refuse   func(n int) error
}

type sinkSession struct{ s *sink }

func (ss sinkSession) Reset()                               {}
func (ss sinkSession) Logout() error                        { return nil }
func (ss sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss sinkSession) Data(r io.Reader) error               { return ss.s.data(r) }
func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return sinkSession{s}, nil }
func (s *sink) messages() [][]byte                          { s.mu.Lock(); defer s.mu.Unlock(); return s.received }
func answer(code int, a, b, c int, text string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{a, b, c}, Message: text}
}

func (s *sink) data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offered++
	if s.refuse != nil {
		if err := s.refuse(s.offered); err != nil {
			return err
		}
	}
	s.received = append(s.received, b)
	return nil
}

// start serves s on 127.0.0.1 until the test ends and returns a Sender
// pointed at it.
func (s *sink) start(t *testing.T) *SMTP {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return &SMTP{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, TLS: NoTLS, Timeout: 10 * time.Second}
}

// offers returns how many messages were offered, accepted or not.
func (s *sink) offers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offered
}
