package tenant

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// Purposes a trusted origin may be allowed for.
const (
	// PurposeCORS lets pages on the origin call the flow API.
	PurposeCORS = "cors"
	// PurposeEmbed lets pages on the origin embed the widget.
	PurposeEmbed = "embed"
)

// TrustedOrigin is a web origin allowed to embed the widget or call the
// flow API for a tenant's apps.
type TrustedOrigin struct {
	ID, TenantID, Name string
	// Origin is normalized: scheme://host[:port], lowercase, without the
	// default port.
	Origin string
	// Purposes are "cors" and/or "embed".
	Purposes []string
	// AppIDs restricts the origin to these apps; empty means every app of
	// the tenant.
	AppIDs               []string
	CreatedAt, UpdatedAt time.Time
}

// OriginInput describes a new trusted origin. Empty Purposes means both.
type OriginInput struct {
	Name, Origin string
	Purposes     []string
	AppIDs       []string
}

// OriginPatch changes a trusted origin; nil fields stay as they are.
type OriginPatch struct {
	Name, Origin     *string
	Purposes, AppIDs *[]string
}

const originCols = `id, tenant_id, name, origin, purposes, app_ids, created_at, updated_at`

func scanOrigin(r scanner) (TrustedOrigin, error) {
	var o TrustedOrigin
	var purposes, apps []byte
	if err := r.Scan(&o.ID, &o.TenantID, &o.Name, &o.Origin, &purposes, &apps, &o.CreatedAt, &o.UpdatedAt); err != nil {
		return TrustedOrigin{}, err
	}
	return o, errors.Join(store.ParseJSONList(purposes, &o.Purposes), store.ParseJSONList(apps, &o.AppIDs))
}

// check validates and normalizes the origin's fields; its app IDs must be
// apps of its tenant.
func (s *Service) checkOrigin(ctx context.Context, tx store.Tx, o *TrustedOrigin) error {
	var errs []error
	var err error
	if o.Name, err = checkName("name", o.Name); err != nil {
		errs = append(errs, err)
	}
	if o.Origin, err = normalizeOrigin("origin", o.Origin); err != nil {
		errs = append(errs, err)
	}
	if len(o.Purposes) == 0 {
		o.Purposes = []string{PurposeCORS, PurposeEmbed}
	}
	for i, p := range o.Purposes {
		f := fmt.Sprintf("purposes[%d]", i)
		switch {
		case p != PurposeCORS && p != PurposeEmbed:
			errs = append(errs, invalid.Field(f, "must be %q or %q", PurposeCORS, PurposeEmbed))
		case slices.Index(o.Purposes, p) < i:
			errs = append(errs, invalid.Field(f, "appears twice"))
		}
	}
	o.AppIDs = nonNil(o.AppIDs)
	if len(o.AppIDs) > MaxOriginApps {
		return errors.Join(append(errs, invalid.Field("app_ids", "must have at most %d entries", MaxOriginApps))...)
	}
	for i, id := range o.AppIDs {
		f := fmt.Sprintf("app_ids[%d]", i)
		if slices.Index(o.AppIDs, id) < i {
			errs = append(errs, invalid.Field(f, "appears twice"))
			continue
		}
		if _, err := s.App(ctx, tx, o.TenantID, id); errors.Is(err, store.ErrNotFound) {
			errs = append(errs, invalid.Field(f, "no such app in this tenant"))
		} else if err != nil {
			return err
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return s.uniqueName(ctx, tx, "trusted_origins", o.TenantID, o.ID, o.Name, "a trusted origin")
}

// CreateOrigin adds a trusted origin to a tenant.
func (s *Service) CreateOrigin(ctx context.Context, tx store.Tx, tenantID string, in OriginInput) (TrustedOrigin, error) {
	t, err := s.Tenant(ctx, tx, tenantID)
	if err != nil {
		return TrustedOrigin{}, err
	}
	now := s.now()
	o := TrustedOrigin{ID: ident.New("origin", now), TenantID: t.ID, Name: in.Name, Origin: in.Origin,
		Purposes: in.Purposes, AppIDs: in.AppIDs, CreatedAt: now, UpdatedAt: now}
	if err := s.checkOrigin(ctx, tx, &o); err != nil {
		return TrustedOrigin{}, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO trusted_origins (`+originCols+`, name_fold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.ID, o.TenantID, o.Name, o.Origin, store.JSONList(o.Purposes), store.JSONList(o.AppIDs), o.CreatedAt, o.UpdatedAt, fold(o.Name))
	if err != nil {
		return TrustedOrigin{}, nameConflict(err, "a trusted origin", o.Name)
	}
	return o, nil
}

// Origin returns a trusted origin of a tenant.
func (s *Service) Origin(ctx context.Context, tx store.Tx, tenantID, id string) (TrustedOrigin, error) {
	o, err := scanOrigin(tx.QueryRow(ctx, `SELECT `+originCols+` FROM trusted_origins WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if errors.Is(err, store.ErrNotFound) {
		return TrustedOrigin{}, notFound("trusted origin", id)
	}
	return o, err
}

// ListOrigins lists a tenant's trusted origins in ID (creation) order, one
// page at a time, and returns the cursor of the next page.
func (s *Service) ListOrigins(ctx context.Context, tx store.Tx, tenantID string, p Page) ([]TrustedOrigin, string, error) {
	limit, err := p.check()
	if err != nil {
		return nil, "", err
	}
	rows, err := tx.Query(ctx, `SELECT `+originCols+` FROM trusted_origins WHERE tenant_id = ? AND id > ?
		ORDER BY id LIMIT ?`, tenantID, p.After, limit+1)
	list, err := store.Collect(rows, err, scanOrigin)
	if err != nil {
		return nil, "", err
	}
	list, next := cut(list, limit, func(o TrustedOrigin) string { return o.ID })
	return nonNilList(list), next, nil
}

// UpdateOrigin changes a trusted origin of a tenant.
func (s *Service) UpdateOrigin(ctx context.Context, tx store.Tx, tenantID, id string, p OriginPatch) (TrustedOrigin, error) {
	o, err := s.Origin(ctx, tx, tenantID, id)
	if err != nil {
		return TrustedOrigin{}, err
	}
	set(&o.Name, p.Name)
	set(&o.Origin, p.Origin)
	set(&o.Purposes, p.Purposes)
	set(&o.AppIDs, p.AppIDs)
	if err := s.checkOrigin(ctx, tx, &o); err != nil {
		return TrustedOrigin{}, err
	}
	o.UpdatedAt = s.now()
	_, err = tx.Exec(ctx, `UPDATE trusted_origins SET name = ?, name_fold = ?, origin = ?, purposes = ?, app_ids = ?,
		updated_at = ? WHERE id = ?`, o.Name, fold(o.Name), o.Origin, store.JSONList(o.Purposes), store.JSONList(o.AppIDs), o.UpdatedAt, o.ID)
	if err != nil {
		return TrustedOrigin{}, nameConflict(err, "a trusted origin", o.Name)
	}
	return o, nil
}

// DeleteOrigin removes a trusted origin of a tenant.
func (s *Service) DeleteOrigin(ctx context.Context, tx store.Tx, tenantID, id string) error {
	n, err := tx.Exec(ctx, `DELETE FROM trusted_origins WHERE id = ? AND tenant_id = ?`, id, tenantID)
	if err == nil && n == 0 {
		return notFound("trusted origin", id)
	}
	return err
}

// OriginAllowed reports whether a page on origin (as a browser sends it in
// the Origin header) may use an app of the tenant for purpose ("cors" or
// "embed"). A malformed origin is never allowed.
func (s *Service) OriginAllowed(ctx context.Context, tx store.Tx, tenantID, appID, origin, purpose string) (bool, error) {
	return s.trusts(ctx, tx, tenantID, origin, purpose, func(o TrustedOrigin) bool {
		return len(o.AppIDs) == 0 || slices.Contains(o.AppIDs, appID)
	})
}

// OriginTrusted reports whether a page on origin may use some app of the
// tenant for purpose: the tenant-level check of what the widget's assets
// and message catalogs answer, before any app is known. The flow API
// still checks the app (OriginAllowed).
func (s *Service) OriginTrusted(ctx context.Context, tx store.Tx, tenantID, origin, purpose string) (bool, error) {
	return s.trusts(ctx, tx, tenantID, origin, purpose, func(TrustedOrigin) bool { return true })
}

// trusts reports whether one of the tenant's trusted origins equal to
// origin has purpose and satisfies also.
func (s *Service) trusts(ctx context.Context, tx store.Tx, tenantID, origin, purpose string, also func(TrustedOrigin) bool) (bool, error) {
	if purpose != PurposeCORS && purpose != PurposeEmbed {
		return false, invalid.Field("purpose", "must be %q or %q", PurposeCORS, PurposeEmbed)
	}
	norm, err := normalizeOrigin("origin", origin)
	if err != nil {
		return false, nil
	}
	rows, err := tx.Query(ctx, `SELECT `+originCols+` FROM trusted_origins WHERE tenant_id = ? AND origin = ?`, tenantID, norm)
	list, err := store.Collect(rows, err, scanOrigin)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(list, func(o TrustedOrigin) bool { return slices.Contains(o.Purposes, purpose) && also(o) }), nil
}

// TrustedOrigins lists the distinct origins trusted for purpose by any
// app of the tenant, sorted.
func (s *Service) TrustedOrigins(ctx context.Context, tx store.Tx, tenantID, purpose string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT `+originCols+` FROM trusted_origins WHERE tenant_id = ? ORDER BY origin, id`, tenantID)
	list, err := store.Collect(rows, err, scanOrigin)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range list {
		if slices.Contains(o.Purposes, purpose) && !slices.Contains(out, o.Origin) {
			out = append(out, o.Origin)
		}
	}
	return out, nil
}

// dropAppFromOrigins takes a deleted app off its tenant's trusted origins,
// deleting those that were restricted to it alone.
func (s *Service) dropAppFromOrigins(ctx context.Context, tx store.Tx, tenantID, appID string) error {
	rows, err := tx.Query(ctx, `SELECT `+originCols+` FROM trusted_origins WHERE tenant_id = ?`, tenantID)
	list, err := store.Collect(rows, err, scanOrigin)
	if err != nil {
		return err
	}
	for _, o := range list {
		i := slices.Index(o.AppIDs, appID)
		switch {
		case i < 0:
			continue
		case len(o.AppIDs) == 1:
			_, err = tx.Exec(ctx, `DELETE FROM trusted_origins WHERE id = ?`, o.ID)
		default:
			_, err = tx.Exec(ctx, `UPDATE trusted_origins SET app_ids = ?, updated_at = ? WHERE id = ?`,
				store.JSONList(slices.Delete(o.AppIDs, i, i+1)), s.now(), o.ID)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
