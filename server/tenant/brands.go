package tenant

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// Brand is a tenant's look for a set of custom domains: the level of the
// branding cascade between tenant and app. Its design tokens, logos and
// texts live with the branding packages; this is the record they hang on.
type Brand struct {
	ID, TenantID, Name   string
	CreatedAt, UpdatedAt time.Time
}

// BrandInput describes a new brand.
type BrandInput struct {
	Name string
}

// BrandPatch changes a brand; nil fields stay as they are.
type BrandPatch struct {
	Name *string
}

const brandCols = `id, tenant_id, name, created_at, updated_at`

func scanBrand(r scanner) (Brand, error) {
	var b Brand
	err := r.Scan(&b.ID, &b.TenantID, &b.Name, &b.CreatedAt, &b.UpdatedAt)
	return b, err
}

// CreateBrand adds a brand to a tenant.
func (s *Service) CreateBrand(ctx context.Context, tx store.Tx, tenantID string, in BrandInput) (Brand, error) {
	t, err := s.Tenant(ctx, tx, tenantID)
	if err != nil {
		return Brand{}, err
	}
	name, err := checkName("name", in.Name)
	if err != nil {
		return Brand{}, err
	}
	if err := s.uniqueName(ctx, tx, "brands", t.ID, "", name, "a brand"); err != nil {
		return Brand{}, err
	}
	now := s.now()
	b := Brand{ID: ident.New("brand", now), TenantID: t.ID, Name: name, CreatedAt: now, UpdatedAt: now}
	_, err = tx.Exec(ctx, `INSERT INTO brands (`+brandCols+`, name_fold) VALUES (?, ?, ?, ?, ?, ?)`,
		b.ID, b.TenantID, b.Name, b.CreatedAt, b.UpdatedAt, fold(b.Name))
	if err != nil {
		return Brand{}, nameConflict(err, "a brand", b.Name)
	}
	return b, nil
}

// Brand returns a brand of a tenant.
func (s *Service) Brand(ctx context.Context, tx store.Tx, tenantID, id string) (Brand, error) {
	b, err := scanBrand(tx.QueryRow(ctx, `SELECT `+brandCols+` FROM brands WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if errors.Is(err, store.ErrNotFound) {
		return Brand{}, notFound("brand", id)
	}
	return b, err
}

// ListBrands lists a tenant's brands in ID (creation) order, one page at a
// time, and returns the cursor of the next page.
func (s *Service) ListBrands(ctx context.Context, tx store.Tx, tenantID string, p Page) ([]Brand, string, error) {
	limit, err := p.check()
	if err != nil {
		return nil, "", err
	}
	rows, err := tx.Query(ctx, `SELECT `+brandCols+` FROM brands WHERE tenant_id = ? AND id > ?
		ORDER BY id LIMIT ?`, tenantID, p.After, limit+1)
	list, err := store.Collect(rows, err, scanBrand)
	if err != nil {
		return nil, "", err
	}
	list, next := cut(list, limit, func(b Brand) string { return b.ID })
	return nonNilList(list), next, nil
}

// UpdateBrand changes a brand of a tenant.
func (s *Service) UpdateBrand(ctx context.Context, tx store.Tx, tenantID, id string, p BrandPatch) (Brand, error) {
	b, err := s.Brand(ctx, tx, tenantID, id)
	if err != nil {
		return Brand{}, err
	}
	if p.Name != nil {
		if b.Name, err = checkName("name", *p.Name); err != nil {
			return Brand{}, err
		}
		if err := s.uniqueName(ctx, tx, "brands", b.TenantID, b.ID, b.Name, "a brand"); err != nil {
			return Brand{}, err
		}
	}
	b.UpdatedAt = s.now()
	_, err = tx.Exec(ctx, `UPDATE brands SET name = ?, name_fold = ?, updated_at = ? WHERE id = ?`,
		b.Name, fold(b.Name), b.UpdatedAt, b.ID)
	if err != nil {
		return Brand{}, nameConflict(err, "a brand", b.Name)
	}
	return b, nil
}

// DeleteBrand removes a brand of a tenant. It is refused (ErrInUse) while
// a domain uses the brand.
func (s *Service) DeleteBrand(ctx context.Context, tx store.Tx, tenantID, id string) error {
	b, err := s.Brand(ctx, tx, tenantID, id)
	if err != nil {
		return err
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM domains WHERE brand_id = ?`, b.ID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%w: %w", ErrInUse, invalid.Field("id", "the brand is used by %d domains: move them to another brand first", n))
	}
	_, err = tx.Exec(ctx, `DELETE FROM brands WHERE id = ?`, b.ID)
	return err
}
