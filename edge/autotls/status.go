package autotls

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/caddyserver/certmagic"
)

// State is a host's certificate state as Status reports it.
type State string

// States of a host's certificate.
const (
	// StateNone: Storage holds no certificate for the host.
	StateNone State = "none"
	// StateValid: the certificate is valid and not yet due for renewal.
	StateValid State = "valid"
	// StateExpiring: the certificate is inside certmagic's renewal window
	// (the last third of its lifetime); the next handshake renews it.
	StateExpiring State = "expiring"
	// StateExpired: the certificate's NotAfter has passed.
	StateExpired State = "expired"
)

// CertInfo describes the certificate Storage holds for a host.
type CertInfo struct {
	Host string
	// Present is false (and the other fields zero) with StateNone.
	Present bool
	State   State
	// Issuer is the issuing CA certificate's common name.
	Issuer string
	// Serial is the serial number's bytes in lower-case hex (leading
	// zero byte kept, as crt.sh shows it).
	Serial    string
	NotBefore time.Time
	NotAfter  time.Time
	// Names are the certificate's DNS names.
	Names []string
}

// Status reports the certificate Storage holds for host, so every node
// of a cluster answers the same. It returns ErrInvalidHost for a name
// normalizeHost refuses, CertInfo{State: StateNone} when there is no
// certificate, and a wrapped storage or parsing error otherwise.
func (m *Manager) Status(ctx context.Context, host string) (CertInfo, error) {
	name, err := normalizeHost(host)
	if err != nil {
		return CertInfo{}, err
	}
	key := certmagic.StorageKeys.SiteCert(m.issuer.IssuerKey(), name)
	bundle, err := m.storage.Load(ctx, key)
	if errors.Is(err, fs.ErrNotExist) {
		return CertInfo{Host: name, State: StateNone}, nil
	}
	if err != nil {
		return CertInfo{}, fmt.Errorf("autotls: status of %s: %w", name, err)
	}
	block, _ := pem.Decode(bundle)
	if block == nil || block.Type != "CERTIFICATE" {
		return CertInfo{}, fmt.Errorf("autotls: status of %s: %s holds no PEM certificate", name, key)
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return CertInfo{}, fmt.Errorf("autotls: status of %s: %w", name, err)
	}
	return CertInfo{
		Host:      name,
		Present:   true,
		State:     m.state(leaf),
		Issuer:    leaf.Issuer.CommonName,
		Serial:    hex.EncodeToString(leaf.SerialNumber.Bytes()),
		NotBefore: leaf.NotBefore,
		NotAfter:  leaf.NotAfter,
		Names:     leaf.DNSNames,
	}, nil
}

// state places leaf in its lifetime by the Manager's clock, with the
// renewal window certmagic uses when no ARI window overrides it.
func (m *Manager) state(leaf *x509.Certificate) State {
	now := m.clock.Now()
	if !now.Before(leaf.NotAfter) {
		return StateExpired
	}
	lifetime := leaf.NotAfter.Sub(leaf.NotBefore)
	window := time.Duration(float64(lifetime) * m.magic.RenewalWindowRatio)
	if !now.Before(leaf.NotAfter.Add(-window)) {
		return StateExpiring
	}
	return StateValid
}
