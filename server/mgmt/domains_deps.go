package mgmt

import (
	"context"
	"time"

	"github.com/lintel-id/lintel/server/tenant"
)

// DomainVerifier checks custom domains' ownership (edge/ownership's
// Verifier implements it; the server never imports the edge).
type DomainVerifier interface {
	// Verify checks now, over the network, that the tenant owns the
	// domain (a DNS TXT record or an HTTP token), records the outcome
	// with its system-log event, and returns the domain as recorded. A
	// failed check is no error: the domain comes back in state failed
	// with LastError. An unknown domain, or one of another tenant, wraps
	// store.ErrNotFound; when ctx ends nothing is recorded and the error
	// wraps ctx.Err(). It is safe for concurrent use.
	Verify(ctx context.Context, tenantID, domainID string) (tenant.Domain, error)
}

// Certificates reports the certificates the TLS manager holds.
type Certificates interface {
	// CertificateStatus describes the certificate held for hostname
	// (lowercase, no trailing dot): Status CertificateNone, and nothing
	// else, when there is none. Errors are failures to read it, never
	// its absence. It is safe for concurrent use.
	CertificateStatus(ctx context.Context, hostname string) (CertificateStatus, error)
}

// CertificateState says whether a certificate is held and usable.
type CertificateState string

// The certificate states.
const (
	// CertificateNone: no certificate is held for the hostname.
	CertificateNone CertificateState = "none"
	// CertificateValid: it is within its validity and not due for renewal.
	CertificateValid CertificateState = "valid"
	// CertificateExpiring: it is still valid but due for renewal.
	CertificateExpiring CertificateState = "expiring"
	// CertificateExpired: its validity has ended.
	CertificateExpired CertificateState = "expired"
)

// CertificateStatus describes the certificate held for a hostname.
type CertificateStatus struct {
	Status CertificateState
	// Issuer is the issuer's common name ("R11").
	Issuer string
	// Serial is the serial number in hexadecimal.
	Serial              string
	NotBefore, NotAfter time.Time
	// Names are the DNS names the certificate covers.
	Names []string
}
