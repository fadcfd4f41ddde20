package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// DomainView is a custom login domain. Its state changes only through
// verification by the edge, never through this API.
type DomainView struct {
	ID                string    `json:"id"`
	TenantID          string    `json:"tenant_id"`
	BrandID           string    `json:"brand_id"`
	Hostname          string    `json:"hostname"`
	State             string    `json:"state" enum:"pending,verified,active,failed" doc:"Read-only: set by ownership verification and certificate issuance"`
	LastError         string    `json:"last_error,omitempty"`
	VerificationToken string    `json:"verification_token" doc:"Publish it as a DNS TXT record (or HTTP token) to prove ownership"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

func domainView(d tenant.Domain) DomainView {
	return DomainView{ID: d.ID, TenantID: d.TenantID, BrandID: d.BrandID, Hostname: d.Hostname, State: string(d.State), LastError: d.LastError, VerificationToken: d.VerificationToken, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

// DomainPath names a custom domain of a tenant.
type DomainPath struct {
	TenantPath
	Domain string `path:"domain" maxLength:"64"`
}

func (a *API) registerDomains() {
	const tag = "Custom domains"
	base := Prefix + "/tenants/{tenant}/domains"
	register(a, Route{ID: "list-domains", Method: http.MethodGet, Path: base, Scope: ScopeDomainsRead}, tag, "List custom domains",
		func(ctx context.Context, in *struct {
			TenantPath
			Page
		}) (*Out[List[DomainView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]tenant.Domain, string, error) {
				return a.Tenants.ListDomains(ctx, tx, principal(ctx).Target.ID, tenant.Page{After: in.After, Limit: in.limit()})
			}, domainView)
		})
	register(a, Route{ID: "create-domain", Method: http.MethodPost, Path: base, Scope: ScopeDomainsWrite, Status: http.StatusCreated}, tag, "Add a custom domain (state pending until verified)",
		func(ctx context.Context, in *struct {
			TenantPath
			Body struct {
				Hostname string `json:"hostname" minLength:"1" maxLength:"253"`
				BrandID  string `json:"brand_id,omitempty" maxLength:"64"`
			}
		}) (*Out[DomainView], error) {
			return changed(a, ctx, "domain.created", func(d tenant.Domain) events.Ref { return events.Ref{Type: "domain", ID: d.ID} },
				func(ctx context.Context, tx store.Tx, _ *events.Event) (tenant.Domain, error) {
					return a.Tenants.CreateDomain(ctx, tx, principal(ctx).Target.ID, tenant.DomainInput{Hostname: in.Body.Hostname, BrandID: in.Body.BrandID})
				}, domainView)
		})
	register(a, Route{ID: "get-domain", Method: http.MethodGet, Path: base + "/{domain}", Scope: ScopeDomainsRead}, tag, "Get a custom domain",
		func(ctx context.Context, in *DomainPath) (*Out[DomainView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (tenant.Domain, error) {
				return a.Tenants.Domain(ctx, tx, principal(ctx).Target.ID, in.Domain)
			}, domainView)
		})
	register(a, Route{ID: "update-domain", Method: http.MethodPatch, Path: base + "/{domain}", Scope: ScopeDomainsWrite}, tag, "Bind a custom domain to another brand (its state is read-only)",
		func(ctx context.Context, in *struct {
			DomainPath
			Body struct {
				BrandID *string `json:"brand_id,omitempty" maxLength:"64"`
			}
		}) (*Out[DomainView], error) {
			return changed(a, ctx, "domain.updated", ref[tenant.Domain]("domain", in.Domain),
				func(ctx context.Context, tx store.Tx, _ *events.Event) (tenant.Domain, error) {
					return a.Tenants.UpdateDomain(ctx, tx, principal(ctx).Target.ID, in.Domain, tenant.DomainPatch{BrandID: in.Body.BrandID})
				}, domainView)
		})
	register(a, Route{ID: "delete-domain", Method: http.MethodDelete, Path: base + "/{domain}", Scope: ScopeDomainsWrite, Status: http.StatusNoContent}, tag, "Remove a custom domain",
		func(ctx context.Context, in *DomainPath) (*struct{}, error) {
			return deleted(a, ctx, "domain.deleted", events.Ref{Type: "domain", ID: in.Domain}, func(ctx context.Context, tx store.Tx) error {
				return a.Tenants.DeleteDomain(ctx, tx, principal(ctx).Target.ID, in.Domain)
			})
		})
}
