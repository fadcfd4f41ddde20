package authserver

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// Limits on claims.
const (
	MaxClaimNameLen = 64  // characters of a claim name
	MaxClaimScopes  = 50  // scopes a claim may be conditioned on
	MaxClaims       = 100 // claims of one server, both targets
)

// ErrEditableAttribute is held by the refusal of a claim whose expression
// reads an attribute users may edit themselves without
// ClaimInput.OverrideEditable.
var ErrEditableAttribute = errors.New("authserver: claim reads a user-editable attribute without an override")

// Attributes tells claims about the custom attributes of a tenant's
// users (user.profile in expressions). The directory's user types answer
// it; a Service without one treats no custom attribute as editable and
// knows no bound.
type Attributes interface {
	// Editable returns the custom attributes people may edit themselves
	// (true means editable).
	Editable(ctx context.Context, tx store.Tx, tenantID string) (map[string]bool, error)
	// Bound returns the most bytes the JSON of attr's value may take, and
	// false when the tenant's schemas do not bound it.
	Bound(ctx context.Context, tx store.Tx, tenantID, attr string) (maxBytes int, ok bool, err error)
}

// ClaimInput describes a claim to create, or all the settable fields of
// one to replace.
type ClaimInput struct {
	// Name is 1–MaxClaimNameLen of A-Z a-z 0-9 _ . : -, not a reserved
	// claim (see Claim.Name); unique per server and target.
	Name string
	// Target is TargetAccess or TargetID.
	Target string
	// Expression is a CEL expression over user (id, login, email, name,
	// status, profile), app (id, name, type, tags), groups (names) and
	// request (grant_type, scopes granted, ip), at most
	// MaxClaimExpressionLen characters, whose worst-case cost is within
	// ClaimCostLimit, of a JSON type. A value of null leaves the claim out
	// of the token; an evaluation error fails the token request.
	Expression string
	// Scopes, when not empty, are scopes of the server one of which must
	// be granted for the claim to be included.
	Scopes []string
	// MaxBytes is 1–MaxClaimBytes, or 0 to derive it from the expression
	// (see derivedBound); a claim whose size cannot be derived must
	// declare it.
	MaxBytes int
	// OverrideEditable lets the expression read what people may edit
	// themselves: user.email, user.name, the whole user, and custom
	// attributes flagged editable. Only an admin's explicit choice may set
	// it: such a claim carries what the person chose.
	OverrideEditable bool
	// Inactive claims are stored but not issued.
	Inactive bool
}

const claimCols = `id, server_id, tenant_id, name, target, expression, scopes, max_bytes, override_editable, active, created_at, updated_at`

func scanClaim(r scanner) (Claim, error) {
	var c Claim
	var tenantID string
	var scopes []byte
	err := r.Scan(&c.ID, &c.ServerID, &tenantID, &c.Name, &c.Target, &c.Expression, &scopes, &c.MaxBytes,
		&c.OverrideEditable, &c.Active, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return Claim{}, err
	}
	return c, store.ParseJSONList(scopes, &c.Scopes)
}

// CreateClaim creates a custom claim of a server of a tenant. Refused
// input is one or more *invalid.Error: the name, target and scopes; an
// expression that does not compile, is not of a JSON type or may cost
// more than ClaimCostLimit ("expression"); one reading something people
// may edit without OverrideEditable (also ErrEditableAttribute); a size
// that cannot be derived ("max_bytes"); and a claim that takes the
// server's worst-case token over its MaxTokenBytes ("max_bytes" when
// declared, else "expression"). A name the server's target has already
// wraps store.ErrConflict.
func (s *Service) CreateClaim(ctx context.Context, tx store.Tx, tenantID, serverID string, in ClaimInput) (Claim, error) {
	srv, err := s.Server(ctx, tx, tenantID, serverID)
	if err != nil {
		return Claim{}, err
	}
	now := s.now()
	c := Claim{ID: ident.New("clm", now), ServerID: srv.ID, CreatedAt: now, UpdatedAt: now}
	if err := s.fillClaim(ctx, tx, srv, &c, in); err != nil {
		return Claim{}, err
	}
	if err := changed(ctx, tx, srv.ID); err != nil {
		return Claim{}, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO auth_claims (`+claimCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.ServerID, tenantID, c.Name, c.Target, c.Expression, store.JSONList(c.Scopes), c.MaxBytes,
		c.OverrideEditable, c.Active, c.CreatedAt, c.UpdatedAt)
	if err != nil {
		return Claim{}, nameConflict(err, "a claim of target "+c.Target, c.Name)
	}
	return c, nil
}

// Claim returns a claim of a server of a tenant by ID; one of another
// server or tenant is ErrNotFound.
func (s *Service) Claim(ctx context.Context, tx store.Tx, tenantID, serverID, id string) (Claim, error) {
	c, err := scanClaim(tx.QueryRow(ctx, `SELECT `+claimCols+` FROM auth_claims WHERE id = ? AND server_id = ? AND tenant_id = ?`,
		id, serverID, tenantID))
	if errors.Is(err, store.ErrNotFound) {
		return Claim{}, notFound("claim", id)
	}
	return c, err
}

// Claims lists the claims of a server of a tenant, active or not, by
// target then name.
func (s *Service) Claims(ctx context.Context, tx store.Tx, tenantID, serverID string) ([]Claim, error) {
	if _, err := s.Server(ctx, tx, tenantID, serverID); err != nil {
		return nil, err
	}
	return s.storedClaims(ctx, tx, tenantID, serverID)
}

// storedClaims lists the claims of a server known to belong to the
// tenant, by target then name.
func (s *Service) storedClaims(ctx context.Context, tx store.Tx, tenantID, serverID string) ([]Claim, error) {
	rows, err := tx.Query(ctx, `SELECT `+claimCols+` FROM auth_claims WHERE server_id = ? AND tenant_id = ?`, serverID, tenantID)
	list, err := store.Collect(rows, err, scanClaim)
	slices.SortFunc(list, func(a, b Claim) int {
		return cmp.Or(strings.Compare(a.Target, b.Target), strings.Compare(a.Name, b.Name))
	})
	return list, err
}

// UpdateClaim replaces every settable field of a claim of a server of a
// tenant, with the checks of CreateClaim; MaxBytes 0 derives the size
// again from the new expression.
func (s *Service) UpdateClaim(ctx context.Context, tx store.Tx, tenantID, serverID, id string, in ClaimInput) (Claim, error) {
	srv, err := s.Server(ctx, tx, tenantID, serverID)
	if err != nil {
		return Claim{}, err
	}
	c, err := s.Claim(ctx, tx, tenantID, serverID, id)
	if err != nil {
		return Claim{}, err
	}
	if err := s.fillClaim(ctx, tx, srv, &c, in); err != nil {
		return Claim{}, err
	}
	c.UpdatedAt = s.now()
	if err := changed(ctx, tx, srv.ID); err != nil {
		return Claim{}, err
	}
	_, err = tx.Exec(ctx, `UPDATE auth_claims SET name = ?, target = ?, expression = ?, scopes = ?, max_bytes = ?,
		override_editable = ?, active = ?, updated_at = ? WHERE id = ?`,
		c.Name, c.Target, c.Expression, store.JSONList(c.Scopes), c.MaxBytes, c.OverrideEditable, c.Active, c.UpdatedAt, c.ID)
	if err != nil {
		return Claim{}, nameConflict(err, "a claim of target "+c.Target, c.Name)
	}
	return c, nil
}

// DeleteClaim deletes a claim of a server of a tenant.
func (s *Service) DeleteClaim(ctx context.Context, tx store.Tx, tenantID, serverID, id string) error {
	c, err := s.Claim(ctx, tx, tenantID, serverID, id)
	if err != nil {
		return err
	}
	if err := changed(ctx, tx, c.ServerID); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `DELETE FROM auth_claims WHERE id = ?`, c.ID)
	return err
}

// fillClaim checks in against srv and sets the fields of c from it,
// MaxBytes resolved. c.ID is the claim's (new or stored) ID. It writes
// nothing.
func (s *Service) fillClaim(ctx context.Context, tx store.Tx, srv Server, c *Claim, in ClaimInput) error {
	c.Name, c.Target, c.Expression, c.OverrideEditable, c.Active = in.Name, in.Target, in.Expression, in.OverrideEditable, !in.Inactive
	scopes, err := s.scopesOf(ctx, tx, srv.TenantID, srv.ID)
	if err != nil {
		return err
	}
	errs := []error{checkClaimName(c.Name)}
	if c.Target != TargetAccess && c.Target != TargetID {
		errs = append(errs, invalid.Field("target", "must be %q or %q", TargetAccess, TargetID))
	}
	c.Scopes, err = checkClaimScopes(scopes, in.Scopes)
	errs = append(errs, err)
	if in.MaxBytes < 0 || in.MaxBytes > MaxClaimBytes {
		errs = append(errs, invalid.Field("max_bytes", "must be 0 (derived) or 1–%d", MaxClaimBytes))
	}
	compiled, err := compileClaim(c.Expression)
	errs = append(errs, err)
	if compiled != nil {
		errs = append(errs, s.checkReads(ctx, tx, srv.TenantID, compiled, in.OverrideEditable))
		if in.MaxBytes == 0 {
			c.MaxBytes, err = s.deriveMaxBytes(ctx, tx, srv.TenantID, compiled)
			errs = append(errs, err)
		} else {
			c.MaxBytes = in.MaxBytes
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	others, err := s.storedClaims(ctx, tx, srv.TenantID, srv.ID)
	if err != nil {
		return err
	}
	n := 0
	for _, o := range others {
		if o.ID == c.ID {
			continue
		}
		n++
		if o.Target == c.Target && o.Name == c.Name {
			return conflict("name", "a claim of target %s named %q already exists", c.Target, c.Name)
		}
	}
	if n >= MaxClaims {
		return invalid.Field("name", "the server has %d claims already, the most it may have", n)
	}
	field := "expression"
	if in.MaxBytes != 0 {
		field = "max_bytes"
	}
	return s.checkClaimBudget(ctx, tx, srv, *c, field)
}
