package autotls_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mholt/acmez/v3"

	"github.com/lintel-id/lintel/edge/autotls"
)

// listeners binds a TCP listener on the same free port at each of ips
// (loopback addresses), retrying when the port is taken at one of them.
func listeners(t testing.TB, ips ...string) ([]net.Listener, int) {
	t.Helper()
	for range 50 {
		first, err := net.Listen("tcp4", net.JoinHostPort(ips[0], "0"))
		if err != nil {
			t.Fatal(err)
		}
		lns := []net.Listener{first}
		port := first.Addr().(*net.TCPAddr).Port
		for _, ip := range ips[1:] {
			ln, err := net.Listen("tcp4", net.JoinHostPort(ip, strconv.Itoa(port)))
			if err != nil {
				break
			}
			lns = append(lns, ln)
		}
		if len(lns) == len(ips) {
			return lns, port
		}
		for _, ln := range lns {
			ln.Close()
		}
	}
	t.Fatalf("no port free on all of %v", ips)
	return nil, 0
}

// node is one Lintel process's listeners in a test: HTTPS with the
// Manager's TLSConfig and plain HTTP with its HTTPHandler. It records what
// GetCertificate returned and which challenges its listeners answered.
type node struct {
	mu             sync.Mutex
	certErrs       []error
	alpnChallenges int // TLS-ALPN-01 handshakes answered
	httpChallenges int // HTTP-01 requests answered 200
}

// serve serves m on tlsLn and, if not nil, httpLn until t ends. HTTPS
// answers "hello" on every path.
func serve(t testing.TB, m *autotls.Manager, httpLn, tlsLn net.Listener) *node {
	t.Helper()
	n := &node{}
	cfg := m.TLSConfig()
	getCert := cfg.GetCertificate
	cfg.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		cert, err := getCert(hello)
		n.mu.Lock()
		defer n.mu.Unlock()
		if slices.Equal(hello.SupportedProtos, []string{acmez.ACMETLS1Protocol}) {
			if err == nil {
				n.alpnChallenges++
			}
		} else if err != nil {
			n.certErrs = append(n.certErrs, err)
		}
		return cert, err
	}
	quiet := log.New(io.Discard, "", 0) // handshake errors are what some tests cause
	https := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "hello")
		}),
		TLSConfig: cfg,
		ErrorLog:  quiet,
	}
	go https.Serve(tls.NewListener(tlsLn, cfg))
	t.Cleanup(func() { https.Close() })
	if httpLn != nil {
		h := m.HTTPHandler(nil)
		plain := &http.Server{
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
				h.ServeHTTP(rec, r)
				if strings.HasPrefix(r.URL.Path, "/.well-known/acme-challenge/") && rec.status == http.StatusOK {
					n.mu.Lock()
					n.httpChallenges++
					n.mu.Unlock()
				}
			}),
			ErrorLog: quiet,
		}
		go plain.Serve(httpLn)
		t.Cleanup(func() { plain.Close() })
	}
	return n
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// challenges returns how many HTTP-01 and TLS-ALPN-01 validations n
// answered.
func (n *node) challenges() (http01, tlsALPN01 int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.httpChallenges, n.alpnChallenges
}

// lastErr is the last error GetCertificate returned for an ordinary
// handshake.
func (n *node) lastErr() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.certErrs) == 0 {
		return nil
	}
	return n.certErrs[len(n.certErrs)-1]
}

// handshake makes a TLS handshake with SNI name at addr and returns the
// certificate the server presented. With roots nil the chain is not
// verified (refusal tests); otherwise it must verify for name.
func handshake(addr, name string, roots *x509.CertPool) (*tls.ConnectionState, error) {
	conn, err := tls.Dial("tcp", addr, &tls.Config{
		ServerName:         name,
		RootCAs:            roots,
		InsecureSkipVerify: roots == nil,
		NextProtos:         []string{"http/1.1"},
	})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	st := conn.ConnectionState()
	return &st, nil
}
