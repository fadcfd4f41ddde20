package mail

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
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
// answer an error (an *smtp.SMTPError) instead. With user set it offers
// AUTH PLAIN and accepts mail only from sessions that logged in as user
// with pass. With cert set it speaks TLS: from the start when implicit,
// else through STARTTLS.
type sink struct {
	mu       sync.Mutex
	received [][]byte
	offered  int
	refuse   func(n int) error

	user, pass string
	cert       *tls.Certificate
	implicit   bool
	logins     int
	overTLS    int // messages received over TLS
}

type sinkSession struct {
	s     *sink
	conn  *smtp.Conn
	authd bool
}

func (ss *sinkSession) Reset()                               {}
func (ss *sinkSession) Logout() error                        { return nil }
func (ss *sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *sink) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &sinkSession{s: s, conn: c}, nil
}
func (s *sink) messages() [][]byte { s.mu.Lock(); defer s.mu.Unlock(); return s.received }

func (ss *sinkSession) Data(r io.Reader) error {
	_, isTLS := ss.conn.TLSConnectionState()
	return ss.s.data(r, isTLS)
}

func (ss *sinkSession) Mail(string, *smtp.MailOptions) error {
	if ss.s.user != "" && !ss.authd {
		return answer(530, 5, 7, 0, "authentication required")
	}
	return nil
}

func (ss *sinkSession) AuthMechanisms() []string {
	if ss.s.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *sinkSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain || ss.s.user == "" {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.s.user || pass != ss.s.pass {
			return answer(535, 5, 7, 8, "bad credentials")
		}
		ss.authd = true
		ss.s.mu.Lock()
		ss.s.logins++
		ss.s.mu.Unlock()
		return nil
	}), nil
}
func answer(code int, a, b, c int, text string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{a, b, c}, Message: text}
}

func (s *sink) data(r io.Reader, isTLS bool) error {
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
	if isTLS {
		s.overTLS++
	}
	return nil
}

// start serves s on 127.0.0.1 until the test ends and returns a Sender
// pointed at it.
func (s *sink) start(t testing.TB) *SMTP {
	t.Helper()
	tlsMode := NoTLS
	var cfg *tls.Config
	if s.cert != nil {
		cfg = &tls.Config{Certificates: []tls.Certificate{*s.cert}}
		tlsMode = StartTLS
		if s.implicit {
			tlsMode = ImplicitTLS
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.AllowInsecureAuth = s.cert == nil
	if cfg != nil {
		srv.TLSConfig = cfg
		if s.implicit {
			l = tls.NewListener(l, cfg)
		}
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return &SMTP{Host: "127.0.0.1", Port: port, TLS: tlsMode, Timeout: 10 * time.Second}
}

// testCert returns a self-signed certificate for 127.0.0.1 and a pool
// that trusts it.
func testCert(t testing.TB) (*tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sink"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// stats returns how many logins and messages over TLS the sink saw.
func (s *sink) stats() (logins, overTLS int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins, s.overTLS
}

// offers returns how many messages were offered, accepted or not.
func (s *sink) offers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offered
}
