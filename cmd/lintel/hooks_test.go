package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/acmetest"
	"github.com/lintel-id/lintel/internal/hooksig"
	"github.com/lintel-id/lintel/server/eventhooks"
)

// receiverHost is the event hook receiver's name: the binary resolves it
// through the test's DNS server to loopback, and trusts its certificate
// through SSL_CERT_FILE.
const receiverHost = "hooks.acme.test"

// delivery is one request the receiver got, with its signature's verdict.
type delivery struct {
	handshake bool
	payload   eventhooks.Payload
	signature error
}

// TestEventHookDeliveredByTheBinary runs lintel serve, creates an event
// hook through the management API pointing at a receiver on loopback TLS
// (by a name the test's DNS resolves, with a certificate of a test CA the
// binary trusts), verifies it, creates a user, and sees the user.created
// event arrive signed with the secret the API showed once. It also checks
// that inline hooks are served, with the WASM runtime behind them.
func TestEventHookDeliveredByTheBinary(t *testing.T) {
	dns := acmetest.StartDNS(t)
	dns.SetA(receiverHost, netip.MustParseAddr("127.0.0.1"))
	cert, roots := receiverCert(t)

	var mu sync.Mutex
	secret := ""
	got := make(chan delivery, 16)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(rw, "body", http.StatusBadRequest)
				return
			}
			mu.Lock()
			key := secret
			mu.Unlock()
			d := delivery{signature: hooksig.Verify(r.Header.Get(hooksig.Header), body, []byte(key), time.Now(), 0)}
			if c := r.Header.Get(eventhooks.ChallengeHeader); c != "" {
				d.handshake = true
				got <- d
				rw.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(rw).Encode(map[string]string{"verification": c})
				return
			}
			if err := json.Unmarshal(body, &d.payload); err != nil || d.payload.ID != r.Header.Get(eventhooks.EventIDHeader) {
				t.Errorf("delivery %s (event ID header %q): %v", body, r.Header.Get(eventhooks.EventIDHeader), err)
			}
			got <- d
			rw.WriteHeader(http.StatusNoContent)
		})}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() { _ = srv.Close() })

	b := startBranded(t, "SSL_CERT_FILE="+roots, "LINTEL_DNS_RESOLVER="+dns.Addr())
	url := fmt.Sprintf("https://%s:%d/lintel/events", receiverHost, ln.Addr().(*net.TCPAddr).Port)
	var hook struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Secret string `json:"secret"`
	}
	body := call(t, http.MethodPost, b.api+"/event-hooks", b.admin, map[string]any{"name": "SIEM", "url": url, "types": []string{"user.*"}}, http.StatusCreated)
	if err := json.Unmarshal(body, &hook); err != nil || hook.Status != "unverified" || hook.Secret == "" {
		t.Fatalf("created %s (%v)", body, err)
	}
	mu.Lock()
	secret = hook.Secret
	mu.Unlock()
	body = call(t, http.MethodPost, b.api+"/event-hooks/"+hook.ID+"/verify", b.admin, nil, http.StatusOK)
	if err := json.Unmarshal(body, &hook); err != nil || hook.Status != "active" {
		t.Fatalf("verified %s (%v)", body, err)
	}
	if d := <-got; !d.handshake || d.signature != nil {
		t.Fatalf("handshake %+v", d)
	}

	userID := b.createUser(t, "hooked@example.com", "Hook", true, "correct horse battery staple")
	// Events are read once they have settled (5 s), then sent on the
	// runner's next tick.
	deadline := time.After(60 * time.Second)
	for {
		select {
		case d := <-got:
			if d.signature != nil {
				t.Fatalf("a delivery's signature: %v", d.signature)
			}
			if d.payload.Type != "user.created" || d.payload.Target.ID != userID {
				continue // another user.* event of the same user, or of the demo
			}
			if d.payload.TenantID != b.demoTenantID || d.payload.Target.Type != "user" || d.payload.Outcome != "success" {
				t.Fatalf("delivered %+v", d.payload)
			}
		case <-deadline:
			t.Fatal("no user.created delivery within a minute")
		}
		break
	}

	// Inline hooks are served; a WASM module goes to the real runtime,
	// which refuses one that exports no hook.
	empty := base64.StdEncoding.EncodeToString([]byte("\x00asm\x01\x00\x00\x00"))
	body = call(t, http.MethodPost, b.api+"/hooks", b.admin, map[string]any{"name": "Sandboxed", "point": "token", "runtime": "wasm",
		"module": empty, "enabled": true}, http.StatusUnprocessableEntity)
	var p struct {
		Errors []struct {
			Location string `json:"location"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &p); err != nil || len(p.Errors) != 1 || p.Errors[0].Location != "body.module" {
		t.Fatalf("an empty module: %s (%v)", body, err)
	}
	var inline struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	body = call(t, http.MethodPost, b.api+"/hooks", b.admin, map[string]any{"name": "Claims", "point": "token", "runtime": "http",
		"url": "https://" + receiverHost + "/lintel/inline", "enabled": false}, http.StatusCreated)
	if err := json.Unmarshal(body, &inline); err != nil || inline.ID == "" || len(inline.Secret) < 20 {
		t.Fatalf("an inline hook: %s (%v)", body, err)
	}
}

// receiverCert makes a CA and a certificate it signs for receiverHost,
// and writes the CA to a file for SSL_CERT_FILE.
func receiverCert(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Hook receiver test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: receiverHost}, DNSNames: []string{receiverHost},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	roots := filepath.Join(t.TempDir(), "roots.pem")
	if err := os.WriteFile(roots, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, roots
}
