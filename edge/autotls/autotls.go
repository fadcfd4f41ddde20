// Package autotls obtains and serves the TLS certificates of customers'
// custom login domains (login.acme.com) on demand, the way Caddy does: the
// first TLS handshake for a name the directory of custom domains allows
// obtains a certificate from an ACME CA, stores it in shared storage, and
// serves it from memory afterwards.
//
// It is a thin, opinionated layer over github.com/caddyserver/certmagic:
// one certmagic Cache and Config per Manager (never certmagic.Default),
// ECDSA P-256 keys, challenges (HTTP-01 and TLS-ALPN-01) answered by
// Lintel's own listeners, a per-name backoff after failed issuance, and
// certmagic's zap logs bridged to slog at warn and above.
//
// Several Lintel processes sharing one Storage form a cluster: certmagic
// locks each issuance through Storage and re-reads it once the lock is
// held, so a name's certificate is ordered once; challenge data goes to
// Storage too, so the node the CA reaches answers a challenge another
// node started.
//
// Renewal of on-demand certificates is driven by handshakes, not by
// certmagic's maintenance timer (which skips on-demand configs): a
// handshake that finds its cached certificate inside the renewal window
// (the last third of its lifetime) is served that certificate while a
// renewal runs in the background (an expired one waits for the renewal).
// The renewal takes the issuance lock and re-reads Storage, so a
// certificate another node has already renewed is loaded, not ordered
// again. A host that gets no handshakes is not renewed.
//
// certmagic coordinates issuance per name process-wide (package-level
// maps), so a process runs one Manager.
package autotls

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/mholt/acmez/v3/acme"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/lintel-id/lintel/internal/clock"
)

// ACME directories of Let's Encrypt.
const (
	LetsEncryptProduction = certmagic.LetsEncryptProductionCA
	LetsEncryptStaging    = certmagic.LetsEncryptStagingCA
)

// Errors callers branch on.
var (
	// ErrInvalidHost: the name is an IP address or not a valid DNS name
	// (refused before the directory is asked).
	ErrInvalidHost = errors.New("autotls: not a valid DNS host name")
	// ErrBackoff: issuance for the name failed recently and is not tried
	// again before its backoff ends.
	ErrBackoff = errors.New("autotls: issuance failed recently, backing off")
	// ErrNotListening: an issuance was refused because nothing listens on
	// the configured HTTP or TLS port, where certmagic would otherwise open
	// a challenge listener of its own.
	ErrNotListening = errors.New("autotls: challenge port has no listener of ours")
	// ErrRenewal wraps the cause given to Domains.Failed when a renewal
	// (not a first issuance) failed: the host still has a certificate.
	ErrRenewal = errors.New("autotls: renewal failed")
)

// Domains is what a Manager asks of the directory of custom domains.
//
// Implementations must be safe for concurrent use: Allowed runs during TLS
// handshakes and HTTP requests, Obtained and Failed from certmagic's event
// callbacks, all concurrently. Calls should return quickly (a handshake
// waits on Allowed) and honour ctx cancellation. Hosts are lower-case
// ASCII (IDNs in punycode) without a trailing dot.
type Domains interface {
	// Allowed returns nil when a certificate may be obtained (and served)
	// for host, and an error saying why not otherwise. It is asked when a
	// handshake needs a certificate not yet in memory, before a renewal
	// (a refusal then drops the host's certificate from this node's
	// memory: it is no longer served), and by HTTPHandler before each
	// redirect. The error is wrapped into the handshake's failure; the
	// client never sees its text.
	Allowed(ctx context.Context, host string) error
	// Obtained records that host now has a certificate (a first issuance
	// or a renewal, by this node). Its error is logged, never fatal.
	Obtained(ctx context.Context, host string) error
	// Failed records that issuance for host failed with cause. A failed
	// renewal's cause wraps ErrRenewal. Its error is logged, never fatal.
	Failed(ctx context.Context, host string, cause error) error
}

// EAB is an ACME External Account Binding, required by some CAs.
type EAB struct {
	// KeyID is the key identifier the CA gave.
	KeyID string
	// MACKey is the base64url-encoded HMAC key the CA gave. It is a secret:
	// never logged.
	MACKey string
}

// Config holds a Manager's dependencies and settings. Storage, Domains,
// Logger, Clock and TLSPort are required.
type Config struct {
	// Storage holds certificates, keys, the ACME account, locks and
	// challenge data. Every node of a cluster must share it.
	Storage certmagic.Storage
	// Domains decides which hosts get certificates and hears of issuance.
	Domains Domains
	// Logger receives the Manager's own lines and certmagic's warnings
	// and errors.
	Logger *slog.Logger
	// Clock times the issuance backoff and Status's state.
	Clock clock.Clock

	// Directory is the ACME directory URL; empty means
	// LetsEncryptProduction.
	Directory string
	// Email is the ACME account's contact address; optional.
	Email string
	// EAB binds the ACME account to an external account; optional.
	EAB *EAB
	// TrustedRoots, if set, replaces the system roots for the HTTPS
	// connection to the ACME server (a private CA, tests).
	TrustedRoots *x509.CertPool

	// ListenHost is the host part of the address this process's HTTP and
	// HTTPS listeners are bound to; empty when they listen on every
	// interface. With HTTPPort and TLSPort it tells certmagic where the
	// challenges are answered, so it never opens a listener of its own.
	ListenHost string
	// HTTPPort is the port this process's plain-HTTP listener is bound
	// to, which must serve HTTPHandler and be where the CA's port 80
	// arrives (80 itself in production, or forwarded to it). Zero disables
	// the HTTP-01 challenge.
	HTTPPort int
	// TLSPort is the port this process's HTTPS listener is bound to, which
	// must use TLSConfig and be where the CA's port 443 arrives (443 itself
	// in production, or forwarded to it).
	TLSPort int
	// PublicTLSPort is the HTTPS port HTTPHandler's redirects name when the
	// public reaches TLSPort through another port (443 forwarded to 8443);
	// zero means TLSPort.
	PublicTLSPort int
	// DisableTLSALPN disables the TLS-ALPN-01 challenge (then HTTPPort is
	// required).
	DisableTLSALPN bool

	// Hosts are always allowed, without asking Domains (for example the
	// instance's own public host when this listener serves it). Domains
	// hears nothing about them.
	Hosts []string

	// RetryAfter is how long issuance for a name is refused after it
	// failed; it doubles with each further failure up to MaxRetryAfter
	// and resets on success. Zero means 5 minutes (and 6 hours).
	RetryAfter, MaxRetryAfter time.Duration
	// CacheCapacity caps the certificates held in memory (random eviction
	// beyond it; evicted ones are reloaded from Storage). Zero: no cap.
	CacheCapacity int
}

// Default backoff after a failed issuance. Let's Encrypt allows 5 failed
// validations per name and hour; 5, 10, 20, 40 minutes stays under it.
const (
	defaultRetryAfter    = 5 * time.Minute
	defaultMaxRetryAfter = 6 * time.Hour
)

func (c Config) validate() error {
	var errs []error
	if c.Storage == nil {
		errs = append(errs, errors.New("autotls: Config.Storage is required"))
	}
	if c.Domains == nil {
		errs = append(errs, errors.New("autotls: Config.Domains is required"))
	}
	if c.Logger == nil {
		errs = append(errs, errors.New("autotls: Config.Logger is required"))
	}
	if c.Clock == nil {
		errs = append(errs, errors.New("autotls: Config.Clock is required"))
	}
	if c.TLSPort <= 0 || c.TLSPort > 65535 {
		errs = append(errs, errors.New("autotls: Config.TLSPort is required"))
	}
	if c.PublicTLSPort < 0 || c.PublicTLSPort > 65535 {
		errs = append(errs, errors.New("autotls: Config.PublicTLSPort is out of range"))
	}
	if c.HTTPPort < 0 || c.HTTPPort > 65535 {
		errs = append(errs, errors.New("autotls: Config.HTTPPort is out of range"))
	}
	if c.HTTPPort == 0 && c.DisableTLSALPN {
		errs = append(errs, errors.New("autotls: no challenge left: HTTPPort is zero and TLS-ALPN is disabled"))
	}
	if c.EAB != nil && (c.EAB.KeyID == "" || c.EAB.MACKey == "") {
		errs = append(errs, errors.New("autotls: Config.EAB needs KeyID and MACKey"))
	}
	for _, h := range c.Hosts {
		if _, err := normalizeHost(h); err != nil {
			errs = append(errs, fmt.Errorf("autotls: Config.Hosts: %q: %w", h, err))
		}
	}
	return errors.Join(errs...)
}

// Manager obtains, stores, renews and serves certificates for the hosts
// Domains allows. It is safe for concurrent use. Close stops it.
type Manager struct {
	domains    Domains
	storage    certmagic.Storage
	log        *slog.Logger
	clock      clock.Clock
	hosts      map[string]bool
	listenHost string
	httpPort   int
	tlsPort    int
	publicPort int // in redirects
	tlsALPN    bool
	backoff    *backoff

	cache  *certmagic.Cache
	magic  *certmagic.Config
	issuer *certmagic.ACMEIssuer

	closeOnce sync.Once
}

// New returns a Manager for cfg. It starts certmagic's cache maintenance
// goroutine (OCSP staples); Close stops it. No certificate is obtained
// until a handshake asks for one.
func New(cfg Config) (*Manager, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Directory == "" {
		cfg.Directory = LetsEncryptProduction
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = defaultRetryAfter
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = defaultMaxRetryAfter
	}
	if cfg.MaxRetryAfter < cfg.RetryAfter {
		cfg.MaxRetryAfter = cfg.RetryAfter
	}
	m := &Manager{
		domains:    cfg.Domains,
		storage:    cfg.Storage,
		log:        cfg.Logger,
		clock:      cfg.Clock,
		hosts:      make(map[string]bool, len(cfg.Hosts)),
		listenHost: cfg.ListenHost,
		httpPort:   cfg.HTTPPort,
		tlsPort:    cfg.TLSPort,
		publicPort: cmp.Or(cfg.PublicTLSPort, cfg.TLSPort),
		tlsALPN:    !cfg.DisableTLSALPN,
		backoff:    newBackoff(cfg.Clock, cfg.RetryAfter, cfg.MaxRetryAfter),
	}
	for _, h := range cfg.Hosts {
		name, _ := normalizeHost(h) // validated above
		m.hosts[name] = true
	}

	zl := zap.New(newSlogCore(cfg.Logger.Handler(), zapcore.WarnLevel)).Named("certmagic")
	m.cache = certmagic.NewCache(certmagic.CacheOptions{
		// One Config manages every certificate of this cache.
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return m.magic, nil },
		Capacity:         cfg.CacheCapacity,
		Logger:           zl,
	})
	// Every field certmagic.New would copy from certmagic.Default is set
	// here, so the package defaults never leak in.
	m.magic = certmagic.New(m.cache, certmagic.Config{
		RenewalWindowRatio: certmagic.DefaultRenewalWindowRatio,
		OnEvent:            m.onEvent,
		ShouldEmitFunc:     shouldEmit,
		OnDemand:           &certmagic.OnDemandConfig{DecisionFunc: m.decide},
		KeySource:          certmagic.StandardKeyGenerator{KeyType: certmagic.P256},
		Storage:            cfg.Storage,
		Logger:             zl,
	})
	var eab *acme.EAB
	if cfg.EAB != nil {
		eab = &acme.EAB{KeyID: cfg.EAB.KeyID, MACKey: cfg.EAB.MACKey}
	}
	m.issuer = certmagic.NewACMEIssuer(m.magic, certmagic.ACMEIssuer{
		CA:              cfg.Directory,
		Email:           cfg.Email,
		Agreed:          true, // the operator accepts the CA's terms by configuring it
		ExternalAccount: eab,
		TrustedRoots:    cfg.TrustedRoots,
		// Where our own listeners are: certmagic's challenge solvers try
		// to bind exactly these addresses, find them in use and leave the
		// answering to HTTPHandler and TLSConfig (see checkListeners).
		ListenHost:              cfg.ListenHost,
		AltHTTPPort:             cfg.HTTPPort,
		AltTLSALPNPort:          cfg.TLSPort,
		DisableHTTPChallenge:    cfg.HTTPPort == 0,
		DisableTLSALPNChallenge: cfg.DisableTLSALPN,
		// DisableDistributedSolvers stays false: challenge data goes to
		// Storage so any node can answer it.
		Logger: zl,
	})
	m.magic.Issuers = []certmagic.Issuer{m.issuer}
	return m, nil
}

// Close stops certmagic's cache maintenance. An issuance already running
// in a handshake finishes. Close is idempotent.
func (m *Manager) Close() {
	m.closeOnce.Do(m.cache.Stop)
}

// allowed reports whether a certificate may be served for name, already
// normalized: a configured host, or one Domains allows.
func (m *Manager) allowed(ctx context.Context, name string) error {
	if m.hosts[name] {
		return nil
	}
	if err := m.domains.Allowed(ctx, name); err != nil {
		return fmt.Errorf("autotls: %s not allowed: %w", name, err)
	}
	return nil
}

// custom reports whether name is a customer's domain (Domains hears of
// it), not one of the configured Hosts.
func (m *Manager) custom(name string) bool {
	return !m.hosts[strings.ToLower(name)]
}
