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

type originOut struct{ Body OriginView }

func (a *API) registerOrigins() {
	const tag = "Trusted origins"
	base := Prefix + "/tenants/{tenant}/trusted-origins"
	register(a, Route{ID: "list-trusted-origins", Method: http.MethodGet, Path: base, Scope: ScopeOriginsRead}, tag, "List trusted origins",
		func(ctx context.Context, in *struct {
			TenantPath
			Page
		}) (*struct{ Body List[OriginView] }, error) {
			out := &struct{ Body List[OriginView] }{}
			out.Body.Items = []OriginView{}
			err := a.read(ctx, func(ctx context.Context, tx store.Tx) error {
				os, next, err := a.Tenants.ListOrigins(ctx, tx, principal(ctx).Target.ID, tenant.Page{After: in.After, Limit: in.limit()})
				for _, o := range os {
					out.Body.Items = append(out.Body.Items, originView(o))
				}
				out.Body.Next = next
				return err
			})
			return out, err
		})
	register(a, Route{ID: "create-trusted-origin", Method: http.MethodPost, Path: base, Scope: ScopeOriginsWrite, Status: http.StatusCreated}, tag, "Trust an origin",
		func(ctx context.Context, in *struct {
			TenantPath
			Body struct {
				Name     string   `json:"name" minLength:"1" maxLength:"100"`
				Origin   string   `json:"origin" minLength:"1" maxLength:"300"`
				Purposes []string `json:"purposes" minItems:"1" maxItems:"2" enum:"cors,embed"`
				AppIDs   []string `json:"app_ids,omitempty" maxItems:"100"`
			}
		}) (*originOut, error) {
			var o tenant.TrustedOrigin
			err := a.change(ctx, "trusted_origin.created", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				var err error
				o, err = a.Tenants.CreateOrigin(ctx, tx, principal(ctx).Target.ID, tenant.OriginInput{Name: in.Body.Name, Origin: in.Body.Origin, Purposes: in.Body.Purposes, AppIDs: in.Body.AppIDs})
				ev.Target = events.Ref{Type: "trusted_origin", ID: o.ID}
				return err
			})
			return &originOut{Body: originView(o)}, err
		})
	register(a, Route{ID: "get-trusted-origin", Method: http.MethodGet, Path: base + "/{origin}", Scope: ScopeOriginsRead}, tag, "Get a trusted origin",
		func(ctx context.Context, in *OriginPath) (*originOut, error) {
			var o tenant.TrustedOrigin
			err := a.read(ctx, func(ctx context.Context, tx store.Tx) error {
				var err error
				o, err = a.Tenants.Origin(ctx, tx, principal(ctx).Target.ID, in.Origin)
				return err
			})
			return &originOut{Body: originView(o)}, err
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
		}) (*originOut, error) {
			var o tenant.TrustedOrigin
			err := a.change(ctx, "trusted_origin.updated", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				ev.Target = events.Ref{Type: "trusted_origin", ID: in.Origin}
				var err error
				o, err = a.Tenants.UpdateOrigin(ctx, tx, principal(ctx).Target.ID, in.Origin, tenant.OriginPatch{Name: in.Body.Name, Origin: in.Body.Origin, Purposes: in.Body.Purposes, AppIDs: in.Body.AppIDs})
				return err
			})
			return &originOut{Body: originView(o)}, err
		})
	register(a, Route{ID: "delete-trusted-origin", Method: http.MethodDelete, Path: base + "/{origin}", Scope: ScopeOriginsWrite, Status: http.StatusNoContent}, tag, "Stop trusting an origin",
		func(ctx context.Context, in *OriginPath) (*struct{}, error) {
			err := a.change(ctx, "trusted_origin.deleted", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				ev.Target = events.Ref{Type: "trusted_origin", ID: in.Origin}
				return a.Tenants.DeleteOrigin(ctx, tx, principal(ctx).Target.ID, in.Origin)
			})
			return &struct{}{}, err
		})
}
