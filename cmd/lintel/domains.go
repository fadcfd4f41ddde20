package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lintel-id/lintel/edge/autotls"
	"github.com/lintel-id/lintel/edge/certstore"
	"github.com/lintel-id/lintel/edge/ownership"
	"github.com/lintel-id/lintel/internal/settings"
	"github.com/lintel-id/lintel/server/mgmt"
)

// dnsResolver returns the resolver of dns.resolver, or nil (the system's)
// when it is not set. Ownership checks and outbound calls both use it, so
// that a name resolves the same way for the check and for the HTTP token.
func dnsResolver(c settings.Config) *net.Resolver {
	if c.DNS.Resolver == "" {
		return nil
	}
	server := c.DNS.Resolver
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, server)
	}}
}

// newVerifier builds the custom-domain ownership verifier: DNS TXT lookups
// through dns.resolver, HTTP tokens through the egress dialer.
func (s *system) newVerifier(c settings.Config) (*ownership.Verifier, error) {
	var txt ownership.TXTResolver = net.DefaultResolver
	if r := dnsResolver(c); r != nil {
		txt = r
	}
	checker := ownership.NewChecker(txt, s.egress.Client(), ownership.CheckerOptions{})
	return ownership.NewVerifier(ownership.Deps{Store: s.store, Tenants: s.tenants, Events: s.events, Checker: checker, Logger: s.log}, ownership.Options{})
}

// domainServers are the HTTPS listener of custom domains, with its
// certificate manager, and the HTTP listener that answers the CA and
// redirects to HTTPS.
type domainServers struct {
	manager    *autotls.Manager
	storage    *certstore.Storage
	tlsLn      net.Listener
	httpLn     net.Listener // nil without tls.http_addr
	tls, plain *http.Server
	log        *slog.Logger
}

// openDomainServers listens on tls.addr (and tls.http_addr) and builds the
// certificate manager over the database, with the verifier deciding which
// names get certificates. Nil when tls.addr is not set.
func (s *system) openDomainServers(c settings.Config, public *url.URL, verifier *ownership.Verifier) (*domainServers, error) {
	if c.TLS.Addr == "" {
		return nil, nil
	}
	roots, err := acmeRoots(c.ACME.CARoots)
	if err != nil {
		return nil, err
	}
	tlsLn, err := net.Listen("tcp", c.TLS.Addr)
	if err != nil {
		return nil, fmt.Errorf("tls.addr: cannot listen on %s: %w", c.TLS.Addr, err)
	}
	d := &domainServers{tlsLn: tlsLn, log: s.log}
	host, tlsPort := splitPort(tlsLn.Addr())
	httpPort := 0
	if c.TLS.HTTPAddr != "" {
		if d.httpLn, err = net.Listen("tcp", c.TLS.HTTPAddr); err != nil {
			_ = tlsLn.Close()
			return nil, fmt.Errorf("tls.http_addr: cannot listen on %s: %w", c.TLS.HTTPAddr, err)
		}
		_, httpPort = splitPort(d.httpLn.Addr())
	}
	if d.storage, err = certstore.New(s.store, s.secrets, s.clock, certstore.Options{Logger: s.log}); err != nil {
		d.closeListeners()
		return nil, err
	}
	cfg := autotls.Config{
		Storage: d.storage, Domains: verifier, Logger: s.log, Clock: s.clock,
		Directory: c.ACMEDirectory(), Email: c.ACME.Email, TrustedRoots: roots,
		ListenHost: host, HTTPPort: httpPort, TLSPort: tlsPort,
	}
	if c.ACME.EABKeyID != "" {
		cfg.EAB = &autotls.EAB{KeyID: c.ACME.EABKeyID, MACKey: c.ACME.EABMACKey}
	}
	if h := public.Hostname(); public.Scheme == "https" && strings.Contains(h, ".") && net.ParseIP(h) == nil {
		// The instance's own host is served here too when its URL is https
		// (and a name a CA can certify).
		cfg.Hosts = []string{h}
	}
	if d.manager, err = autotls.New(cfg); err != nil {
		d.closeListeners()
		return nil, err
	}
	return d, nil
}

// splitPort returns the host an address is bound to ("" for every
// interface) and its port.
func splitPort(a net.Addr) (string, int) {
	host, port, _ := net.SplitHostPort(a.String())
	n, _ := strconv.Atoi(port)
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = ""
	}
	return host, n
}

// acmeRoots reads acme.ca_roots: the roots trusted for the ACME server's
// HTTPS; nil (the system's) when unset.
func acmeRoots(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("acme.ca_roots: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("acme.ca_roots: %s holds no PEM certificate", path)
	}
	return pool, nil
}

func (d *domainServers) closeListeners() {
	_ = d.tlsLn.Close()
	if d.httpLn != nil {
		_ = d.httpLn.Close()
	}
}

// serve serves h over TLS, and the HTTP listener's challenges and
// redirects, until shutdown; errors go to errc.
func (d *domainServers) serve(h http.Handler, newServer func(http.Handler) *http.Server, errc chan<- error) {
	d.tls = newServer(h)
	d.tls.TLSConfig = d.manager.TLSConfig()
	go func() { errc <- d.tls.Serve(tls.NewListener(d.tlsLn, d.tls.TLSConfig)) }()
	if d.httpLn != nil {
		d.plain = newServer(d.manager.HTTPHandler(nil))
		go func() { errc <- d.plain.Serve(d.httpLn) }()
	}
}

// shutdown stops both servers and the certificate manager.
func (d *domainServers) shutdown(ctx context.Context) error {
	var errs []error
	for _, srv := range []*http.Server{d.tls, d.plain} {
		if srv != nil {
			if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs = append(errs, err)
			}
		}
	}
	d.manager.Close()
	// Locks this node holds are released now, not when their lease ends.
	if err := d.storage.Close(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// certificates answers the management API's certificate status from the
// manager (the server does not import the edge).
type certificates struct{ m *autotls.Manager }

func (c certificates) CertificateStatus(ctx context.Context, hostname string) (mgmt.CertificateStatus, error) {
	info, err := c.m.Status(ctx, hostname)
	if err != nil {
		return mgmt.CertificateStatus{}, err
	}
	return mgmt.CertificateStatus{Status: mgmt.CertificateState(info.State), Issuer: info.Issuer, Serial: info.Serial,
		NotBefore: info.NotBefore, NotAfter: info.NotAfter, Names: info.Names}, nil
}

// recheckEvery is how often pending custom domains are checked again in
// the background (each for a week after it was added).
const recheckEvery = 5 * time.Minute
