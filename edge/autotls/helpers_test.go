package autotls_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/lintel-id/lintel/edge/autotls"
	"github.com/lintel-id/lintel/internal/clock"
)

// errNotCustomer is what fakeDomains.Allowed returns for unknown hosts.
var errNotCustomer = errors.New("not a verified custom domain")

// fakeDomains is an in-memory autotls.Domains that records its calls.
type fakeDomains struct {
	// onAllowed, if set, runs at each Allowed call, before it answers.
	onAllowed func(host string)

	mu       sync.Mutex
	allowed  map[string]bool
	asked    []string
	obtained []string
	failed   map[string][]error
}

func newFakeDomains(hosts ...string) *fakeDomains {
	d := &fakeDomains{allowed: map[string]bool{}, failed: map[string][]error{}}
	for _, h := range hosts {
		d.allowed[h] = true
	}
	return d
}

// allow lets host have a certificate from now on.
func (d *fakeDomains) allow(host string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.allowed[host] = true
}

func (d *fakeDomains) Allowed(_ context.Context, host string) error {
	if d.onAllowed != nil {
		d.onAllowed(host)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.asked = append(d.asked, host)
	if !d.allowed[host] {
		return errNotCustomer
	}
	return nil
}

func (d *fakeDomains) Obtained(_ context.Context, host string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.obtained = append(d.obtained, host)
	return nil
}

func (d *fakeDomains) Failed(_ context.Context, host string, cause error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failed[host] = append(d.failed[host], cause)
	return nil
}

// timesAsked is how many times Allowed was asked about host.
func (d *fakeDomains) timesAsked(host string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, h := range d.asked {
		if h == host {
			n++
		}
	}
	return n
}

// timesObtained is how many times Obtained was called for host.
func (d *fakeDomains) timesObtained(host string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, h := range d.obtained {
		if h == host {
			n++
		}
	}
	return n
}

// failures returns the causes Failed was given for host.
func (d *fakeDomains) failures(host string) []error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]error(nil), d.failed[host]...)
}

// testLogger writes to t.Log (shown on failure or with -v).
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}

// baseConfig is a valid Config on a fresh FileStorage, with a fake clock
// at the current time, for the ACME directory dir.
func baseConfig(t testing.TB, d autotls.Domains, dir string) (autotls.Config, *clock.Fake) {
	clk := clock.NewFake(time.Now().UTC())
	return autotls.Config{
		Storage:   &certmagic.FileStorage{Path: t.TempDir()},
		Domains:   d,
		Logger:    testLogger(t),
		Clock:     clk,
		Directory: dir,
		HTTPPort:  8080,
		TLSPort:   8443,
	}, clk
}

// newManager starts a Manager for cfg and closes it when t ends.
func newManager(t testing.TB, cfg autotls.Config) *autotls.Manager {
	t.Helper()
	m, err := autotls.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(m.Close)
	return m
}

// selfSigned makes an ECDSA P-256 certificate for name, signed by a CA
// named "Test CA" that it returns as a pool.
func selfSigned(t testing.TB, name string, notBefore, notAfter time.Time) (certPEM, keyPEM []byte, roots *x509.CertPool) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Test CA"},
		NotBefore:             notBefore.Add(-time.Hour),
		NotAfter:              notAfter.Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(0xbeef),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(caCert)
	certPEM = append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})...)
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, roots
}

// storeCert puts a certificate for name into storage where certmagic
// keeps the ones issuerKey obtained, as if a node had obtained it.
func storeCert(t testing.TB, s certmagic.Storage, issuerKey, name string, certPEM, keyPEM []byte) {
	t.Helper()
	meta, err := json.Marshal(certmagic.CertificateResource{SANs: []string{name}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for key, value := range map[string][]byte{
		certmagic.StorageKeys.SiteCert(issuerKey, name):       certPEM,
		certmagic.StorageKeys.SitePrivateKey(issuerKey, name): keyPEM,
		certmagic.StorageKeys.SiteMeta(issuerKey, name):       meta,
	} {
		if err := s.Store(ctx, key, value); err != nil {
			t.Fatal(err)
		}
	}
}
