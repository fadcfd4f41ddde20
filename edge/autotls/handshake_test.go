package autotls_test

import (
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/lintel-id/lintel/edge/autotls"
)

// unreachableCA is an ACME directory nothing answers at: a test that
// passes with it never needed the CA.
const unreachableCA = "https://127.0.0.1:1/dir"

func TestHandshakeServesCertificateFromStorage(t *testing.T) {
	d := newFakeDomains("login.acme.test")
	cfg, clk := baseConfig(t, d, unreachableCA)
	lns, port := listeners(t, "127.0.0.2")
	cfg.ListenHost, cfg.TLSPort, cfg.HTTPPort = "127.0.0.2", port, 0
	m := newManager(t, cfg)
	// As if another node had obtained it.
	certPEM, keyPEM, roots := selfSigned(t, "login.acme.test", clk.Now().Add(-time.Hour), clk.Now().Add(90*24*time.Hour))
	storeCert(t, cfg.Storage, m.IssuerKey(), "login.acme.test", certPEM, keyPEM)
	n := serve(t, m, nil, lns[0])
	addr := net.JoinHostPort("127.0.0.2", strconv.Itoa(port))

	for i := range 2 {
		st, err := handshake(addr, "login.acme.test", roots)
		if err != nil {
			t.Fatalf("handshake %d: %v (server: %v)", i+1, err, n.lastErr())
		}
		if st.Version < tls.VersionTLS12 || st.NegotiatedProtocol != "http/1.1" {
			t.Errorf("handshake %d: version %x, ALPN %q", i+1, st.Version, st.NegotiatedProtocol)
		}
	}
	// The second handshake was served from memory.
	if got := d.timesAsked("login.acme.test"); got != 1 {
		t.Errorf("Allowed asked %d times, want 1", got)
	}
	if got := d.timesObtained("login.acme.test"); got != 0 {
		t.Errorf("Obtained called %d times for a certificate loaded from storage", got)
	}
}

func TestHandshakeRefusals(t *testing.T) {
	d := newFakeDomains("login.acme.test")
	cfg, _ := baseConfig(t, d, unreachableCA)
	lns, port := listeners(t, "127.0.0.2")
	cfg.ListenHost, cfg.TLSPort, cfg.HTTPPort = "127.0.0.2", port, 0
	m := newManager(t, cfg)
	n := serve(t, m, nil, lns[0])
	addr := net.JoinHostPort("127.0.0.2", strconv.Itoa(port))

	tests := []struct {
		name      string
		sni       string
		wantErr   error
		wantAsked bool
	}{
		{"refuses a host Domains does not allow", "other.acme.test", errNotCustomer, true},
		{"refuses a handshake without SNI before asking", "", autotls.ErrInvalidHost, false},
		{"refuses an IP address before asking", "127.0.0.2", autotls.ErrInvalidHost, false},
		{"refuses a single label before asking", "intranet", autotls.ErrInvalidHost, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			asked := d.timesAsked(tc.sni)
			if _, err := handshake(addr, tc.sni, nil); err == nil {
				t.Fatal("handshake succeeded")
			}
			if err := n.lastErr(); !errors.Is(err, tc.wantErr) {
				t.Fatalf("GetCertificate error %v, want %v", err, tc.wantErr)
			}
			if got := d.timesAsked(tc.sni) > asked; got != tc.wantAsked {
				t.Fatalf("Domains asked: %v, want %v", got, tc.wantAsked)
			}
		})
	}
}
