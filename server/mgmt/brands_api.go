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

type brandOut struct{ Body BrandView }

type brandBody struct {
	Name string `json:"name" minLength:"1" maxLength:"100"`
}

func (a *API) registerBrands() {
	const tag = "Brands"
	base := Prefix + "/tenants/{tenant}/brands"
	register(a, Route{ID: "list-brands", Method: http.MethodGet, Path: base, Scope: ScopeBrandsRead}, tag, "List brands",
		func(ctx context.Context, in *struct {
			TenantPath
			Page
		}) (*struct{ Body List[BrandView] }, error) {
			out := &struct{ Body List[BrandView] }{}
			out.Body.Items = []BrandView{}
			err := a.read(ctx, func(ctx context.Context, tx store.Tx) error {
				bs, next, err := a.Tenants.ListBrands(ctx, tx, principal(ctx).Target.ID, tenant.Page{After: in.After, Limit: in.limit()})
				for _, b := range bs {
					out.Body.Items = append(out.Body.Items, brandView(b))
				}
				out.Body.Next = next
				return err
			})
			return out, err
		})
	register(a, Route{ID: "create-brand", Method: http.MethodPost, Path: base, Scope: ScopeBrandsWrite, Status: http.StatusCreated}, tag, "Create a brand",
		func(ctx context.Context, in *struct {
			TenantPath
			Body brandBody
		}) (*brandOut, error) {
			var b tenant.Brand
			err := a.change(ctx, "brand.created", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				var err error
				b, err = a.Tenants.CreateBrand(ctx, tx, principal(ctx).Target.ID, tenant.BrandInput{Name: in.Body.Name})
				ev.Target = events.Ref{Type: "brand", ID: b.ID}
				return err
			})
			return &brandOut{Body: brandView(b)}, err
		})
	register(a, Route{ID: "get-brand", Method: http.MethodGet, Path: base + "/{brand}", Scope: ScopeBrandsRead}, tag, "Get a brand",
		func(ctx context.Context, in *BrandPath) (*brandOut, error) {
			var b tenant.Brand
			err := a.read(ctx, func(ctx context.Context, tx store.Tx) error {
				var err error
				b, err = a.Tenants.Brand(ctx, tx, principal(ctx).Target.ID, in.Brand)
				return err
			})
			return &brandOut{Body: brandView(b)}, err
		})
	register(a, Route{ID: "update-brand", Method: http.MethodPatch, Path: base + "/{brand}", Scope: ScopeBrandsWrite}, tag, "Rename a brand",
		func(ctx context.Context, in *struct {
			BrandPath
			Body struct {
				Name *string `json:"name,omitempty" minLength:"1" maxLength:"100"`
			}
		}) (*brandOut, error) {
			var b tenant.Brand
			err := a.change(ctx, "brand.updated", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				ev.Target = events.Ref{Type: "brand", ID: in.Brand}
				var err error
				b, err = a.Tenants.UpdateBrand(ctx, tx, principal(ctx).Target.ID, in.Brand, tenant.BrandPatch{Name: in.Body.Name})
				return err
			})
			return &brandOut{Body: brandView(b)}, err
		})
	register(a, Route{ID: "delete-brand", Method: http.MethodDelete, Path: base + "/{brand}", Scope: ScopeBrandsWrite, Status: http.StatusNoContent}, tag, "Delete a brand no domain uses",
		func(ctx context.Context, in *BrandPath) (*struct{}, error) {
			err := a.change(ctx, "brand.deleted", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				ev.Target = events.Ref{Type: "brand", ID: in.Brand}
				return a.Tenants.DeleteBrand(ctx, tx, principal(ctx).Target.ID, in.Brand)
			})
			return &struct{}{}, err
		})
}
