package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/acmetest"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// sharedPorts returns one port number free on every address given (the
// test nodes share their challenge ports, as servers behind one DNS name
// do), and a second one likewise.
func sharedPorts(t *testing.T, addrs ...string) (int, int) {
	t.Helper()
	pick := func(avoid int) int {
		for range 50 {
			ln, err := net.Listen("tcp", addrs[0]+":0")
			if err != nil {
				t.Fatal(err)
			}
			port := ln.Addr().(*net.TCPAddr).Port
			free := port != avoid
			for _, a := range addrs[1:] {
				other, err := net.Listen("tcp", fmt.Sprintf("%s:%d", a, port))
				if err != nil {
					free = false
					break
				}
				other.Close()
			}
			ln.Close()
			if free {
				return port
			}
		}
		t.Fatal("no port free on every address")
		return 0
	}
	a := pick(0)
	return a, pick(a)
}

// domainNode is one `lintel serve` with an HTTPS listener for custom
// domains on ip.
type domainNode struct {
	*server
	ip string
}

// acmeEnv is the configuration that points a node at the test CA and DNS.
func acmeEnv(t *testing.T, ca *acmetest.CA, dns *acmetest.DNS, ip string, tlsPort, httpPort int) []string {
	t.Helper()
	roots := filepath.Join(t.TempDir(), "acme-roots.pem")
	if err := os.WriteFile(roots, ca.ServerRootsPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{
		fmt.Sprintf("LINTEL_TLS_ADDR=%s:%d", ip, tlsPort),
		fmt.Sprintf("LINTEL_TLS_HTTP_ADDR=%s:%d", ip, httpPort),
		"LINTEL_ACME_DIRECTORY=" + ca.DirectoryURL(),
		"LINTEL_ACME_CA_ROOTS=" + roots,
		"LINTEL_ACME_EMAIL=ops@lintel.test",
		"LINTEL_DNS_RESOLVER=" + dns.Addr(),
		// The HTTP ownership token and everything else stay on loopback.
		"LINTEL_EGRESS_ALLOW=127.0.0.0/8",
	}
}

func startDomainNode(t *testing.T, ip string, env []string) domainNode {
	t.Helper()
	s := startCommand(t, exec.Command(binary, "serve", "--addr", ip+":0", "--log-format", "json"), env)
	return domainNode{server: s.server, ip: ip}
}

// httpsTo is a client that reaches host at ip:port, whatever DNS says,
// and trusts only roots.
func httpsTo(ip string, port int, roots *x509.CertPool) *http.Client {
	d := &net.Dialer{Timeout: 30 * time.Second}
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, fmt.Sprintf("%s:%d", ip, port))
			},
			TLSClientConfig:   &tls.Config{RootCAs: roots},
			DisableKeepAlives: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// handshake connects to ip:port with SNI name and returns the serial of
// the certificate served, verified against roots.
func handshake(ip string, port int, name string, roots *x509.CertPool) (string, error) {
	d := &net.Dialer{Timeout: 60 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", fmt.Sprintf("%s:%d", ip, port), &tls.Config{ServerName: name, RootCAs: roots})
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return hex.EncodeToString(conn.ConnectionState().PeerCertificates[0].SerialNumber.Bytes()), nil
}

// domainView is what the management API answers for a custom domain.
type domainView struct {
	ID           string `json:"id"`
	State        string `json:"state"`
	LastError    string `json:"last_error"`
	VerifiedAt   string `json:"verified_at"`
	Verification struct {
		DNS struct {
			Name, Type, Value string
		} `json:"dns"`
	} `json:"verification"`
	Certificate *struct {
		Status string   `json:"status"`
		Serial string   `json:"serial"`
		Names  []string `json:"names"`
	} `json:"certificate"`
}

func decodeDomain(t *testing.T, b []byte) domainView {
	t.Helper()
	var d domainView
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("domain %s: %v", b, err)
	}
	return d
}

// addVerifiedDomain creates a tenant's brand and custom domain through the
// management API of base, publishes its TXT record and verifies it.
func addVerifiedDomain(t *testing.T, base, admin, tenantSlug, host, brand string, dns *acmetest.DNS) domainView {
	t.Helper()
	var b struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(call(t, http.MethodPost, base+"/api/v1/mgmt/tenants/"+tenantSlug+"/brands", admin, map[string]any{"name": brand}, http.StatusCreated), &b); err != nil {
		t.Fatal(err)
	}
	d := decodeDomain(t, call(t, http.MethodPost, base+"/api/v1/mgmt/tenants/"+tenantSlug+"/domains", admin, map[string]any{"hostname": host, "brand_id": b.ID}, http.StatusCreated))
	if d.State != "pending" || d.Verification.DNS.Name != "_lintel-challenge."+host || d.Verification.DNS.Type != "TXT" {
		t.Fatalf("new domain %+v", d)
	}
	dns.SetTXT(d.Verification.DNS.Name, d.Verification.DNS.Value)
	v := decodeDomain(t, call(t, http.MethodPost, base+"/api/v1/mgmt/tenants/"+tenantSlug+"/domains/"+d.ID+"/verify", admin, nil, http.StatusOK))
	if v.State != "verified" || v.VerifiedAt == "" {
		t.Fatalf("verified domain %+v", v)
	}
	return v
}

// TestCustomDomainObtainsCertificate drives the real binary with Pebble as
// the CA: a custom domain is added and its ownership verified by a DNS TXT
// record; the first HTTPS request to it obtains a certificate and is
// answered with the brand's page; the HTTP listener redirects to HTTPS; a
// name whose ownership is not proven, or that no tenant has, gets no
// certificate, and Pebble saw no order for it.
func TestCustomDomainObtainsCertificate(t *testing.T) {
	const ip = "127.0.0.2"
	tlsPort, httpPort := sharedPorts(t, ip)
	dns := acmetest.StartDNS(t)
	ca := acmetest.Start(t, acmetest.Options{DNS: dns, HTTPPort: httpPort, TLSPort: tlsPort, Quiet: true})
	dataDir := filepath.Join(t.TempDir(), "data")
	env := append([]string{"LINTEL_DATA_DIR=" + dataDir}, acmeEnv(t, ca, dns, ip, tlsPort, httpPort)...)
	out, errOut, code := lintel(t, env, "admin", "token", "create", "--tenant", "system", "--role", "instance-admin", "--name", "ops", "--expires", "30m")
	admin := strings.TrimSpace(out)
	if code != 0 || !tokenPattern.MatchString(admin) {
		t.Fatalf("admin token: exit %d %q", code, errOut)
	}
	node := startDomainNode(t, ip, env)
	api := node.base + "/api/v1/mgmt/tenants"
	call(t, http.MethodPost, api, admin, map[string]any{"slug": "acme", "name": "Acme"}, http.StatusCreated)

	// Not yet published: the check fails and says what is missing.
	var brand struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(call(t, http.MethodPost, api+"/acme/brands", admin, map[string]any{"name": "Acme Sign-in"}, http.StatusCreated), &brand)
	d := decodeDomain(t, call(t, http.MethodPost, api+"/acme/domains", admin, map[string]any{"hostname": "login.acme.test", "brand_id": brand.ID}, http.StatusCreated))
	failed := decodeDomain(t, call(t, http.MethodPost, api+"/acme/domains/"+d.ID+"/verify", admin, nil, http.StatusOK))
	if failed.State != "failed" || !strings.Contains(failed.LastError, "_lintel-challenge.login.acme.test") {
		t.Fatalf("unpublished domain: %+v", failed)
	}
	dns.SetTXT(d.Verification.DNS.Name, d.Verification.DNS.Value)
	dns.SetA("login.acme.test", netip.MustParseAddr(ip))
	if v := decodeDomain(t, call(t, http.MethodPost, api+"/acme/domains/"+d.ID+"/verify", admin, nil, http.StatusOK)); v.State != "verified" {
		t.Fatalf("published domain: %+v", v)
	}
	if n := ca.Orders("login.acme.test"); n != 0 {
		t.Fatalf("Pebble saw %d orders before the first request, want 0", n)
	}

	// The first HTTPS request obtains the certificate and shows the brand.
	c := httpsTo(ip, tlsPort, ca.IssuerRoots())
	resp, err := c.Get(fmt.Sprintf("https://login.acme.test:%d/no-such-page", tlsPort))
	if err != nil {
		t.Fatalf("first HTTPS request: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "Acme Sign-in") {
		t.Fatalf("first HTTPS request: %d, want the brand's 404 page naming Acme Sign-in:\n%.600s", resp.StatusCode, body)
	}
	if got := resp.TLS.PeerCertificates[0].DNSNames; len(got) != 1 || got[0] != "login.acme.test" {
		t.Fatalf("certificate names %v", got)
	}
	if n := ca.Orders("login.acme.test"); n != 1 {
		t.Fatalf("Pebble saw %d orders for login.acme.test, want 1", n)
	}
	active := decodeDomain(t, call(t, http.MethodGet, api+"/acme/domains/"+d.ID, admin, nil, http.StatusOK))
	if active.State != "active" || active.Certificate == nil || active.Certificate.Status != "valid" {
		t.Fatalf("domain after the first request: %+v (certificate %+v)", active, active.Certificate)
	}
	// The sign-in page on the domain shows the brand too.
	var app struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(call(t, http.MethodPost, api+"/acme/apps", admin, map[string]any{
		"name": "Portal", "type": "web", "redirect_uris": []string{"https://portal.acme.test/callback"},
	}, http.StatusCreated), &app)
	jar, _ := cookiejar.New(nil)
	c.Jar = jar
	authorize := fmt.Sprintf("https://login.acme.test:%d/oauth2/default/v1/authorize?", tlsPort) + url.Values{
		"client_id": {app.ID}, "redirect_uri": {"https://portal.acme.test/callback"}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"s"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"},
	}.Encode()
	resp, err = c.Get(authorize)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("authorize on the custom domain: %d", resp.StatusCode)
	}
	resp, err = c.Get(fmt.Sprintf("https://login.acme.test:%d", tlsPort) + resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Acme Sign-in") {
		t.Fatalf("sign-in page on the custom domain: %d, want it to show Acme Sign-in:\n%.600s", resp.StatusCode, body)
	}

	// Later requests reuse it.
	if _, err := handshake(ip, tlsPort, "login.acme.test", ca.IssuerRoots()); err != nil || ca.Orders("login.acme.test") != 1 {
		t.Fatalf("second handshake: %v, %d orders", err, ca.Orders("login.acme.test"))
	}

	// HTTP redirects to HTTPS, keeping path and query.
	plain := httpsTo(ip, httpPort, nil)
	resp, err = plain.Get(fmt.Sprintf("http://login.acme.test:%d/signin/x?a=1", httpPort))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := fmt.Sprintf("https://login.acme.test:%d/signin/x?a=1", tlsPort); resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
		t.Fatalf("HTTP: %d to %q, want 308 to %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}

	// A pending domain and an unknown name: no certificate, no order.
	call(t, http.MethodPost, api+"/acme/domains", admin, map[string]any{"hostname": "pending.acme.test"}, http.StatusCreated)
	for _, name := range []string{"pending.acme.test", "stranger.example.test"} {
		dns.SetA(name, netip.MustParseAddr(ip))
		if _, err := handshake(ip, tlsPort, name, ca.IssuerRoots()); err == nil {
			t.Fatalf("%s got a certificate", name)
		}
		if n := ca.Orders(name); n != 0 {
			t.Fatalf("Pebble saw %d orders for %s, want 0", n, name)
		}
	}
}

// TestTwoNodesObtainOneCertificate runs two Lintel processes on one
// PostgreSQL database, on 127.0.0.2 and 127.0.0.3 with the same ports.
// A new domain's DNS points at the node that does not place the order:
// the other node answers the CA's challenge from the shared storage, the
// certificate is obtained exactly once, and both nodes serve it. Then a
// second domain is asked of both nodes at once: still one order.
func TestTwoNodesObtainOneCertificate(t *testing.T) {
	const ipA, ipB = "127.0.0.2", "127.0.0.3"
	tlsPort, httpPort := sharedPorts(t, ipA, ipB)
	dns := acmetest.StartDNS(t)
	ca := acmetest.Start(t, acmetest.Options{DNS: dns, HTTPPort: httpPort, TLSPort: tlsPort, Quiet: true})
	shared := []string{"LINTEL_DATABASE_URL=" + storetest.NewPostgresDatabase(t), "LINTEL_SECRETS_KEY=" + newKEK(t, "main")}
	out, errOut, code := lintel(t, shared, "admin", "token", "create", "--tenant", "system", "--role", "instance-admin", "--name", "ops", "--expires", "30m")
	admin := strings.TrimSpace(out)
	if code != 0 || !tokenPattern.MatchString(admin) {
		t.Fatalf("admin token: exit %d %q", code, errOut)
	}
	a := startDomainNode(t, ipA, append(append([]string{}, shared...), acmeEnv(t, ca, dns, ipA, tlsPort, httpPort)...))
	b := startDomainNode(t, ipB, append(append([]string{}, shared...), acmeEnv(t, ca, dns, ipB, tlsPort, httpPort)...))
	call(t, http.MethodPost, a.base+"/api/v1/mgmt/tenants", admin, map[string]any{"slug": "two", "name": "Two"}, http.StatusCreated)
	roots := ca.IssuerRoots()

	// DNS points at B; the order is placed by A.
	addVerifiedDomain(t, a.base, admin, "two", "login.two.test", "Two Sign-in", dns)
	dns.SetA("login.two.test", netip.MustParseAddr(ipB))
	serialA, err := handshake(ipA, tlsPort, "login.two.test", roots)
	if err != nil {
		t.Fatalf("node A: %v", err)
	}
	serialB, err := handshake(ipB, tlsPort, "login.two.test", roots)
	if err != nil {
		t.Fatalf("node B: %v", err)
	}
	if serialA != serialB || ca.Orders("login.two.test") != 1 {
		t.Fatalf("serials %s and %s, %d orders; want one certificate from one order", serialA, serialB, ca.Orders("login.two.test"))
	}
	for _, n := range []domainNode{a, b} {
		resp, err := httpsTo(n.ip, tlsPort, roots).Get(fmt.Sprintf("https://login.two.test:%d/missing", tlsPort))
		if err != nil {
			t.Fatalf("node %s: %v", n.ip, err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(page), "Two Sign-in") {
			t.Fatalf("node %s does not show the brand:\n%.400s", n.ip, page)
		}
	}

	// Both nodes asked at once.
	addVerifiedDomain(t, b.base, admin, "two", "id.two.test", "Two ID", dns)
	dns.SetA("id.two.test", netip.MustParseAddr(ipA))
	var (
		mu      sync.Mutex
		serials = map[string]int{}
		wg      sync.WaitGroup
	)
	for i := range 6 {
		ip := []string{ipA, ipB}[i%2]
		wg.Go(func() {
			s, err := handshake(ip, tlsPort, "id.two.test", roots)
			if err != nil {
				t.Errorf("node %s: %v", ip, err)
				return
			}
			mu.Lock()
			serials[s]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(serials) != 1 || ca.Orders("id.two.test") != 1 {
		t.Fatalf("concurrent handshakes saw %d certificates from %d orders; want 1 and 1", len(serials), ca.Orders("id.two.test"))
	}
}
