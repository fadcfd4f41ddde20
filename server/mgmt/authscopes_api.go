package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/store"
)

// AuthScopeView is a scope of an authorization server.
type AuthScopeView struct {
	ID          string    `json:"id"`
	ServerID    string    `json:"server_id"`
	Name        string    `json:"name" doc:"The scope value, e.g. orders.read"`
	Description string    `json:"description"`
	Kinds       []string  `json:"kinds" doc:"Grant kinds it may be granted in: delegated (by a person), machine (client credentials)"`
	Implies     []string  `json:"implies" doc:"Scopes granted with it (transitively)"`
	Consent     bool      `json:"consent" doc:"A person consents to it for third-party apps"`
	Default     bool      `json:"default" doc:"Granted when a request names no scope"`
	Clients     []string  `json:"clients" doc:"The only clients that may get it; empty for every client"`
	System      bool      `json:"system" doc:"A built-in OpenID Connect scope: it cannot be renamed or deleted"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func authScopeView(s authserver.Scope) AuthScopeView {
	return AuthScopeView{ID: s.ID, ServerID: s.ServerID, Name: s.Name, Description: s.Description,
		Kinds: nonNil(s.Kinds), Implies: nonNil(s.Implies), Consent: s.Consent, Default: s.Default,
		Clients: nonNil(s.Clients), System: s.System, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

// AuthScopePath names a scope of an authorization server by ID.
type AuthScopePath struct {
	ServerPath
	AuthScope string `path:"authscope" maxLength:"64" doc:"Scope ID"`
}

// authScopeBody holds the fields of a new scope.
type authScopeBody struct {
	Name        string   `json:"name" minLength:"1" maxLength:"128" doc:"An RFC 6749 scope token, matching the server's scope pattern"`
	Description string   `json:"description,omitempty" maxLength:"500"`
	Kinds       []string `json:"kinds" minItems:"1" maxItems:"2" enum:"delegated,machine"`
	Implies     []string `json:"implies,omitempty" maxItems:"100" doc:"Names of scopes of the server granted with it; no cycles"`
	Consent     bool     `json:"consent,omitempty"`
	Default     bool     `json:"default,omitempty"`
	Clients     []string `json:"clients,omitempty" maxItems:"100" doc:"The only client IDs that may get it; empty for every client"`
}

// authScopePatch holds the changeable fields of a scope.
type authScopePatch struct {
	Name        *string   `json:"name,omitempty" minLength:"1" maxLength:"128" doc:"Not of a system scope, nor of a scope that is implied or named by a rule or claim"`
	Description *string   `json:"description,omitempty" maxLength:"500"`
	Kinds       *[]string `json:"kinds,omitempty" minItems:"1" maxItems:"2" enum:"delegated,machine"`
	Implies     *[]string `json:"implies,omitempty" maxItems:"100" doc:"Replaces the whole list"`
	Consent     *bool     `json:"consent,omitempty"`
	Default     *bool     `json:"default,omitempty"`
	Clients     *[]string `json:"clients,omitempty" maxItems:"100" doc:"Replaces the whole list"`
}

func (a *API) registerAuthScopes() {
	if a.AuthServers == nil {
		return
	}
	const tag = "Authorization servers"
	base := Prefix + "/tenants/{tenant}/authorization-servers/{server}/scopes"
	register(a, Route{ID: "list-authorization-server-scopes", Method: http.MethodGet, Path: base, Scope: ScopeAuthServersRead}, tag,
		"List the scopes of an authorization server by name",
		func(ctx context.Context, in *ServerPath) (*Out[List[AuthScopeView]], error) {
			return serverListed(a, ctx, in.Server, func(ctx context.Context, tx store.Tx, srv authserver.Server) ([]authserver.Scope, error) {
				return a.AuthServers.Scopes(ctx, tx, srv.TenantID, srv.ID)
			}, authScopeView)
		})
	register(a, Route{ID: "create-authorization-server-scope", Method: http.MethodPost, Path: base, Scope: ScopeAuthServersWrite, Status: http.StatusCreated}, tag,
		"Create a scope; the server's worst-case token must still fit its size limit",
		func(ctx context.Context, in *struct {
			ServerPath
			Body authScopeBody
		}) (*Out[AuthScopeView], error) {
			b := in.Body
			return serverChanged(a, ctx, in.Server, "authserver.scope.created", authScopeRef,
				func(ctx context.Context, tx store.Tx, srv authserver.Server, _ *events.Event) (authserver.Scope, error) {
					return a.AuthServers.CreateScope(ctx, tx, srv.TenantID, srv.ID, authserver.ScopeInput{
						Name: b.Name, Description: b.Description, Kinds: b.Kinds, Implies: b.Implies,
						Consent: b.Consent, Default: b.Default, Clients: b.Clients,
					})
				}, authScopeView)
		})
	register(a, Route{ID: "get-authorization-server-scope", Method: http.MethodGet, Path: base + "/{authscope}", Scope: ScopeAuthServersRead}, tag,
		"Get a scope",
		func(ctx context.Context, in *AuthScopePath) (*Out[AuthScopeView], error) {
			return serverFetched(a, ctx, in.Server, func(ctx context.Context, tx store.Tx, srv authserver.Server) (authserver.Scope, error) {
				return a.AuthServers.Scope(ctx, tx, srv.TenantID, srv.ID, in.AuthScope)
			}, authScopeView)
		})
	register(a, Route{ID: "update-authorization-server-scope", Method: http.MethodPatch, Path: base + "/{authscope}", Scope: ScopeAuthServersWrite}, tag,
		"Change a scope; fields left out stay as they are. A change making an implication cycle is refused with its path",
		func(ctx context.Context, in *struct {
			AuthScopePath
			Body authScopePatch
		}) (*Out[AuthScopeView], error) {
			b := in.Body
			return serverChanged(a, ctx, in.Server, "authserver.scope.updated", authScopeRef,
				func(ctx context.Context, tx store.Tx, srv authserver.Server, _ *events.Event) (authserver.Scope, error) {
					return a.AuthServers.UpdateScope(ctx, tx, srv.TenantID, srv.ID, in.AuthScope, authserver.ScopePatch{
						Name: b.Name, Description: b.Description, Kinds: b.Kinds, Implies: b.Implies, Clients: b.Clients,
						Consent: b.Consent, Default: b.Default,
					})
				}, authScopeView)
		})
	register(a, Route{ID: "delete-authorization-server-scope", Method: http.MethodDelete, Path: base + "/{authscope}", Scope: ScopeAuthServersWrite, Status: http.StatusNoContent}, tag,
		"Delete a scope; system scopes, and scopes another scope implies or a rule or claim names, are refused",
		func(ctx context.Context, in *AuthScopePath) (*struct{}, error) {
			return serverDeleted(a, ctx, in.Server, "authserver.scope.deleted", events.Ref{Type: "authserver_scope", ID: in.AuthScope},
				func(ctx context.Context, tx store.Tx, srv authserver.Server) error {
					return a.AuthServers.DeleteScope(ctx, tx, srv.TenantID, srv.ID, in.AuthScope)
				})
		})
}

func authScopeRef(s authserver.Scope) events.Ref {
	return events.Ref{Type: "authserver_scope", ID: s.ID}
}
