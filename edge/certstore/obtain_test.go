package certstore_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
	"go.uber.org/zap"

	"github.com/lintel-id/lintel/edge/certstore"
	"github.com/lintel-id/lintel/internal/clock"
)

// issuer is a CA that signs every CSR at once, counts what it issued and
// checks, while issuing, that the other nodes cannot take the issue lock.
type issuer struct {
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	issued atomic.Int32
	others []*certstore.Storage
	t      *testing.T
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "certstore test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &issuer{ca: ca, caKey: key, t: t}
}

func (is *issuer) IssuerKey() string { return "certstore-test-ca" }

func (is *issuer) Issue(ctx context.Context, csr *x509.CertificateRequest) (*certmagic.IssuedCertificate, error) {
	n := is.issued.Add(1)
	for _, o := range is.others {
		if ok, err := o.TryLock(ctx, "issue_cert_"+csr.DNSNames[0]); ok || err != nil {
			is.t.Errorf("while issuing, another node's TryLock = %v, %v", ok, err)
		}
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(int64(n) + 1), DNSNames: csr.DNSNames,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, is.ca, csr.PublicKey, is.caKey)
	if err != nil {
		return nil, err
	}
	return &certmagic.IssuedCertificate{Certificate: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// testNodesObtainACertificateOnce has certmagic on several nodes, each
// with its own cache and Storage onto one database, obtain a certificate
// for the same new domain at once: the CA is asked once, and every node
// then finds the certificate and its private key in storage.
func testNodesObtainACertificateOnce(t *testing.T, bk backing) {
	const domain = "login.example.com"
	is := newIssuer(t)
	var nodes []*certstore.Storage
	var configs []*certmagic.Config
	for range 3 {
		s, _ := bk.node(t, clock.System(), fast)
		nodes = append(nodes, s)
		var cfg *certmagic.Config
		cache := certmagic.NewCache(certmagic.CacheOptions{
			GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return cfg, nil },
			Logger:           zap.NewNop(),
		})
		t.Cleanup(cache.Stop)
		cfg = certmagic.New(cache, certmagic.Config{
			Storage: s, Issuers: []certmagic.Issuer{is}, Logger: zap.NewNop(), DisableARI: true,
		})
		configs = append(configs, cfg)
	}
	is.others = nodes
	var wg sync.WaitGroup
	for i, cfg := range configs {
		wg.Go(func() {
			if err := cfg.ObtainCertSync(context.Background(), domain); err != nil {
				t.Errorf("node %d: ObtainCertSync: %v", i, err)
			}
		})
	}
	wg.Wait()
	if n := is.issued.Load(); n != 1 {
		t.Fatalf("the CA was asked %d times, want once", n)
	}
	ctx := context.Background()
	certKey := certmagic.StorageKeys.SiteCert(is.IssuerKey(), domain)
	keyKey := certmagic.StorageKeys.SitePrivateKey(is.IssuerKey(), domain)
	for i, s := range nodes {
		crt, err := s.Load(ctx, certKey)
		if err != nil || !bytes.HasPrefix(crt, []byte("-----BEGIN CERTIFICATE-----")) {
			t.Errorf("node %d: certificate %.30q, %v", i, crt, err)
		}
		key, err := s.Load(ctx, keyKey)
		if err != nil || !bytes.Contains(key, []byte("PRIVATE KEY-----")) {
			t.Errorf("node %d: private key: %v", i, err)
		}
	}
	// Every node released the issue lock.
	if ok, err := nodes[0].TryLock(ctx, "issue_cert_"+domain); !ok || err != nil {
		t.Errorf("issue lock after obtaining: TryLock = %v, %v; want it free", ok, err)
	}
}
