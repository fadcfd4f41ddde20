package acmetest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/mholt/acmez/v3/acme"
	"go.uber.org/zap"
)

const (
	http01    = "http-01"
	tlsALPN01 = "tls-alpn-01"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// client is a certmagic ACME client of ca with its challenge responder
// listening on 127.0.0.1 at the CA's port for challenge. Each has its own
// storage, so its own ACME account.
type client struct {
	cfg    *certmagic.Config
	issuer *certmagic.ACMEIssuer
	// validations counts the VA's requests the responder answered.
	validations atomic.Int64
}

func newClient(t *testing.T, ca *CA, challenge string, eab *acme.EAB) *client {
	t.Helper()
	c := &client{}
	cache := certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return c.cfg, nil },
		Logger:           zap.NewNop(),
	})
	t.Cleanup(cache.Stop)
	c.cfg = certmagic.New(cache, certmagic.Config{
		Storage: &certmagic.FileStorage{Path: t.TempDir()},
		Logger:  zap.NewNop(),
	})
	c.issuer = certmagic.NewACMEIssuer(c.cfg, certmagic.ACMEIssuer{
		CA:                      ca.DirectoryURL(),
		TestCA:                  ca.DirectoryURL(),
		Email:                   "ops@acme.test",
		Agreed:                  true,
		ExternalAccount:         eab,
		TrustedRoots:            ca.ServerRoots(),
		DisableHTTPChallenge:    challenge != http01,
		DisableTLSALPNChallenge: challenge != tlsALPN01,
		// certmagic finds the port taken by the responder below and leaves
		// the challenge to it.
		ListenHost:     "127.0.0.1",
		AltHTTPPort:    ca.HTTPPort(),
		AltTLSALPNPort: ca.TLSPort(),
		Logger:         zap.NewNop(),
	})
	c.cfg.Issuers = []certmagic.Issuer{c.issuer}

	switch challenge {
	case http01:
		ln := listen(t, ca.HTTPPort())
		srv := &http.Server{Handler: c.issuer.HTTPChallengeHandler(http.NotFoundHandler()), ReadHeaderTimeout: 5 * time.Second}
		srv.Handler = countRequests(&c.validations, srv.Handler)
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(func() { _ = srv.Close() })
	case tlsALPN01:
		ln := listen(t, ca.TLSPort())
		tlsConfig := c.cfg.TLSConfig() // answers acme-tls/1 with the challenge certificate
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				wg.Go(func() {
					defer conn.Close()
					tc := tls.Server(conn, tlsConfig)
					if tc.HandshakeContext(context.Background()) == nil &&
						tc.ConnectionState().NegotiatedProtocol == "acme-tls/1" {
						c.validations.Add(1)
					}
				})
			}
		})
		t.Cleanup(func() { ln.Close(); wg.Wait() })
	default:
		t.Fatalf("unknown challenge %q", challenge)
	}
	return c
}

func listen(t *testing.T, port int) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("challenge responder: %v", err)
	}
	return ln
}

func countRequests(n *atomic.Int64, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/.well-known/acme-challenge/") {
			n.Add(1)
		}
		h.ServeHTTP(w, r)
	})
}

// verify checks that the client holds a certificate for host that chains to
// the CA's issuer roots.
func (c *client) verify(t *testing.T, ca *CA, host string) *x509.Certificate {
	t.Helper()
	cert, err := c.cfg.CacheManagedCertificate(t.Context(), host)
	if err != nil {
		t.Fatalf("loading the certificate for %s: %v", host, err)
	}
	intermediates := x509.NewCertPool()
	for _, der := range cert.Certificate.Certificate[1:] {
		ic, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		intermediates.AddCert(ic)
	}
	_, err = cert.Leaf.Verify(x509.VerifyOptions{
		DNSName:       host,
		Roots:         ca.IssuerRoots(),
		Intermediates: intermediates,
	})
	if err != nil {
		t.Errorf("certificate for %s does not verify against IssuerRoots: %v", host, err)
	}
	return cert.Leaf
}

func TestCertmagicObtainsCertificates(t *testing.T) {
	d := StartDNS(t)
	ca := Start(t, Options{DNS: d, Validity: 24 * time.Hour})
	tests := []struct {
		name      string
		host      string
		challenge string
	}{
		{"issues through http-01", "login.acme.test", http01},
		{"issues through tls-alpn-01", "id.example.com", tlsALPN01},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d.SetA(tt.host, loopback)
			c := newClient(t, ca, tt.challenge, nil)
			if err := c.cfg.ObtainCertSync(t.Context(), tt.host); err != nil {
				t.Fatalf("ObtainCertSync(%s): %v", tt.host, err)
			}
			leaf := c.verify(t, ca, tt.host)
			// Pebble's NotAfter is inclusive: validity minus one second.
			if got := leaf.NotAfter.Sub(leaf.NotBefore); got != 24*time.Hour-time.Second {
				t.Errorf("certificate valid for %v, want the 24h asked for", got)
			}
			if c.validations.Load() == 0 {
				t.Errorf("the VA never reached the %s responder", tt.challenge)
			}
			if got := ca.Orders(tt.host); got != 1 {
				t.Errorf("Orders(%s) = %d, want 1", tt.host, got)
			}
			if got := ca.Orders(strings.ToUpper(tt.host) + "."); got != 1 {
				t.Errorf("Orders of the name in upper case with a dot = %d, want 1", got)
			}
			if got := ca.Issued(tt.host); got != 1 {
				t.Errorf("Issued(%s) = %d, want 1", tt.host, got)
			}
		})
	}
	if got := ca.Orders("never.acme.test"); got != 0 {
		t.Errorf("Orders of a name nobody asked for = %d, want 0", got)
	}
}

func TestNameWithoutDNSRecordFails(t *testing.T) {
	d := StartDNS(t)
	ca := Start(t, Options{DNS: d})
	const host = "nowhere.acme.test"
	c := newClient(t, ca, http01, nil)

	err := c.cfg.ObtainCertSync(t.Context(), host)
	var problem acme.Problem
	if !errors.As(err, &problem) {
		t.Fatalf("ObtainCertSync(%s) = %v, want an ACME problem", host, err)
	}
	// Pebble's VA cannot resolve the name, so it cannot connect.
	if problem.Type != acme.ProblemTypeConnection {
		t.Errorf("problem type = %s, want %s", problem.Type, acme.ProblemTypeConnection)
	}
	if c.validations.Load() != 0 {
		t.Errorf("the responder saw %d validations for a name that does not resolve", c.validations.Load())
	}
	if got := ca.Orders(host); got != 1 {
		t.Errorf("Orders(%s) = %d, want 1 (a failed order still counts)", host, got)
	}
	if got := ca.Issued(host); got != 0 {
		t.Errorf("Issued(%s) = %d, want 0", host, got)
	}
}

func TestEveryOrderIsValidatedAgain(t *testing.T) {
	d := StartDNS(t)
	ca := Start(t, Options{DNS: d})
	const host = "renew.acme.test"
	d.SetA(host, loopback)
	c := newClient(t, ca, http01, nil)
	if err := c.cfg.ObtainCertSync(t.Context(), host); err != nil {
		t.Fatal(err)
	}
	first := c.validations.Load()

	// The same account orders the same name again: Pebble must not reuse
	// the authorization of the first order.
	if err := c.cfg.RenewCertSync(t.Context(), host, true); err != nil {
		t.Fatalf("RenewCertSync: %v", err)
	}
	if c.validations.Load() == first {
		t.Error("the second order was not validated")
	}
	if got, issued := ca.Orders(host), ca.Issued(host); got != 2 || issued != 2 {
		t.Errorf("Orders, Issued = %d, %d; want 2, 2", got, issued)
	}

	// With the name gone from the DNS, a third order fails: nothing valid
	// was left to reuse.
	d.Delete(host)
	if err := c.cfg.RenewCertSync(t.Context(), host, true); err == nil {
		t.Error("renewal succeeded for a name that no longer resolves")
	}
	if got, issued := ca.Orders(host), ca.Issued(host); got != 3 || issued != 2 {
		t.Errorf("Orders, Issued = %d, %d; want 3, 2", got, issued)
	}
}

func TestRequiredEAB(t *testing.T) {
	d := StartDNS(t)
	ca := Start(t, Options{DNS: d, RequireEAB: true})
	const macKey = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W" // unpadded base64url
	if err := ca.AddEAB("kid-1", macKey); err != nil {
		t.Fatalf("AddEAB: %v", err)
	}

	t.Run("refuses an account without binding", func(t *testing.T) {
		const host = "no-eab.acme.test"
		d.SetA(host, loopback)
		c := newClient(t, ca, http01, nil)
		err := c.cfg.ObtainCertSync(t.Context(), host)
		var problem acme.Problem
		if !errors.As(err, &problem) || problem.Type != acme.ProblemTypeExternalAccountRequired {
			t.Errorf("ObtainCertSync = %v, want problem %s", err, acme.ProblemTypeExternalAccountRequired)
		}
		if got := ca.Orders(host); got != 0 {
			t.Errorf("Orders(%s) = %d, want 0", host, got)
		}
	})
	t.Run("issues to an account bound with the added key", func(t *testing.T) {
		const host = "eab.acme.test"
		d.SetA(host, loopback)
		c := newClient(t, ca, http01, &acme.EAB{KeyID: "kid-1", MACKey: macKey})
		if err := c.cfg.ObtainCertSync(t.Context(), host); err != nil {
			t.Fatalf("ObtainCertSync: %v", err)
		}
		c.verify(t, ca, host)
	})
}

func TestAddEABRefusesBadKeys(t *testing.T) {
	ca := Start(t, Options{DNS: StartDNS(t), Quiet: true})
	if err := ca.AddEAB("kid", "c2VjcmV0"); err != nil {
		t.Fatalf("AddEAB: %v", err)
	}
	tests := []struct {
		name, kid, key string
	}{
		{"refuses a key that is not base64url", "kid-2", "not base64!"},
		{"refuses padded base64", "kid-3", "c2VjcmV0Cg=="},
		{"refuses an empty key", "kid-4", ""},
		{"refuses an empty key ID", "", "c2VjcmV0"},
		{"refuses a key ID added before", "kid", "c2VjcmV0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ca.AddEAB(tt.kid, tt.key)
			if err == nil {
				t.Fatal("AddEAB succeeded")
			}
			if tt.key != "" && strings.Contains(err.Error(), tt.key) {
				t.Errorf("error %q quotes the key", err)
			}
		})
	}
}

func TestStartServesTheDirectory(t *testing.T) {
	ports, err := freePorts(true)
	if err != nil {
		t.Fatal(err)
	}
	ca := Start(t, Options{DNS: StartDNS(t), Quiet: true, HTTPPort: ports[0]})
	if ca.HTTPPort() != ports[0] {
		t.Errorf("HTTPPort() = %d, want the %d asked for", ca.HTTPPort(), ports[0])
	}
	if ca.TLSPort() == 0 || ca.TLSPort() == ca.HTTPPort() {
		t.Errorf("TLSPort() = %d, want a free port of its own", ca.TLSPort())
	}
	if !strings.HasPrefix(ca.DirectoryURL(), "https://127.0.0.1:") {
		t.Errorf("DirectoryURL() = %s, want https on 127.0.0.1", ca.DirectoryURL())
	}

	// A client that trusts only ServerRootsPEM (as another process would,
	// from a file) reaches the directory.
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(ca.ServerRootsPEM()) {
		t.Fatal("ServerRootsPEM holds no certificate")
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	resp, err := hc.Get(ca.DirectoryURL())
	if err != nil {
		t.Fatalf("GET directory: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET directory: %s", resp.Status)
	}

	// The issuer roots are a CA, and not the directory's.
	block, _ := pem.Decode(ca.IssuerRootsPEM())
	if block == nil {
		t.Fatal("IssuerRootsPEM holds no certificate")
	}
	root, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !root.IsCA || root.Equal(ca.server.root) {
		t.Errorf("issuer root %s: IsCA %v, the directory's root %v", root.Subject, root.IsCA, root.Equal(ca.server.root))
	}
}
