// Package mailtest is a real SMTP server on loopback for tests: it accepts
// every message and keeps it, parsed, for the test to read. Tests of the
// engine, the edge and the binary read sign-in codes and links from it
// instead of mocking mail.
package mailtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one accepted message.
type Message struct {
	// From and To are the envelope addresses.
	From string
	To   []string
	// Header is the message's header.
	Header mail.Header
	// Subject is the decoded subject line.
	Subject string
	// Text and HTML are the decoded bodies ("" when absent).
	Text, HTML string
	// Raw is the message as received.
	Raw []byte
}

// Sink is an SMTP server on 127.0.0.1 that keeps what it accepts. It is
// safe for concurrent use.
type Sink struct {
	// Host and Port are where it listens.
	Host string
	Port int

	mu       sync.Mutex
	messages []Message
	arrived  chan struct{}
}

// Start serves a new Sink until the test ends.
func Start(t testing.TB) *Sink {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Sink{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, arrived: make(chan struct{}, 1)}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// Addr is host:port.
func (s *Sink) Addr() string { return fmt.Sprintf("%s:%d", s.Host, s.Port) }

// Messages returns the messages accepted so far, oldest first.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Wait returns once at least n messages have arrived, failing the test
// after timeout.
func (s *Sink) Wait(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.arrived:
		case <-ctx.Done():
			t.Fatalf("mailtest: %d message(s) arrived, want %d within %s", len(s.Messages()), n, timeout)
		}
	}
}

func (s *Sink) add(m Message) {
	s.mu.Lock()
	s.messages = append(s.messages, m)
	s.mu.Unlock()
	select {
	case s.arrived <- struct{}{}:
	default:
	}
}

type backend struct{ s *Sink }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s    *Sink
	from string
	to   []string
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }
func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}
func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := Parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: err.Error()}
	}
	m.From, m.To = ss.from, ss.to
	ss.s.add(m)
	return nil
}

// Parse decodes a message: header, subject, and its text and HTML bodies
// (single part or multipart/alternative, quoted-printable or base64).
func Parse(raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, fmt.Errorf("mailtest: %w", err)
	}
	out := Message{Header: msg.Header, Raw: raw}
	dec := new(mime.WordDecoder)
	if out.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return Message{}, fmt.Errorf("mailtest: subject: %w", err)
	}
	return out, out.body(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
}

func (m *Message) body(ctype, cte string, r io.Reader) error {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return fmt.Errorf("mailtest: content type: %w", err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(r, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("mailtest: part: %w", err)
			}
			if err := m.body(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(cte) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = newBase64(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("mailtest: body: %w", err)
	}
	switch mt {
	case "text/plain":
		m.Text = string(b)
	case "text/html":
		m.HTML = string(b)
	}
	return nil
}
