package tenant

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// Tenant is an isolated customer of the instance, or a sub-tenant of one.
type Tenant struct {
	ID   string
	Slug string // DNS label, unique, immutable
	Name string
	// ParentID is the parent tenant's ID, "" for a top-level tenant.
	ParentID string
	// Depth is 1 for a top-level tenant, 2 for its child, and so on.
	Depth int
	// System marks the instance's own tenant (slug "system").
	System    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TenantInput describes a new tenant.
type TenantInput struct {
	Slug, Name string
	// ParentID makes the tenant a sub-tenant of an existing one.
	ParentID string
	// Delegate grants the parent a non-transitive delegation over the new
	// child, so the parent's admins administer it. It is ignored for a
	// top-level tenant.
	Delegate bool
}

// TenantPatch changes a tenant; nil fields stay as they are.
type TenantPatch struct {
	Name *string
}

// TenantFilter selects tenants to list.
type TenantFilter struct {
	// ParentID lists the children of one tenant.
	ParentID string
	// TopLevel lists only tenants without a parent.
	TopLevel bool
	// IDs, when non-nil, restricts the list to these tenants: a non-nil
	// empty slice lists nothing. At most MaxFilterIDs.
	IDs []string
	// After and Limit select the page, as in Page.
	After string
	Limit int
}

const tenantCols = `id, slug, name, parent_id, depth, system, created_at, updated_at`

func scanTenant(r scanner) (Tenant, error) {
	var t Tenant
	var parent sql.NullString
	err := r.Scan(&t.ID, &t.Slug, &t.Name, &parent, &t.Depth, &t.System, &t.CreatedAt, &t.UpdatedAt)
	t.ParentID = parent.String
	return t, err
}

// EnsureSystem returns the instance's own tenant (slug "system"), creating
// it the first time. It is idempotent.
func (s *Service) EnsureSystem(ctx context.Context, tx store.Tx) (Tenant, error) {
	t, err := s.Tenant(ctx, tx, SystemSlug)
	if !errors.Is(err, store.ErrNotFound) {
		return t, err
	}
	now := s.now()
	t = Tenant{ID: ident.New("ten", now), Slug: SystemSlug, Name: "System", Depth: 1, System: true, CreatedAt: now, UpdatedAt: now}
	return t, s.insertTenant(ctx, tx, t)
}

// CreateTenant creates a tenant, or a sub-tenant when in.ParentID is set.
// A sub-tenant deeper than Options.MaxDepth, a child of the system tenant
// and the reserved slug "system" are refused.
func (s *Service) CreateTenant(ctx context.Context, tx store.Tx, in TenantInput) (Tenant, error) {
	var errs []error
	name, err := checkName("name", in.Name)
	errs = append(errs, err, checkSlug(in.Slug))
	now := s.now()
	t := Tenant{ID: ident.New("ten", now), Slug: in.Slug, Name: name, Depth: 1, CreatedAt: now, UpdatedAt: now}
	if in.ParentID != "" {
		p, err := s.Tenant(ctx, tx, in.ParentID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			errs = append(errs, invalid.Field("parent_id", "no such tenant"))
		case err != nil:
			return Tenant{}, err
		case p.System:
			errs = append(errs, invalid.Field("parent_id", "the system tenant has no sub-tenants"))
		case p.Depth+1 > s.maxDepth:
			errs = append(errs, invalid.Field("parent_id", "sub-tenants nest at most %d deep", s.maxDepth))
		default:
			t.ParentID, t.Depth = p.ID, p.Depth+1
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Tenant{}, err
	}
	if _, err := s.Tenant(ctx, tx, in.Slug); err == nil {
		return Tenant{}, conflict("slug", "a tenant with slug %q already exists", in.Slug)
	} else if !errors.Is(err, store.ErrNotFound) {
		return Tenant{}, err
	}
	if err := s.insertTenant(ctx, tx, t); err != nil {
		return Tenant{}, err
	}
	if in.Delegate && t.ParentID != "" {
		if _, err := s.Grant(ctx, tx, t.ParentID, t.ID, false); err != nil {
			return Tenant{}, err
		}
	}
	return t, nil
}

func (s *Service) insertTenant(ctx context.Context, tx store.Tx, t Tenant) error {
	_, err := tx.Exec(ctx, `INSERT INTO tenants (`+tenantCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Slug, t.Name, nullable(t.ParentID), t.Depth, t.System, t.CreatedAt, t.UpdatedAt)
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: %w", conflict("slug", "a tenant with slug %q already exists", t.Slug), err)
	}
	return err
}

// Tenant returns a tenant by ID or slug.
func (s *Service) Tenant(ctx context.Context, tx store.Tx, idOrSlug string) (Tenant, error) {
	col := "slug"
	if strings.Contains(idOrSlug, "_") { // IDs have one, slugs never do
		col = "id"
	}
	t, err := scanTenant(tx.QueryRow(ctx, `SELECT `+tenantCols+` FROM tenants WHERE `+col+` = ?`, idOrSlug))
	if errors.Is(err, store.ErrNotFound) {
		return Tenant{}, notFound("tenant", idOrSlug)
	}
	return t, err
}

// ListTenants lists tenants in ID (creation) order, one page at a time, and
// returns the cursor of the next page ("" after the last).
func (s *Service) ListTenants(ctx context.Context, tx store.Tx, f TenantFilter) ([]Tenant, string, error) {
	limit, err := Page{After: f.After, Limit: f.Limit}.check()
	if f.ParentID != "" && f.TopLevel {
		err = errors.Join(err, invalid.Field("parent_id", "cannot be combined with top_level"))
	}
	if len(f.IDs) > MaxFilterIDs {
		err = errors.Join(err, invalid.Field("ids", "must have at most %d entries", MaxFilterIDs))
	}
	if err != nil {
		return nil, "", err
	}
	if f.IDs != nil && len(f.IDs) == 0 {
		return []Tenant{}, "", nil
	}
	q := `SELECT ` + tenantCols + ` FROM tenants WHERE id > ?`
	args := []any{f.After}
	switch {
	case f.ParentID != "":
		q += ` AND parent_id = ?`
		args = append(args, f.ParentID)
	case f.TopLevel:
		q += ` AND parent_id IS NULL`
	}
	if len(f.IDs) > 0 {
		q += ` AND id IN (` + placeholders(len(f.IDs)) + `)`
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	args = append(args, limit+1)
	rows, err := tx.Query(ctx, q+` ORDER BY id LIMIT ?`, args...)
	list, err := store.Collect(rows, err, scanTenant)
	if err != nil {
		return nil, "", err
	}
	list, next := cut(list, limit, func(t Tenant) string { return t.ID })
	return nonNilList(list), next, nil
}

// UpdateTenant changes a tenant's name.
func (s *Service) UpdateTenant(ctx context.Context, tx store.Tx, id string, p TenantPatch) (Tenant, error) {
	t, err := s.Tenant(ctx, tx, id)
	if err != nil {
		return Tenant{}, err
	}
	if p.Name != nil {
		if t.Name, err = checkName("name", *p.Name); err != nil {
			return Tenant{}, err
		}
	}
	t.UpdatedAt = s.now()
	_, err = tx.Exec(ctx, `UPDATE tenants SET name = ?, updated_at = ? WHERE id = ?`, t.Name, t.UpdatedAt, t.ID)
	return t, err
}

// DeleteTenant deletes a tenant with its apps (and their secrets), trusted
// origins, domains, brands and delegations. It refuses the system tenant,
// and a tenant that still has sub-tenants (ErrHasChildren).
func (s *Service) DeleteTenant(ctx context.Context, tx store.Tx, id string) error {
	t, err := s.Tenant(ctx, tx, id)
	if err != nil {
		return err
	}
	if t.System {
		return invalid.Field("id", "the system tenant cannot be deleted")
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM tenants WHERE parent_id = ?`, t.ID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%w: %w", ErrHasChildren, invalid.Field("id", "the tenant has %d sub-tenants: delete them first", n))
	}
	for _, q := range []string{
		`DELETE FROM tenant_delegations WHERE parent_id = ? OR child_id = ?`,
		`DELETE FROM domains WHERE tenant_id = ?`,
		`DELETE FROM trusted_origins WHERE tenant_id = ?`,
		`DELETE FROM app_secrets WHERE app_id IN (SELECT id FROM apps WHERE tenant_id = ?)`,
		`DELETE FROM apps WHERE tenant_id = ?`,
		`DELETE FROM brands WHERE tenant_id = ?`,
		`DELETE FROM network_zones WHERE tenant_id = ?`,
		`DELETE FROM tenants WHERE id = ?`,
	} {
		args := []any{t.ID}
		if strings.Count(q, "?") == 2 {
			args = append(args, t.ID)
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// nonNilList returns v, or an empty list for nil, so that JSON encoders
// write [] for an empty page.
func nonNilList[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
