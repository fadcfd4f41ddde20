package acmetest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	pebbleca "github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
)

// Options configure the CA that Start runs.
type Options struct {
	// DNS is where Pebble's VA resolves the names it validates (over TCP).
	// Required.
	DNS *DNS

	// HTTPPort is the port the VA connects to for http-01 challenges, on the
	// address the name resolves to; TLSPort the same for tls-alpn-01. Zero
	// picks a free port (free on 127.0.0.1 when Start runs, which another
	// process could take before the responder listens); read it back with
	// CA.HTTPPort and CA.TLSPort. The VA makes three requests (connections
	// for tls-alpn-01) for each validation, as Pebble imitates validation
	// from several vantage points.
	HTTPPort, TLSPort int

	// RequireEAB refuses new accounts without an external account binding
	// made with a key added by CA.AddEAB.
	RequireEAB bool

	// Validity is how long issued certificates are valid, in whole seconds;
	// zero is Pebble's default, 90 days.
	Validity time.Duration

	// Quiet discards Pebble's log. Otherwise it goes to t.Log, shown when the
	// test fails or runs with -v.
	Quiet bool
}

// CA is a Pebble ACME CA running in the test process: its directory is
// served over HTTPS on 127.0.0.1, its VA validates challenges for real
// (http-01, tls-alpn-01, dns-01) against the addresses and TXT records of
// Options.DNS, and it counts the orders it receives.
//
// Every new order is validated again: Pebble never reuses an authorization
// of an earlier, finished order (see Orders). An order is not counted until
// Pebble has created it: a refused new-order request is no order.
//
// Its methods are safe for concurrent use. Everything stops when the test
// that started it ends, except one idle goroutine of Pebble's VA, which
// Pebble gives no way to stop.
type CA struct {
	dirURL      string
	server      *serverIdentity
	issuerRoots []*x509.Certificate
	issuerPEM   []byte
	httpPort    int
	tlsPort     int
	store       *db.MemoryStore
	book        *orderBook
}

// Start runs a Pebble CA until t ends.
//
// Pebble reads its settings from the environment, so Start sets them with
// t.Setenv (no random nonce rejection, no validation delay, no authorization
// reuse, real validation): a test that uses Start, and its parents, cannot
// call t.Parallel.
func Start(t testing.TB, opts Options) *CA {
	t.Helper()
	if opts.DNS == nil {
		t.Fatal("acmetest: Options.DNS is required")
	}
	if opts.Validity < 0 || (opts.Validity > 0 && opts.Validity < time.Second) {
		t.Fatalf("acmetest: Options.Validity %v is not a whole number of seconds ≥ 1s", opts.Validity)
	}
	// Read by va.New and wfe.New below, not later.
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_VA_ALWAYS_VALID", "0")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	t.Setenv("PEBBLE_AUTHZREUSE", "0")

	logOut := io.Discard
	if !opts.Quiet {
		tl := &testLog{t: t}
		t.Cleanup(tl.stop) // registered first, so it runs last
		logOut = tl
	}
	logger := log.New(logOut, "pebble: ", 0)

	ports, err := freePorts(opts.HTTPPort == 0, opts.TLSPort == 0)
	if err != nil {
		t.Fatalf("acmetest: picking challenge ports: %v", err)
	}
	httpPort, tlsPort := opts.HTTPPort, opts.TLSPort
	if httpPort == 0 {
		httpPort, ports = ports[0], ports[1:]
	}
	if tlsPort == 0 {
		tlsPort = ports[0]
	}

	store := db.NewMemoryStore()
	profiles := map[string]pebbleca.Profile{
		"default": {Description: "acmetest", ValidityPeriod: uint64(opts.Validity / time.Second)},
	}
	// ECDSA issuers: much faster to generate than RSA ones; one root, one
	// intermediate.
	caImpl := pebbleca.New(logger, store, "", "ecdsa", 0, 1, profiles)
	vaImpl := va.New(logger, httpPort, tlsPort, false, opts.DNS.Addr(), store)
	wfeImpl := wfe.New(logger, store, vaImpl, caImpl, []string{"pebble.letsencrypt.org"},
		false, opts.RequireEAB, 0, 0)

	server, err := newServerIdentity(time.Now())
	if err != nil {
		t.Fatalf("acmetest: making the directory's certificate: %v", err)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("acmetest: listening for the directory: %v", err)
	}
	book := &orderBook{store: store}
	srv := &http.Server{
		Handler: book.wrap(wfeImpl.Handler()),
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{server.leaf},
			MinVersion:   tls.VersionTLS12,
		},
		ErrorLog:          logger, // failed handshakes: a client that does not trust ServerRoots
		ReadHeaderTimeout: 10 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() {
		_ = srv.Close() // its error is the listener's, also returned by ServeTLS
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("acmetest: serving the directory: %v", err)
		}
	})

	root := caImpl.GetRootCert(0)
	return &CA{
		dirURL:      "https://" + ln.Addr().String() + wfe.DirectoryPath,
		server:      server,
		issuerRoots: []*x509.Certificate{root.Cert},
		issuerPEM:   root.PEM(),
		httpPort:    httpPort,
		tlsPort:     tlsPort,
		store:       store,
		book:        book,
	}
}

// DirectoryURL is the ACME directory, "https://127.0.0.1:port/dir".
func (c *CA) DirectoryURL() string { return c.dirURL }

// ServerRoots is what an ACME client must trust to talk to the directory: a
// root made for this CA alone. Each call returns a new pool.
func (c *CA) ServerRoots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(c.server.root)
	return pool
}

// ServerRootsPEM is ServerRoots PEM-encoded, for a client in another process
// (write it to a file).
func (c *CA) ServerRootsPEM() []byte { return slices.Clone(c.server.rootPEM) }

// IssuerRoots holds the root of the certificates this CA issues, to verify
// them; the intermediate comes with each issued chain. Each call returns a
// new pool.
func (c *CA) IssuerRoots() *x509.CertPool {
	pool := x509.NewCertPool()
	for _, root := range c.issuerRoots {
		pool.AddCert(root)
	}
	return pool
}

// IssuerRootsPEM is IssuerRoots PEM-encoded.
func (c *CA) IssuerRootsPEM() []byte { return slices.Clone(c.issuerPEM) }

// HTTPPort is the port the VA connects to for http-01 challenges.
func (c *CA) HTTPPort() int { return c.httpPort }

// TLSPort is the port the VA connects to for tls-alpn-01 challenges.
func (c *CA) TLSPort() int { return c.tlsPort }

// AddEAB adds an external account binding key: kid is its key ID and
// hmacKeyBase64url the HMAC key, unpadded base64url (RFC 8555 §7.3.4), as an
// ACME client is given them. It fails for a key that does not decode, an
// empty kid or key, or a kid added before.
func (c *CA) AddEAB(kid, hmacKeyBase64url string) error {
	// Pebble's own decoding error quotes the key; this one does not.
	if _, err := base64.RawURLEncoding.DecodeString(hmacKeyBase64url); err != nil {
		return fmt.Errorf("acmetest: EAB key for %q is not unpadded base64url: %w", kid, err)
	}
	if err := c.store.AddExternalAccountKeyByID(kid, hmacKeyBase64url); err != nil {
		return fmt.Errorf("acmetest: adding EAB key %q: %w", kid, err)
	}
	return nil
}

// Orders is how many ACME orders naming the identifier name (a DNS name or
// an IP address; case and a trailing dot ignored) Pebble has created since
// Start, for every account, whatever became of them. An order is counted
// once Pebble has stored it, before its client reads the answer; a
// new-order request that Pebble refused is not an order.
//
// Before each new order, the CA deactivates the valid authorizations that
// only finished orders hold, so a new order is validated again even when the
// same account had the name validated before (Pebble would otherwise reuse
// that authorization, skipping validation).
func (c *CA) Orders(name string) int {
	orders, _ := c.book.count(name)
	return orders
}

// Issued is how many of the orders counted by Orders(name) have a
// certificate issued.
func (c *CA) Issued(name string) int {
	_, issued := c.book.count(name)
	return issued
}

// freePorts returns one free TCP port on 127.0.0.1 for each true argument,
// all different.
func freePorts(want ...bool) ([]int, error) {
	var ports []int
	for _, w := range want {
		if !w {
			continue
		}
		// Held open until all are picked, so the kernel hands out distinct ports.
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// testLog passes Pebble's log lines to t.Log until the test ends. Pebble's
// VA goroutines may still log after that, when t.Log would panic.
type testLog struct {
	t testing.TB

	mu      sync.Mutex
	stopped bool
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.stopped {
		l.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (l *testLog) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
}

var _ io.Writer = (*testLog)(nil)
