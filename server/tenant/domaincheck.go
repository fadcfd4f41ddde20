package tenant

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// ErrOwnershipNotProven is returned by RecordCertificateObtained and
// RecordCertificateFailed for a domain whose ownership is not proven: no
// certificate outcome may be recorded for it.
var ErrOwnershipNotProven = errors.New("tenant: domain ownership not proven")

// What a tenant publishes to prove it owns a domain, one of the two (see
// Domain.ChallengeName, ChallengeValue and ChallengeURL). edge/ownership
// checks them and the management API shows them; both read them here.
const (
	// ChallengeLabel is the label under the hostname whose TXT record
	// proves ownership.
	ChallengeLabel = "_lintel-challenge"
	// ChallengePrefix starts the TXT record's value; the verification
	// token follows.
	ChallengePrefix = "lintel-verification="
	// ChallengePath is the HTTP path, followed by the domain's ID, that
	// answers the verification token.
	ChallengePath = "/.well-known/lintel-challenge/"
)

// ChallengeName is the DNS name whose TXT record proves ownership:
// "_lintel-challenge.login.acme.com".
func (d Domain) ChallengeName() string { return ChallengeLabel + "." + d.Hostname }

// ChallengeValue is the TXT record's value that proves ownership:
// "lintel-verification=" and the token.
func (d Domain) ChallengeValue() string { return ChallengePrefix + d.VerificationToken }

// ChallengeURL is where an HTTP GET answering the token (and nothing else)
// proves ownership: "http://login.acme.com/.well-known/lintel-challenge/dom_…".
func (d Domain) ChallengeURL() string { return "http://" + d.Hostname + ChallengePath + d.ID }

// RecordOwnershipProven records a successful ownership check of a tenant's
// domain: VerifiedAt becomes now and LastError is cleared; the state
// becomes verified, except that an active domain stays active (its
// certificate still holds). An unknown domain, or one of another tenant,
// wraps store.ErrNotFound.
func (s *Service) RecordOwnershipProven(ctx context.Context, tx store.Tx, tenantID, id string) (Domain, error) {
	d, err := s.Domain(ctx, tx, tenantID, id)
	if err != nil {
		return Domain{}, err
	}
	now := s.now()
	if d.State != DomainActive {
		d.State = DomainVerified
	}
	d.LastError, d.VerifiedAt, d.UpdatedAt = "", &now, now
	return d, s.saveDomainState(ctx, tx, d)
}

// RecordOwnershipFailed records a failed ownership check of a tenant's
// domain: the state becomes failed, LastError the reason (clipped to
// MaxLastErrorLen bytes) and VerifiedAt nil.
//
// A domain that was proven before and fails a later check loses its
// proof, whatever its state (active included): the edge stops asking for
// its certificates and its issuers and links stop being accepted until a
// check succeeds again. For an identity product that is the safer side:
// a domain that changed hands (expired and re-registered, a dangling
// record) must not keep receiving sign-ins, mail links and tokens meant
// for the tenant. Background re-checks never touch a proven domain (see
// DomainsDueForCheck), so only an explicit check can revoke it, and the
// reason shows in LastError. An unknown domain wraps store.ErrNotFound.
func (s *Service) RecordOwnershipFailed(ctx context.Context, tx store.Tx, tenantID, id, reason string) (Domain, error) {
	d, err := s.Domain(ctx, tx, tenantID, id)
	if err != nil {
		return Domain{}, err
	}
	d.State, d.LastError, d.VerifiedAt, d.UpdatedAt = DomainFailed, clipError(reason), nil, s.now()
	return d, s.saveDomainState(ctx, tx, d)
}

// RecordCertificateObtained records that a tenant's domain has a
// certificate: its state becomes active and LastError is cleared. A
// domain whose ownership is not proven is refused with an error wrapping
// ErrOwnershipNotProven (and an *invalid.Error naming "state"), and
// nothing changes; an unknown domain wraps store.ErrNotFound.
func (s *Service) RecordCertificateObtained(ctx context.Context, tx store.Tx, tenantID, id string) (Domain, error) {
	d, err := s.Domain(ctx, tx, tenantID, id)
	if err != nil {
		return Domain{}, err
	}
	if !d.OwnershipProven() {
		return Domain{}, fmt.Errorf("%w: %w", ErrOwnershipNotProven, invalid.Field("state", "the ownership of %q is not proven", d.Hostname))
	}
	d.State, d.LastError, d.UpdatedAt = DomainActive, "", s.now()
	return d, s.saveDomainState(ctx, tx, d)
}

// RecordCertificateFailed records that obtaining or renewing a
// certificate for a tenant's domain failed: the state becomes failed and
// LastError the reason (clipped to MaxLastErrorLen bytes). VerifiedAt is
// kept, so the domain stays proven and issuance may be retried. A domain
// whose ownership is not proven is refused like in
// RecordCertificateObtained (its last ownership failure stays shown); an
// unknown domain wraps store.ErrNotFound.
func (s *Service) RecordCertificateFailed(ctx context.Context, tx store.Tx, tenantID, id, reason string) (Domain, error) {
	d, err := s.Domain(ctx, tx, tenantID, id)
	if err != nil {
		return Domain{}, err
	}
	if !d.OwnershipProven() {
		return Domain{}, fmt.Errorf("%w: %w", ErrOwnershipNotProven, invalid.Field("state", "the ownership of %q is not proven", d.Hostname))
	}
	d.State, d.LastError, d.UpdatedAt = DomainFailed, clipError(reason), s.now()
	return d, s.saveDomainState(ctx, tx, d)
}

// CertificateAllowed reports whether a certificate may be obtained for
// hostname (any case, with or without a trailing dot): only for a custom
// domain whose ownership is proven, that is in state verified or active,
// or failed after its ownership was proven. An unknown host is false
// without an error; the instance's own hosts are not custom domains.
func (s *Service) CertificateAllowed(ctx context.Context, tx store.Tx, hostname string) (bool, error) {
	d, err := s.DomainByHost(ctx, tx, hostname)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return d.OwnershipProven(), nil
}

// DomainsDueForCheck lists, across tenants, up to limit domains whose
// ownership should be checked again in the background: pending ones, and
// failed ones whose ownership is not proven, created within window before
// now. Proven domains are never due, whatever their state: only an
// explicit check may revoke a proof (see RecordOwnershipFailed). The
// least recently changed come first, so bounded batches take turns
// through every due domain. A limit outside 1–MaxLimit is refused with
// an *invalid.Error naming "limit".
func (s *Service) DomainsDueForCheck(ctx context.Context, tx store.Tx, window time.Duration, limit int) ([]Domain, error) {
	if limit < 1 || limit > MaxLimit {
		return nil, invalid.Field("limit", "must be between 1 and %d", MaxLimit)
	}
	rows, err := tx.Query(ctx, `SELECT `+domainCols+` FROM domains
		WHERE (state = ? OR (state = ? AND verified_at IS NULL)) AND created_at > ?
		ORDER BY updated_at, id LIMIT ?`, string(DomainPending), string(DomainFailed), s.now().Add(-window), limit)
	list, err := store.Collect(rows, err, scanDomain)
	return nonNilList(list), err
}

// clipError bounds a stored last error to MaxLastErrorLen bytes, cutting
// at a character boundary.
func clipError(reason string) string {
	if len(reason) <= MaxLastErrorLen {
		return reason
	}
	return strings.ToValidUTF8(reason[:MaxLastErrorLen], "")
}
