package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/store"
)

// AuthClaimView is a custom claim of an authorization server's tokens.
type AuthClaimView struct {
	ID               string    `json:"id"`
	ServerID         string    `json:"server_id"`
	Name             string    `json:"name"`
	Target           string    `json:"target" enum:"access,id" doc:"The token that carries it: access or ID token"`
	Expression       string    `json:"expression" doc:"A CEL expression over user, app, groups and request"`
	Scopes           []string  `json:"scopes" doc:"Included only when one of these is granted; empty for always"`
	MaxBytes         int       `json:"max_bytes" doc:"The largest JSON encoding of the value: declared, or derived from the expression"`
	OverrideEditable bool      `json:"override_editable" doc:"The expression may read what people edit themselves"`
	Active           bool      `json:"active"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

func authClaimView(c authserver.Claim) AuthClaimView {
	return AuthClaimView{ID: c.ID, ServerID: c.ServerID, Name: c.Name, Target: c.Target, Expression: c.Expression,
		Scopes: nonNil(c.Scopes), MaxBytes: c.MaxBytes, OverrideEditable: c.OverrideEditable, Active: c.Active,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

// ClaimPath names a claim of an authorization server by ID.
type ClaimPath struct {
	ServerPath
	Claim string `path:"claim" maxLength:"64" doc:"Claim ID"`
}

// authClaimBody holds every settable field of a claim: for creating one,
// and for changing one, which replaces them all (a size left at 0 is
// derived again from the new expression).
type authClaimBody struct {
	Name             string   `json:"name" minLength:"1" maxLength:"64" doc:"A-Z a-z 0-9 _ . : -; not a registered or protocol claim; unique per target"`
	Target           string   `json:"target" enum:"access,id"`
	Expression       string   `json:"expression" minLength:"1" doc:"CEL over user (id, login, email, name, status, profile), app (id, name, type, tags), groups and request (grant_type, scopes, ip); null leaves the claim out"`
	Scopes           []string `json:"scopes,omitempty" maxItems:"50" doc:"Scopes of the server one of which must be granted; empty for always"`
	MaxBytes         int      `json:"max_bytes,omitempty" minimum:"0" doc:"The largest JSON encoding of the value; 0 derives it from the expression"`
	OverrideEditable bool     `json:"override_editable,omitempty" doc:"Explicitly allow the expression to read what people edit themselves (email, name, editable attributes)"`
	Active           *bool    `json:"active,omitempty" doc:"Inactive claims are kept but not issued; true when left out"`
}

func (b authClaimBody) input() authserver.ClaimInput {
	return authserver.ClaimInput{Name: b.Name, Target: b.Target, Expression: b.Expression, Scopes: b.Scopes,
		MaxBytes: b.MaxBytes, OverrideEditable: b.OverrideEditable, Inactive: b.Active != nil && !*b.Active}
}

func (a *API) registerAuthClaims() {
	if a.AuthServers == nil {
		return
	}
	const tag = "Authorization servers"
	base := Prefix + "/tenants/{tenant}/authorization-servers/{server}/claims"
	register(a, Route{ID: "list-authorization-server-claims", Method: http.MethodGet, Path: base, Scope: ScopeAuthServersRead}, tag,
		"List the custom claims of an authorization server, by target then name",
		func(ctx context.Context, in *ServerPath) (*Out[List[AuthClaimView]], error) {
			return serverListed(a, ctx, in.Server, func(ctx context.Context, tx store.Tx, srv authserver.Server) ([]authserver.Claim, error) {
				return a.AuthServers.Claims(ctx, tx, srv.TenantID, srv.ID)
			}, authClaimView)
		})
	register(a, Route{ID: "create-authorization-server-claim", Method: http.MethodPost, Path: base, Scope: ScopeAuthServersWrite, Status: http.StatusCreated}, tag,
		"Create a custom claim; its size must be bounded and fit the server's token size limit",
		func(ctx context.Context, in *struct {
			ServerPath
			Body authClaimBody
		}) (*Out[AuthClaimView], error) {
			return serverChanged(a, ctx, in.Server, "authserver.claim.created", authClaimRef,
				func(ctx context.Context, tx store.Tx, srv authserver.Server, ev *events.Event) (authserver.Claim, error) {
					ev.Details["override_editable"] = in.Body.OverrideEditable
					return a.AuthServers.CreateClaim(ctx, tx, srv.TenantID, srv.ID, in.Body.input())
				}, authClaimView)
		})
	register(a, Route{ID: "get-authorization-server-claim", Method: http.MethodGet, Path: base + "/{claim}", Scope: ScopeAuthServersRead}, tag,
		"Get a custom claim",
		func(ctx context.Context, in *ClaimPath) (*Out[AuthClaimView], error) {
			return serverFetched(a, ctx, in.Server, func(ctx context.Context, tx store.Tx, srv authserver.Server) (authserver.Claim, error) {
				return a.AuthServers.Claim(ctx, tx, srv.TenantID, srv.ID, in.Claim)
			}, authClaimView)
		})
	register(a, Route{ID: "update-authorization-server-claim", Method: http.MethodPatch, Path: base + "/{claim}", Scope: ScopeAuthServersWrite}, tag,
		"Replace a custom claim: send every field, as when creating it; a max_bytes of 0 is derived again",
		func(ctx context.Context, in *struct {
			ClaimPath
			Body authClaimBody
		}) (*Out[AuthClaimView], error) {
			return serverChanged(a, ctx, in.Server, "authserver.claim.updated", authClaimRef,
				func(ctx context.Context, tx store.Tx, srv authserver.Server, ev *events.Event) (authserver.Claim, error) {
					ev.Details["override_editable"] = in.Body.OverrideEditable
					return a.AuthServers.UpdateClaim(ctx, tx, srv.TenantID, srv.ID, in.Claim, in.Body.input())
				}, authClaimView)
		})
	register(a, Route{ID: "delete-authorization-server-claim", Method: http.MethodDelete, Path: base + "/{claim}", Scope: ScopeAuthServersWrite, Status: http.StatusNoContent}, tag,
		"Delete a custom claim",
		func(ctx context.Context, in *ClaimPath) (*struct{}, error) {
			return serverDeleted(a, ctx, in.Server, "authserver.claim.deleted", events.Ref{Type: "authserver_claim", ID: in.Claim},
				func(ctx context.Context, tx store.Tx, srv authserver.Server) error {
					return a.AuthServers.DeleteClaim(ctx, tx, srv.TenantID, srv.ID, in.Claim)
				})
		})
}

func authClaimRef(c authserver.Claim) events.Ref {
	return events.Ref{Type: "authserver_claim", ID: c.ID}
}
