package autotls_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/lintel-id/lintel/edge/autotls"
	"github.com/lintel-id/lintel/internal/acmetest"
	"github.com/lintel-id/lintel/internal/clock"
)

// world is a Pebble CA, its DNS, and listeners on the same HTTP and TLS
// ports at each of a few loopback addresses (one per node).
type world struct {
	dns               *acmetest.DNS
	ca                *acmetest.CA
	httpPort, tlsPort int
	httpLns, tlsLns   map[string]net.Listener // by IP
}

func newWorld(t testing.TB, ips ...string) *world {
	t.Helper()
	httpLns, httpPort := listeners(t, ips...)
	tlsLns, tlsPort := listeners(t, ips...)
	w := &world{
		dns:      acmetest.StartDNS(t),
		httpPort: httpPort,
		tlsPort:  tlsPort,
		httpLns:  map[string]net.Listener{},
		tlsLns:   map[string]net.Listener{},
	}
	for i, ip := range ips {
		w.httpLns[ip], w.tlsLns[ip] = httpLns[i], tlsLns[i]
		t.Cleanup(func() { httpLns[i].Close(); tlsLns[i].Close() })
	}
	w.ca = acmetest.Start(t, acmetest.Options{DNS: w.dns, HTTPPort: httpPort, TLSPort: tlsPort})
	return w
}

// config is a Manager's Config for the node listening on ip.
func (w *world) config(t testing.TB, d autotls.Domains, ip string) (autotls.Config, *clock.Fake) {
	cfg, clk := baseConfig(t, d, w.ca.DirectoryURL())
	cfg.TrustedRoots = w.ca.ServerRoots()
	cfg.Email = "ops@lintel.test"
	cfg.ListenHost = ip
	cfg.HTTPPort, cfg.TLSPort = w.httpPort, w.tlsPort
	return cfg, clk
}

// point makes name resolve to ip.
func (w *world) point(name, ip string) {
	w.dns.SetA(name, netip.MustParseAddr(ip))
}

// tlsAddr is the HTTPS address of the node on ip.
func (w *world) tlsAddr(ip string) string {
	return net.JoinHostPort(ip, strconv.Itoa(w.tlsPort))
}

// leaf makes a handshake with SNI name at the node on ip and returns the
// certificate it presented, verified against the CA's issuer roots.
func (w *world) leaf(ip, name string) (*x509.Certificate, error) {
	st, err := handshake(w.tlsAddr(ip), name, w.ca.IssuerRoots())
	if err != nil {
		return nil, err
	}
	return st.PeerCertificates[0], nil
}

func TestFirstHandshakeObtainsCertificate(t *testing.T) {
	const name = "login.acme.test"
	w := newWorld(t, "127.0.0.2")
	w.point(name, "127.0.0.2")
	d := newFakeDomains(name)
	cfg, _ := w.config(t, d, "127.0.0.2")
	m := newManager(t, cfg)
	n := serve(t, m, w.httpLns["127.0.0.2"], w.tlsLns["127.0.0.2"])

	before, err := m.Status(t.Context(), name)
	if err != nil || before.State != autotls.StateNone {
		t.Fatalf("Status before = %+v, %v; want none", before, err)
	}

	// A browser's way in: the name resolves (in the test DNS) to the
	// listener, over a new connection each time.
	get := func() *x509.Certificate {
		t.Helper()
		client := &http.Client{Transport: &http.Transport{
			DialContext:       (&net.Dialer{Resolver: w.dns.Resolver()}).DialContext,
			TLSClientConfig:   &tls.Config{RootCAs: w.ca.IssuerRoots()},
			DisableKeepAlives: true,
		}}
		resp, err := client.Get("https://" + net.JoinHostPort(name, strconv.Itoa(w.tlsPort)) + "/")
		if err != nil {
			t.Fatalf("GET: %v (server: %v)", err, n.lastErr())
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || string(body) != "hello" {
			t.Fatalf("GET: %d %q", resp.StatusCode, body)
		}
		return resp.TLS.PeerCertificates[0]
	}

	// The client verified the chain against the CA's issuer roots for name.
	first := get()
	if got := w.ca.Orders(name); got != 1 {
		t.Fatalf("CA saw %d orders after the first handshake, want 1", got)
	}
	if got := d.timesObtained(name); got != 1 {
		t.Errorf("Obtained called %d times, want 1", got)
	}

	second := get()
	if second.SerialNumber.Cmp(first.SerialNumber) != 0 {
		t.Errorf("second handshake served serial %x, first %x", second.SerialNumber, first.SerialNumber)
	}
	if got := w.ca.Orders(name); got != 1 {
		t.Errorf("CA saw %d orders after the second handshake, want 1", got)
	}

	st, err := m.Status(t.Context(), name)
	if err != nil {
		t.Fatalf("Status after: %v", err)
	}
	if st.State != autotls.StateValid || !st.Present || !st.NotAfter.Equal(first.NotAfter) ||
		st.Issuer != first.Issuer.CommonName || st.Serial != hex.EncodeToString(first.SerialNumber.Bytes()) {
		t.Errorf("Status after = %+v; served NotAfter %v, issuer %q, serial %x", st, first.NotAfter, first.Issuer.CommonName, first.SerialNumber)
	}
}

func TestHandshakeForNameNotAllowedPlacesNoOrder(t *testing.T) {
	const name = "evil.acme.test"
	w := newWorld(t, "127.0.0.2")
	w.point(name, "127.0.0.2")
	d := newFakeDomains("login.acme.test")
	cfg, _ := w.config(t, d, "127.0.0.2")
	n := serve(t, newManager(t, cfg), w.httpLns["127.0.0.2"], w.tlsLns["127.0.0.2"])

	if _, err := w.leaf("127.0.0.2", name); err == nil {
		t.Fatal("handshake succeeded")
	}
	if err := n.lastErr(); !errors.Is(err, errNotCustomer) {
		t.Errorf("GetCertificate error %v, want Domains' refusal", err)
	}
	if got := w.ca.Orders(name); got != 0 {
		t.Errorf("CA saw %d orders, want 0", got)
	}
}

func TestEachChallengeIsAnsweredByOurListener(t *testing.T) {
	tests := []struct {
		name              string
		change            func(*autotls.Config)
		wantHTTP, wantTLS bool
	}{
		{"http-01", func(c *autotls.Config) { c.DisableTLSALPN = true }, true, false},
		{"tls-alpn-01", func(c *autotls.Config) { c.HTTPPort = 0 }, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const name = "login.acme.test"
			w := newWorld(t, "127.0.0.2")
			w.point(name, "127.0.0.2")
			d := newFakeDomains(name)
			cfg, _ := w.config(t, d, "127.0.0.2")
			tc.change(&cfg)
			n := serve(t, newManager(t, cfg), w.httpLns["127.0.0.2"], w.tlsLns["127.0.0.2"])

			if _, err := w.leaf("127.0.0.2", name); err != nil {
				t.Fatalf("handshake: %v (server: %v)", err, n.lastErr())
			}
			// certmagic found our ports taken and opened nothing: every
			// validation reached the listeners the test serves.
			h, a := n.challenges()
			if (h > 0) != tc.wantHTTP || (a > 0) != tc.wantTLS {
				t.Errorf("answered %d http-01 and %d tls-alpn-01 validations; want http-01 %v, tls-alpn-01 %v", h, a, tc.wantHTTP, tc.wantTLS)
			}
		})
	}
}

func TestRefusesIssuanceWhenOurListenerIsMissing(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *autotls.Config, freePort int)
	}{
		{"no HTTP listener on HTTPPort", func(c *autotls.Config, p int) { c.HTTPPort = p; c.DisableTLSALPN = true }},
		{"no TLS listener on TLSPort", func(c *autotls.Config, p int) { c.TLSPort = p; c.HTTPPort = 0 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const name = "login.acme.test"
			w := newWorld(t, "127.0.0.2")
			w.point(name, "127.0.0.2")
			d := newFakeDomains(name)
			cfg, _ := w.config(t, d, "127.0.0.2")
			free, port := listeners(t, "127.0.0.2")
			free[0].Close()
			tc.change(&cfg, port)
			n := serve(t, newManager(t, cfg), w.httpLns["127.0.0.2"], w.tlsLns["127.0.0.2"])

			if _, err := w.leaf("127.0.0.2", name); err == nil {
				t.Fatal("handshake succeeded")
			}
			if err := n.lastErr(); !errors.Is(err, autotls.ErrNotListening) {
				t.Errorf("GetCertificate error %v, want ErrNotListening", err)
			}
			// Refused before the CA was asked, so certmagic never got as far
			// as presenting a challenge (and binding the free port).
			if got := w.ca.Orders(name); got != 0 {
				t.Errorf("CA saw %d orders, want 0", got)
			}
			if got := d.failures(name); len(got) != 0 {
				t.Errorf("Failed called for an operator's problem: %v", got)
			}
		})
	}
}

func TestFailingNameBacksOff(t *testing.T) {
	const name = "login.acme.test"
	w := newWorld(t, "127.0.0.2")
	w.point(name, "127.0.0.9") // nothing answers there: validation fails
	d := newFakeDomains(name)
	cfg, clk := w.config(t, d, "127.0.0.2")
	cfg.DisableTLSALPN = true
	cfg.RetryAfter = 5 * time.Minute
	n := serve(t, newManager(t, cfg), w.httpLns["127.0.0.2"], w.tlsLns["127.0.0.2"])

	attempt := func(step string) error {
		t.Helper()
		if _, err := w.leaf("127.0.0.2", name); err == nil {
			t.Fatalf("%s: handshake succeeded", step)
		}
		return n.lastErr()
	}

	// The handshake fails as soon as the CA refuses, not after
	// certmagic's one-minute retry wait.
	if err := attempt("first"); err == nil || errors.Is(err, autotls.ErrBackoff) {
		t.Fatalf("first: GetCertificate error %v, want the CA's", err)
	}
	orders := w.ca.Orders(name)
	if orders == 0 {
		t.Fatal("first: no order placed")
	}
	if got := d.failures(name); len(got) != 1 {
		t.Fatalf("first: Failed called %d times, want 1", len(got))
	}

	for _, step := range []string{"second", "third"} {
		if err := attempt(step); !errors.Is(err, autotls.ErrBackoff) {
			t.Fatalf("%s: GetCertificate error %v, want ErrBackoff", step, err)
		}
	}
	if got := w.ca.Orders(name); got != orders {
		t.Fatalf("CA saw %d orders during the backoff, want %d", got, orders)
	}

	clk.Advance(5 * time.Minute)
	if err := attempt("after the backoff"); errors.Is(err, autotls.ErrBackoff) {
		t.Fatalf("after the backoff: still backing off: %v", err)
	}
	if got := w.ca.Orders(name); got <= orders {
		t.Fatalf("CA saw %d orders after the backoff, want more than %d", got, orders)
	}
	if got := d.failures(name); len(got) != 2 {
		t.Fatalf("Failed called %d times, want 2", len(got))
	}

	// The second failure doubled the wait.
	clk.Advance(5 * time.Minute)
	if err := attempt("5 minutes after the second failure"); !errors.Is(err, autotls.ErrBackoff) {
		t.Fatalf("GetCertificate error %v, want ErrBackoff", err)
	}
}

func TestConfiguredHostObtainsWithoutDomains(t *testing.T) {
	const name = "id.lintel.test"
	w := newWorld(t, "127.0.0.2")
	w.point(name, "127.0.0.2")
	d := newFakeDomains() // allows nothing
	cfg, _ := w.config(t, d, "127.0.0.2")
	cfg.Hosts = []string{"ID.lintel.test"}
	n := serve(t, newManager(t, cfg), w.httpLns["127.0.0.2"], w.tlsLns["127.0.0.2"])

	if _, err := w.leaf("127.0.0.2", name); err != nil {
		t.Fatalf("handshake: %v (server: %v)", err, n.lastErr())
	}
	if got := w.ca.Orders(name); got != 1 {
		t.Errorf("CA saw %d orders, want 1", got)
	}
	if asked, obtained := d.timesAsked(name), d.timesObtained(name); asked != 0 || obtained != 0 {
		t.Errorf("Domains asked %d times and told %d times about a configured host", asked, obtained)
	}
}
