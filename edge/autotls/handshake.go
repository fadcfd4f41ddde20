package autotls

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"

	"github.com/caddyserver/certmagic"
	"github.com/mholt/acmez/v3"
)

// TLSConfig returns a new TLS configuration for the HTTPS listener: TLS
// 1.2 at least, ALPN h2, http/1.1 and acme-tls/1 (the TLS-ALPN-01
// challenge, answered here for this node's orders and, through Storage,
// for other nodes'), and a GetCertificate that serves certificates from
// memory, then Storage, then obtains one when the decision allows it.
// OCSP responses are stapled as certmagic does by default.
//
// An http.Server using it must not serve acme-tls/1 connections as HTTP;
// net/http closes them itself after the handshake, which is all a
// TLS-ALPN-01 validation needs.
func (m *Manager) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		NextProtos:     []string{"h2", "http/1.1", acmez.ACMETLS1Protocol},
		GetCertificate: m.GetCertificate,
	}
}

// abortKey carries, in a handshake's context, the function that ends the
// handshake's issuance when certmagic reports it failed.
type abortKey struct{}

// GetCertificate is TLSConfig's certificate callback. A handshake that
// triggers an issuance waits for it; if the issuance fails, the handshake
// fails at once with the CA's error instead of waiting in certmagic's
// retry loop (the name is then in backoff: see Config.RetryAfter).
func (m *Manager) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	parent := hello.Context()
	if parent == nil { // a ClientHelloInfo built by hand, not by crypto/tls
		parent = context.Background()
	}
	ctx, abort := context.WithCancelCause(parent)
	defer abort(nil)
	ctx = context.WithValue(ctx, abortKey{}, abort)
	cert, err := m.magic.GetCertificateWithContext(ctx, hello)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && parent.Err() == nil && errors.Is(err, context.Canceled) {
			err = cause
		}
		return nil, err
	}
	return cert, nil
}

// decide is certmagic's on-demand DecisionFunc, asked before a
// certificate is loaded from Storage or obtained for name (certmagic
// passes IDNs as punycode; a handshake without SNI passes the local IP,
// refused here).
func (m *Manager) decide(ctx context.Context, name string) error {
	host, err := normalizeHost(name)
	if err != nil {
		return err
	}
	// In backoff only an issuance is refused; a certificate another node
	// obtained meanwhile may still be loaded.
	if until, ok := m.backoff.blocked(host); ok && !m.stored(ctx, host) {
		return fmt.Errorf("%w: %s until %s", ErrBackoff, host, until.Format("15:04:05Z07:00"))
	}
	return m.allowed(ctx, host)
}

// stored reports whether Storage holds a certificate for host.
func (m *Manager) stored(ctx context.Context, host string) bool {
	_, err := m.storage.Stat(ctx, certmagic.StorageKeys.SiteCert(m.issuer.IssuerKey(), host))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		m.log.WarnContext(ctx, "autotls: reading storage", "host", host, "err", err)
	}
	return err == nil
}
