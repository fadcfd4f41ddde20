package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// OriginView is a trusted origin: a web origin allowed to embed the widget
// (embed) or call the flow API from a browser (cors).
type OriginView struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"tenant_id"`
	Name      string    `json:"name"`
	Origin    string    `json:"origin" doc:"scheme://host[:port]"`
	Purposes  []string  `json:"purposes" doc:"cors and/or embed"`
	AppIDs    []string  `json:"app_ids" doc:"Apps it applies to; empty means every app of the tenant"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func originView(o tenant.TrustedOrigin) OriginView {
	return OriginView{ID: o.ID, TenantID: o.TenantID, Name: o.Name, Origin: o.Origin, Purposes: nonNil(o.Purposes), AppIDs: nonNil(o.AppIDs), CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

// OriginPath names a trusted origin of a tenant.
type OriginPath struct {
	TenantPath
	Origin string `path:"origin" maxLength:"64"`
}

// originBody holds the writable fields of a trusted origin.
type originBody struct {
	Name     string   `json:"name" minLength:"1" maxLength:"100"`
	Origin   string   `json:"origin" minLength:"1" maxLength:"300"`
	Purposes []string `json:"purposes,omitempty" maxItems:"2" enum:"cors,embed" doc:"Default: both"`
	AppIDs   []string `json:"app_ids,omitempty" maxItems:"100"`
}

func (a *API) registerOrigins() {
	const tag = "Trusted origins"
	base := Prefix + "/tenants/{tenant}/trusted-origins"
	register(a, Route{ID: "list-trusted-origins", Method: http.MethodGet, Path: base, Scope: ScopeOriginsRead}, tag, "List trusted origins",
		func(ctx context.Context, in *struct {
			TenantPath
			Page
		}) (*Out[List[OriginView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]tenant.TrustedOrigin, string, error) {
				return a.Tenants.ListOrigins(ctx, tx, principal(ctx).Target.ID, tenant.Page{After: in.After, Limit: in.limit()})
			}, originView)
		})
	register(a, Route{ID: "create-trusted-origin", Method: http.MethodPost, Path: base, Scope: ScopeOriginsWrite, Status: http.StatusCreated}, tag, "Trust an origin",
		func(ctx context.Context, in *struct {
			TenantPath
			Body originBody
		}) (*Out[OriginView], error) {
			b := in.Body
			return changed(a, ctx, "trusted_origin.created", func(o tenant.TrustedOrigin) events.Ref { return events.Ref{Type: "trusted_origin", ID: o.ID} },
				func(ctx context.Context, tx store.Tx, _ *events.Event) (tenant.TrustedOrigin, error) {
					return a.Tenants.CreateOrigin(ctx, tx, principal(ctx).Target.ID, tenant.OriginInput{Name: b.Name, Origin: b.Origin, Purposes: b.Purposes, AppIDs: b.AppIDs})
				}, originView)
		})
	register(a, Route{ID: "get-trusted-origin", Method: http.MethodGet, Path: base + "/{origin}", Scope: ScopeOriginsRead}, tag, "Get a trusted origin",
		func(ctx context.Context, in *OriginPath) (*Out[OriginView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (tenant.TrustedOrigin, error) {
				return a.Tenants.Origin(ctx, tx, principal(ctx).Target.ID, in.Origin)
			}, originView)
		})
	register(a, Route{ID: "update-trusted-origin", Method: http.MethodPatch, Path: base + "/{origin}", Scope: ScopeOriginsWrite}, tag, "Change a trusted origin",
		func(ctx context.Context, in *struct {
			OriginPath
			Body struct {
				Name     *string   `json:"name,omitempty" minLength:"1" maxLength:"100"`
				Origin   *string   `json:"origin,omitempty" minLength:"1" maxLength:"300"`
				Purposes *[]string `json:"purposes,omitempty" minItems:"1" maxItems:"2" enum:"cors,embed"`
				AppIDs   *[]string `json:"app_ids,omitempty" maxItems:"100"`
			}
		}) (*Out[OriginView], error) {
			b := in.Body
			return changed(a, ctx, "trusted_origin.updated", ref[tenant.TrustedOrigin]("trusted_origin", in.Origin),
				func(ctx context.Context, tx store.Tx, _ *events.Event) (tenant.TrustedOrigin, error) {
					return a.Tenants.UpdateOrigin(ctx, tx, principal(ctx).Target.ID, in.Origin, tenant.OriginPatch{Name: b.Name, Origin: b.Origin, Purposes: b.Purposes, AppIDs: b.AppIDs})
				}, originView)
		})
	register(a, Route{ID: "delete-trusted-origin", Method: http.MethodDelete, Path: base + "/{origin}", Scope: ScopeOriginsWrite, Status: http.StatusNoContent}, tag, "Stop trusting an origin",
		func(ctx context.Context, in *OriginPath) (*struct{}, error) {
			return deleted(a, ctx, "trusted_origin.deleted", events.Ref{Type: "trusted_origin", ID: in.Origin}, func(ctx context.Context, tx store.Tx) error {
				return a.Tenants.DeleteOrigin(ctx, tx, principal(ctx).Target.ID, in.Origin)
			})
		})
}
