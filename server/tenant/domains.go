package tenant

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// DomainState is where a custom domain is in its life: ownership checks
// (edge/ownership) and certificates (the TLS manager) move it along, through
// the Record… methods (domaincheck.go). Whether ownership is proven is not
// a state but Domain.VerifiedAt: a domain in state failed may still be
// proven (its certificate failed, not its ownership).
type DomainState string

// The domain states.
const (
	// DomainPending is a new domain, ownership not yet proven.
	DomainPending DomainState = "pending"
	// DomainVerified is a domain whose ownership was proven.
	DomainVerified DomainState = "verified"
	// DomainActive is a verified domain that has a certificate and serves.
	DomainActive DomainState = "active"
	// DomainFailed is a domain whose last check failed (see LastError):
	// an ownership check (VerifiedAt is then nil) or a certificate
	// (VerifiedAt stays set).
	DomainFailed DomainState = "failed"
)

// Domain is a tenant's custom login domain ("login.acme.com").
type Domain struct {
	ID, TenantID string
	// BrandID is the brand the domain shows, "" for the tenant's default.
	BrandID string
	// Hostname is lowercase and unique across the instance.
	Hostname  string
	State     DomainState
	LastError string
	// VerificationToken is random, for a DNS TXT or HTTP ownership check.
	VerificationToken string
	// VerifiedAt is when ownership was last proven; nil while it is not
	// (a new domain, or one whose last ownership check failed).
	VerifiedAt           *time.Time
	CreatedAt, UpdatedAt time.Time
}

// OwnershipProven reports whether the tenant proved it owns the domain:
// only then may it get a certificate, route sign-ins or carry an issuer.
func (d Domain) OwnershipProven() bool { return d.VerifiedAt != nil }

// DomainInput describes a new custom domain.
type DomainInput struct {
	Hostname, BrandID string
}

// DomainPatch changes a domain; nil fields stay as they are. A pointer to
// "" unbinds the brand. The hostname cannot change.
type DomainPatch struct {
	BrandID *string
}

const domainCols = `id, tenant_id, brand_id, hostname, state, last_error, verification_token, verified_at, created_at, updated_at`

func scanDomain(r scanner) (Domain, error) {
	var d Domain
	var brand sql.NullString
	var verified sql.NullTime
	err := r.Scan(&d.ID, &d.TenantID, &brand, &d.Hostname, &d.State, &d.LastError, &d.VerificationToken, &verified, &d.CreatedAt, &d.UpdatedAt)
	d.BrandID, d.VerifiedAt = brand.String, timePtr(verified)
	return d, err
}

// checkBrand checks that brandID ("" for none) is a brand of the tenant.
func (s *Service) checkBrand(ctx context.Context, tx store.Tx, tenantID, brandID string) error {
	if brandID == "" {
		return nil
	}
	_, err := s.Brand(ctx, tx, tenantID, brandID)
	if errors.Is(err, store.ErrNotFound) {
		return invalid.Field("brand_id", "no such brand in this tenant")
	}
	return err
}

// CreateDomain records a custom domain for a tenant, in state pending with
// a fresh verification token. Hostnames are unique across the instance.
func (s *Service) CreateDomain(ctx context.Context, tx store.Tx, tenantID string, in DomainInput) (Domain, error) {
	t, err := s.Tenant(ctx, tx, tenantID)
	if err != nil {
		return Domain{}, err
	}
	host, herr := s.checkHostname("hostname", in.Hostname)
	berr := s.checkBrand(ctx, tx, t.ID, in.BrandID)
	if berr != nil && !invalid.Is(berr) {
		return Domain{}, berr
	}
	if err := errors.Join(herr, berr); err != nil {
		return Domain{}, err
	}
	if _, err := s.DomainByHost(ctx, tx, host); err == nil {
		return Domain{}, conflict("hostname", "the domain %q is already registered", host)
	} else if !errors.Is(err, store.ErrNotFound) {
		return Domain{}, err
	}
	now := s.now()
	var tok [20]byte
	_, _ = rand.Read(tok[:])
	d := Domain{ID: ident.New("dom", now), TenantID: t.ID, BrandID: in.BrandID, Hostname: host, State: DomainPending,
		VerificationToken: strings.ToLower(base32.StdEncoding.EncodeToString(tok[:])), CreatedAt: now, UpdatedAt: now}
	_, err = tx.Exec(ctx, `INSERT INTO domains (`+domainCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.TenantID, nullable(d.BrandID), d.Hostname, string(d.State), d.LastError, d.VerificationToken, d.VerifiedAt, d.CreatedAt, d.UpdatedAt)
	if errors.Is(err, store.ErrConflict) {
		return Domain{}, conflict("hostname", "the domain %q is already registered", host)
	}
	return d, err
}

// Domain returns a custom domain of a tenant.
func (s *Service) Domain(ctx context.Context, tx store.Tx, tenantID, id string) (Domain, error) {
	return s.domainWhere(ctx, tx, `id = ? AND tenant_id = ?`, id, tenantID)
}

// DomainByHost returns the custom domain for a hostname (any case, with or
// without a trailing dot), whatever its tenant, for routing by host.
func (s *Service) DomainByHost(ctx context.Context, tx store.Tx, hostname string) (Domain, error) {
	return s.domainWhere(ctx, tx, `hostname = ?`, strings.TrimSuffix(strings.ToLower(hostname), "."))
}

func (s *Service) domainWhere(ctx context.Context, tx store.Tx, where string, args ...any) (Domain, error) {
	d, err := scanDomain(tx.QueryRow(ctx, `SELECT `+domainCols+` FROM domains WHERE `+where, args...))
	if errors.Is(err, store.ErrNotFound) {
		return Domain{}, notFound("domain", args[0].(string))
	}
	return d, err
}

// ListDomains lists a tenant's custom domains in ID (creation) order, one
// page at a time, and returns the cursor of the next page.
func (s *Service) ListDomains(ctx context.Context, tx store.Tx, tenantID string, p Page) ([]Domain, string, error) {
	limit, err := p.check()
	if err != nil {
		return nil, "", err
	}
	rows, err := tx.Query(ctx, `SELECT `+domainCols+` FROM domains WHERE tenant_id = ? AND id > ?
		ORDER BY id LIMIT ?`, tenantID, p.After, limit+1)
	list, err := store.Collect(rows, err, scanDomain)
	if err != nil {
		return nil, "", err
	}
	list, next := cut(list, limit, func(d Domain) string { return d.ID })
	return nonNilList(list), next, nil
}

// UpdateDomain changes which brand a tenant's domain shows.
func (s *Service) UpdateDomain(ctx context.Context, tx store.Tx, tenantID, id string, p DomainPatch) (Domain, error) {
	d, err := s.Domain(ctx, tx, tenantID, id)
	if err != nil {
		return Domain{}, err
	}
	if p.BrandID != nil {
		if err := s.checkBrand(ctx, tx, d.TenantID, *p.BrandID); err != nil {
			return Domain{}, err
		}
		d.BrandID = *p.BrandID
	}
	d.UpdatedAt = s.now()
	_, err = tx.Exec(ctx, `UPDATE domains SET brand_id = ?, updated_at = ? WHERE id = ?`, nullable(d.BrandID), d.UpdatedAt, d.ID)
	return d, err
}

// DeleteDomain removes a custom domain of a tenant.
func (s *Service) DeleteDomain(ctx context.Context, tx store.Tx, tenantID, id string) error {
	n, err := tx.Exec(ctx, `DELETE FROM domains WHERE id = ? AND tenant_id = ?`, id, tenantID)
	if err == nil && n == 0 {
		return notFound("domain", id)
	}
	return err
}

// SetDomainState forces a domain's state, whatever checks say: for
// operators' repairs and tests. The verifier and the TLS manager use the
// Record… methods instead, which keep the rules between states. To keep
// VerifiedAt consistent, verified and active mark ownership proven now
// (when it was not already), pending clears it, and failed leaves it as
// it is. It is never exposed by the management API.
func (s *Service) SetDomainState(ctx context.Context, tx store.Tx, id string, state DomainState, lastError string) (Domain, error) {
	var errs []error
	switch state {
	case DomainPending, DomainVerified, DomainActive, DomainFailed:
	default:
		errs = append(errs, invalid.Field("state", "must be pending, verified, active or failed"))
	}
	if len(lastError) > MaxLastErrorLen {
		errs = append(errs, invalid.Field("last_error", "must be at most %d bytes", MaxLastErrorLen))
	}
	if err := errors.Join(errs...); err != nil {
		return Domain{}, err
	}
	d, err := s.domainWhere(ctx, tx, `id = ?`, id)
	if err != nil {
		return Domain{}, err
	}
	now := s.now()
	switch state {
	case DomainVerified, DomainActive:
		if d.VerifiedAt == nil {
			d.VerifiedAt = &now
		}
	case DomainPending:
		d.VerifiedAt = nil
	}
	d.State, d.LastError, d.UpdatedAt = state, lastError, now
	return d, s.saveDomainState(ctx, tx, d)
}

// saveDomainState writes what the checks change: state, last error,
// VerifiedAt and UpdatedAt.
func (s *Service) saveDomainState(ctx context.Context, tx store.Tx, d Domain) error {
	_, err := tx.Exec(ctx, `UPDATE domains SET state = ?, last_error = ?, verified_at = ?, updated_at = ? WHERE id = ?`,
		string(d.State), d.LastError, d.VerifiedAt, d.UpdatedAt, d.ID)
	return err
}

// nullable maps "" to SQL NULL.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// TenantHasHost reports whether host may carry a tenant's fixed issuer:
// the instance's public host, the tenant's {slug}.{public host}, or a
// custom domain of the tenant whose ownership is proven (VerifiedAt set,
// whatever its certificate). Another tenant's domain, or one whose
// ownership is not (or no longer) proven, is false.
func (s *Service) TenantHasHost(ctx context.Context, tx store.Tx, tenantID, host string) (bool, error) {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if s.publicHost != "" && host == s.publicHost {
		return true, nil
	}
	t, err := s.Tenant(ctx, tx, tenantID)
	if err != nil {
		return false, err
	}
	if s.publicHost != "" && host == t.Slug+"."+s.publicHost {
		return true, nil
	}
	d, err := s.DomainByHost(ctx, tx, host)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return d.TenantID == t.ID && d.OwnershipProven(), nil
}
