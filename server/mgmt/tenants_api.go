package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// TenantView is a tenant as the API shows it.
type TenantView struct {
	ID        string    `json:"id" doc:"Opaque tenant ID"`
	Slug      string    `json:"slug" doc:"DNS-label name, unique and immutable; the tenant also answers on {slug}.{public host}"`
	Name      string    `json:"name"`
	ParentID  string    `json:"parent_id,omitempty" doc:"Parent tenant for sub-tenants"`
	Depth     int       `json:"depth" doc:"1 for top-level tenants"`
	System    bool      `json:"system" doc:"True for the instance's own tenant"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func tenantView(t tenant.Tenant) TenantView {
	return TenantView{ID: t.ID, Slug: t.Slug, Name: t.Name, ParentID: t.ParentID, Depth: t.Depth, System: t.System, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

// DelegationView is a parent's right to administer a child tenant.
type DelegationView struct {
	ParentID   string    `json:"parent_id"`
	ChildID    string    `json:"child_id"`
	Transitive bool      `json:"transitive" doc:"Whether the parent also reaches the tenants this child administers"`
	CreatedAt  time.Time `json:"created_at"`
}

// TenantPath names the tenant a route acts on.
type TenantPath struct {
	Tenant string `path:"tenant" doc:"Tenant ID or slug" maxLength:"64"`
}

type tenantOut struct{ Body TenantView }

// NewTenantBody creates a tenant.
type NewTenantBody struct {
	Slug string `json:"slug" minLength:"1" maxLength:"63" doc:"DNS label: lowercase letters, digits and hyphens"`
	Name string `json:"name" minLength:"1" maxLength:"100"`
}

// NewChildBody creates a sub-tenant.
type NewChildBody struct {
	NewTenantBody
	Delegate *bool `json:"delegate,omitempty" doc:"Grant the parent a (non-transitive) delegation over the new tenant; default true"`
}

func (a *API) registerTenants() {
	const tag = "Tenants"
	base := Prefix + "/tenants"
	register(a, Route{ID: "list-tenants", Method: http.MethodGet, Path: base, Scope: ScopeTenantsRead, Target: TargetInstance}, tag, "List top-level tenants",
		func(ctx context.Context, in *struct{ Page }) (*Out[List[TenantView]], error) {
			return a.listTenants(ctx, tenant.TenantFilter{TopLevel: true, After: in.After, Limit: in.limit()})
		})
	register(a, Route{ID: "create-tenant", Method: http.MethodPost, Path: base, Scope: ScopeTenantsWrite, Target: TargetInstance, Status: http.StatusCreated}, tag, "Create a top-level tenant",
		func(ctx context.Context, in *struct{ Body NewTenantBody }) (*tenantOut, error) {
			return a.createTenant(ctx, tenant.TenantInput{Slug: in.Body.Slug, Name: in.Body.Name})
		})
	register(a, Route{ID: "get-tenant", Method: http.MethodGet, Path: base + "/{tenant}", Scope: ScopeTenantsRead}, tag, "Get a tenant",
		func(ctx context.Context, in *TenantPath) (*tenantOut, error) {
			return &tenantOut{Body: tenantView(principal(ctx).Target)}, nil
		})
	register(a, Route{ID: "update-tenant", Method: http.MethodPatch, Path: base + "/{tenant}", Scope: ScopeTenantsWrite}, tag, "Rename a tenant",
		func(ctx context.Context, in *struct {
			TenantPath
			Body struct {
				Name *string `json:"name,omitempty" minLength:"1" maxLength:"100"`
			}
		}) (*tenantOut, error) {
			var out tenant.Tenant
			err := a.change(ctx, "tenant.updated", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				var err error
				out, err = a.Tenants.UpdateTenant(ctx, tx, principal(ctx).Target.ID, tenant.TenantPatch{Name: in.Body.Name})
				ev.Target = events.Ref{Type: "tenant", ID: out.ID}
				return err
			})
			return &tenantOut{Body: tenantView(out)}, err
		})
	register(a, Route{ID: "delete-tenant", Method: http.MethodDelete, Path: base + "/{tenant}", Scope: ScopeTenantsWrite, Status: http.StatusNoContent}, tag, "Delete a tenant without sub-tenants, with its apps, brands and domains",
		func(ctx context.Context, in *TenantPath) (*struct{}, error) {
			t := principal(ctx).Target
			err := a.change(ctx, "tenant.deleted", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				ev.Target = events.Ref{Type: "tenant", ID: t.ID}
				if err := a.Tenants.DeleteTenant(ctx, tx, t.ID); err != nil {
					return err
				}
				if a.Policies != nil {
					if err := a.Policies.ForgetTenant(ctx, tx, t.ID); err != nil {
						return err
					}
				}
				if a.Terms != nil {
					// Its documents and every acceptance of them.
					if err := a.Terms.ForgetTenant(ctx, tx, t.ID); err != nil {
						return err
					}
				}
				// The tenant's tokens die with it.
				n, err := a.Tokens.RevokeTenant(ctx, tx, t.ID)
				ev.Details = map[string]any{"tokens_revoked": n}
				return err
			})
			return &struct{}{}, err
		})
	register(a, Route{ID: "list-child-tenants", Method: http.MethodGet, Path: base + "/{tenant}/children", Scope: ScopeTenantsRead}, tag, "List a tenant's sub-tenants",
		func(ctx context.Context, in *struct {
			TenantPath
			Page
		}) (*Out[List[TenantView]], error) {
			return a.listTenants(ctx, tenant.TenantFilter{ParentID: principal(ctx).Target.ID, After: in.After, Limit: in.limit()})
		})
	register(a, Route{ID: "create-child-tenant", Method: http.MethodPost, Path: base + "/{tenant}/children", Scope: ScopeTenantsWrite, Status: http.StatusCreated}, tag, "Create a sub-tenant",
		func(ctx context.Context, in *struct {
			TenantPath
			Body NewChildBody
		}) (*tenantOut, error) {
			delegate := in.Body.Delegate == nil || *in.Body.Delegate
			return a.createTenant(ctx, tenant.TenantInput{Slug: in.Body.Slug, Name: in.Body.Name, ParentID: principal(ctx).Target.ID, Delegate: delegate})
		})
	register(a, Route{ID: "get-delegation", Method: http.MethodGet, Path: base + "/{tenant}/delegation", Scope: ScopeTenantsRead}, tag, "Get the parent's delegation over this tenant",
		func(ctx context.Context, in *TenantPath) (*struct{ Body DelegationView }, error) {
			t := principal(ctx).Target
			var d tenant.Delegation
			err := a.read(ctx, func(ctx context.Context, tx store.Tx) error {
				var err error
				d, err = a.Tenants.Delegation(ctx, tx, t.ParentID, t.ID)
				return err
			})
			return &struct{ Body DelegationView }{delegationView(d)}, err
		})
	register(a, Route{ID: "grant-delegation", Method: http.MethodPut, Path: base + "/{tenant}/delegation", Scope: ScopeTenantsWrite, Direct: true}, tag, "Let the parent tenant's admins administer this tenant",
		func(ctx context.Context, in *struct {
			TenantPath
			Body struct {
				Transitive bool `json:"transitive" doc:"Also let the parent reach the tenants this one administers"`
			}
		}) (*struct{ Body DelegationView }, error) {
			t := principal(ctx).Target
			var d tenant.Delegation
			err := a.change(ctx, "tenant.delegation.granted", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				ev.Target = events.Ref{Type: "tenant", ID: t.ID}
				ev.Details = map[string]any{"parent_id": t.ParentID, "transitive": in.Body.Transitive}
				var err error
				d, err = a.Tenants.Grant(ctx, tx, t.ParentID, t.ID, in.Body.Transitive)
				return err
			})
			return &struct{ Body DelegationView }{delegationView(d)}, err
		})
	register(a, Route{ID: "revoke-delegation", Method: http.MethodDelete, Path: base + "/{tenant}/delegation", Scope: ScopeTenantsWrite, Direct: true, Status: http.StatusNoContent}, tag, "Revoke the parent's delegation; takes effect on the next request",
		func(ctx context.Context, in *TenantPath) (*struct{}, error) {
			t := principal(ctx).Target
			err := a.change(ctx, "tenant.delegation.revoked", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				ev.Target = events.Ref{Type: "tenant", ID: t.ID}
				ev.Details = map[string]any{"parent_id": t.ParentID}
				return a.Tenants.Revoke(ctx, tx, t.ParentID, t.ID)
			})
			return &struct{}{}, err
		})
}

func delegationView(d tenant.Delegation) DelegationView {
	return DelegationView{ParentID: d.ParentID, ChildID: d.ChildID, Transitive: d.Transitive, CreatedAt: d.CreatedAt}
}

func (a *API) listTenants(ctx context.Context, f tenant.TenantFilter) (*Out[List[TenantView]], error) {
	return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]tenant.Tenant, string, error) {
		return a.Tenants.ListTenants(ctx, tx, f)
	}, tenantView)
}

func (a *API) createTenant(ctx context.Context, in tenant.TenantInput) (*tenantOut, error) {
	var t tenant.Tenant
	err := a.change(ctx, "tenant.created", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
		var err error
		if t, err = a.Tenants.CreateTenant(ctx, tx, in); err != nil {
			return err
		}
		ev.Target = events.Ref{Type: "tenant", ID: t.ID}
		ev.Details = map[string]any{"parent_id": t.ParentID, "delegate": in.Delegate}
		return nil
	})
	return &tenantOut{Body: tenantView(t)}, err
}
