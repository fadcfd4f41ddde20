package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// BrandView is a brand: the look and texts bound to custom domains.
type BrandView struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"tenant_id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func brandView(b tenant.Brand) BrandView {
	return BrandView{ID: b.ID, TenantID: b.TenantID, Name: b.Name, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}
}

// BrandPath names a brand of a tenant.
type BrandPath struct {
	TenantPath
	Brand string `path:"brand" maxLength:"64"`
}

func (a *API) registerBrands() {
	const tag = "Brands"
	base := Prefix + "/tenants/{tenant}/brands"
	register(a, Route{ID: "list-brands", Method: http.MethodGet, Path: base, Scope: ScopeBrandsRead}, tag, "List brands",
		func(ctx context.Context, in *struct {
			TenantPath
			Page
		}) (*Out[List[BrandView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]tenant.Brand, string, error) {
				return a.Tenants.ListBrands(ctx, tx, principal(ctx).Target.ID, tenant.Page{After: in.After, Limit: in.limit()})
			}, brandView)
		})
	register(a, Route{ID: "create-brand", Method: http.MethodPost, Path: base, Scope: ScopeBrandsWrite, Status: http.StatusCreated}, tag, "Create a brand",
		func(ctx context.Context, in *struct {
			TenantPath
			Body struct {
				Name string `json:"name" minLength:"1" maxLength:"100"`
			}
		}) (*Out[BrandView], error) {
			return changed(a, ctx, "brand.created", func(b tenant.Brand) events.Ref { return events.Ref{Type: "brand", ID: b.ID} },
				func(ctx context.Context, tx store.Tx, _ *events.Event) (tenant.Brand, error) {
					return a.Tenants.CreateBrand(ctx, tx, principal(ctx).Target.ID, tenant.BrandInput{Name: in.Body.Name})
				}, brandView)
		})
	register(a, Route{ID: "get-brand", Method: http.MethodGet, Path: base + "/{brand}", Scope: ScopeBrandsRead}, tag, "Get a brand",
		func(ctx context.Context, in *BrandPath) (*Out[BrandView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (tenant.Brand, error) {
				return a.Tenants.Brand(ctx, tx, principal(ctx).Target.ID, in.Brand)
			}, brandView)
		})
	register(a, Route{ID: "update-brand", Method: http.MethodPatch, Path: base + "/{brand}", Scope: ScopeBrandsWrite}, tag, "Rename a brand",
		func(ctx context.Context, in *struct {
			BrandPath
			Body struct {
				Name *string `json:"name,omitempty" minLength:"1" maxLength:"100"`
			}
		}) (*Out[BrandView], error) {
			return changed(a, ctx, "brand.updated", ref[tenant.Brand]("brand", in.Brand),
				func(ctx context.Context, tx store.Tx, _ *events.Event) (tenant.Brand, error) {
					return a.Tenants.UpdateBrand(ctx, tx, principal(ctx).Target.ID, in.Brand, tenant.BrandPatch{Name: in.Body.Name})
				}, brandView)
		})
	register(a, Route{ID: "delete-brand", Method: http.MethodDelete, Path: base + "/{brand}", Scope: ScopeBrandsWrite, Status: http.StatusNoContent}, tag, "Delete a brand no domain uses",
		func(ctx context.Context, in *BrandPath) (*struct{}, error) {
			return deleted(a, ctx, "brand.deleted", events.Ref{Type: "brand", ID: in.Brand}, func(ctx context.Context, tx store.Tx) error {
				return a.Tenants.DeleteBrand(ctx, tx, principal(ctx).Target.ID, in.Brand)
			})
		})
}
