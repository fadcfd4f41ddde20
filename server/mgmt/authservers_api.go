package mgmt

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/store"
)

// AuthServerView is an authorization server of a tenant. Its name is the
// issuer's path segment (/oauth2/{name}) and names it in this API.
type AuthServerView struct {
	ID            string    `json:"id"`
	TenantID      string    `json:"tenant_id"`
	Name          string    `json:"name" doc:"The issuer's path segment (/oauth2/{name}); it never changes"`
	Description   string    `json:"description"`
	Audiences     []string  `json:"audiences" doc:"The aud values of its access tokens; empty means the issuer URL"`
	IssuerMode    string    `json:"issuer_mode" enum:"dynamic,fixed"`
	IssuerHost    string    `json:"issuer_host" doc:"The host of a fixed issuer; empty for dynamic"`
	ScopePattern  string    `json:"scope_pattern" doc:"A regular expression (RE2, anchored) every non-system scope name must match; empty for none"`
	MaxTokenBytes int       `json:"max_token_bytes" doc:"The most bytes one token's JSON claims may take"`
	Active        bool      `json:"active" doc:"Inactive servers answer 404"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func authServerView(s authserver.Server) AuthServerView {
	return AuthServerView{ID: s.ID, TenantID: s.TenantID, Name: s.Name, Description: s.Description,
		Audiences: nonNil(s.Audiences), IssuerMode: string(s.IssuerMode), IssuerHost: s.IssuerHost,
		ScopePattern: s.ScopePattern, MaxTokenBytes: s.MaxTokenBytes, Active: s.Active,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

// authServerBody holds the fields of a new authorization server.
type authServerBody struct {
	Name          string   `json:"name" minLength:"1" maxLength:"63" doc:"A DNS label, unique in the tenant; not default or v1"`
	Description   string   `json:"description,omitempty" maxLength:"500"`
	Audiences     []string `json:"audiences,omitempty" maxItems:"10" doc:"The aud values of its access tokens; empty means the issuer URL"`
	IssuerMode    string   `json:"issuer_mode,omitempty" enum:"dynamic,fixed" doc:"dynamic (the default): every domain of the tenant; fixed: issuer_host only"`
	IssuerHost    string   `json:"issuer_host,omitempty" maxLength:"253" doc:"The public host or a custom domain of the tenant, for a fixed issuer"`
	ScopePattern  string   `json:"scope_pattern,omitempty" maxLength:"200" doc:"A regular expression (RE2, anchored) every scope name must match, e.g. orders\\.[a-z]+"`
	MaxTokenBytes int      `json:"max_token_bytes,omitempty" doc:"1024–65536, or 0 for the default (4096)"`
	Active        *bool    `json:"active,omitempty" doc:"false makes the server answer 404; true when left out"`
}

// authServerPatch holds the changeable fields of a server: all but its
// name, which resource servers pin in the issuer.
type authServerPatch struct {
	Description   *string   `json:"description,omitempty" maxLength:"500"`
	Audiences     *[]string `json:"audiences,omitempty" maxItems:"10" doc:"Replaces the whole list"`
	IssuerMode    *string   `json:"issuer_mode,omitempty" enum:"dynamic,fixed"`
	IssuerHost    *string   `json:"issuer_host,omitempty" maxLength:"253"`
	ScopePattern  *string   `json:"scope_pattern,omitempty" maxLength:"200" doc:"Must match every non-system scope of the server"`
	MaxTokenBytes *int      `json:"max_token_bytes,omitempty" doc:"Must hold the server's worst-case token"`
	Active        *bool     `json:"active,omitempty" doc:"The default server cannot be deactivated"`
}

// fields names the fields a patch sets, for the system log.
func (b authServerPatch) fields() []string {
	f := []string{}
	for _, x := range []struct {
		set  bool
		name string
	}{{b.Description != nil, "description"}, {b.Audiences != nil, "audiences"}, {b.IssuerMode != nil, "issuer_mode"},
		{b.IssuerHost != nil, "issuer_host"}, {b.ScopePattern != nil, "scope_pattern"},
		{b.MaxTokenBytes != nil, "max_token_bytes"}, {b.Active != nil, "active"}} {
		if x.set {
			f = append(f, x.name)
		}
	}
	return f
}

// registerAuthServers serves the tenant's authorization servers, named by
// name in paths: "default" is made on first use, like the provider does.
func (a *API) registerAuthServers() {
	if a.AuthServers == nil {
		return
	}
	const tag = "Authorization servers"
	base := Prefix + "/tenants/{tenant}/authorization-servers"
	register(a, Route{ID: "list-authorization-servers", Method: http.MethodGet, Path: base, Scope: ScopeAuthServersRead}, tag,
		"List authorization servers by name; the default server is always listed",
		func(ctx context.Context, in *TenantPath) (*Out[List[AuthServerView]], error) {
			if err := a.ensureDefault(ctx, authserver.DefaultServer); err != nil {
				return nil, err
			}
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]authserver.Server, string, error) {
				list, err := a.AuthServers.ListServers(ctx, tx, principal(ctx).Target.ID)
				return list, "", err
			}, authServerView)
		})
	register(a, Route{ID: "create-authorization-server", Method: http.MethodPost, Path: base, Scope: ScopeAuthServersWrite, Status: http.StatusCreated}, tag,
		"Create an authorization server with the system scopes and no policy: it refuses every token request until a policy's rule allows it",
		func(ctx context.Context, in *struct {
			TenantPath
			Body authServerBody
		}) (*Out[AuthServerView], error) {
			b := in.Body
			return changed(a, ctx, "authserver.created", authServerRef,
				func(ctx context.Context, tx store.Tx, ev *events.Event) (authserver.Server, error) {
					ev.Details = map[string]any{"name": b.Name}
					return a.AuthServers.CreateServer(ctx, tx, principal(ctx).Target.ID, authserver.ServerInput{
						Name: b.Name, Description: b.Description, Audiences: b.Audiences, IssuerMode: authserver.IssuerMode(b.IssuerMode),
						IssuerHost: b.IssuerHost, ScopePattern: b.ScopePattern, MaxTokenBytes: b.MaxTokenBytes,
						Inactive: b.Active != nil && !*b.Active,
					})
				}, authServerView)
		})
	register(a, Route{ID: "get-authorization-server", Method: http.MethodGet, Path: base + "/{server}", Scope: ScopeAuthServersRead}, tag,
		"Get an authorization server by name",
		func(ctx context.Context, in *ServerPath) (*Out[AuthServerView], error) {
			return serverFetched(a, ctx, in.Server, func(_ context.Context, _ store.Tx, srv authserver.Server) (authserver.Server, error) {
				return srv, nil
			}, authServerView)
		})
	register(a, Route{ID: "update-authorization-server", Method: http.MethodPatch, Path: base + "/{server}", Scope: ScopeAuthServersWrite}, tag,
		"Change an authorization server; fields left out stay as they are, and the name never changes",
		func(ctx context.Context, in *struct {
			ServerPath
			Body authServerPatch
		}) (*Out[AuthServerView], error) {
			b := in.Body
			if err := a.ensureDefault(ctx, in.Server); err != nil {
				return nil, err
			}
			return changed(a, ctx, "authserver.updated", authServerRef,
				func(ctx context.Context, tx store.Tx, ev *events.Event) (authserver.Server, error) {
					srv, err := a.server(ctx, tx, in.Server)
					if err != nil {
						return authserver.Server{}, err
					}
					ev.Details = map[string]any{"name": srv.Name, "fields": b.fields()}
					var mode *authserver.IssuerMode
					if b.IssuerMode != nil {
						m := authserver.IssuerMode(*b.IssuerMode)
						mode = &m
					}
					return a.AuthServers.UpdateServer(ctx, tx, srv.TenantID, srv.ID, authserver.ServerPatch{
						Description: b.Description, Audiences: b.Audiences, IssuerMode: mode, IssuerHost: b.IssuerHost,
						ScopePattern: b.ScopePattern, MaxTokenBytes: b.MaxTokenBytes, Active: b.Active,
					})
				}, authServerView)
		})
	register(a, Route{ID: "delete-authorization-server", Method: http.MethodDelete, Path: base + "/{server}", Scope: ScopeAuthServersWrite, Status: http.StatusNoContent}, tag,
		"Delete an authorization server with its scopes, claims, policies and rules; the default server cannot be deleted",
		func(ctx context.Context, in *ServerPath) (*struct{}, error) {
			err := a.change(ctx, "authserver.deleted", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				// ServerByName makes the default server when it is missing;
				// deleting it is refused, which rolls that back.
				srv, err := a.server(ctx, tx, in.Server)
				if err != nil {
					return err
				}
				ev.Target, ev.Details = authServerRef(srv), map[string]any{"name": srv.Name}
				return a.AuthServers.DeleteServer(ctx, tx, srv.TenantID, srv.ID)
			})
			return &struct{}{}, err
		})
}

func authServerRef(s authserver.Server) events.Ref {
	return events.Ref{Type: "authorization_server", ID: s.ID}
}

// ensureDefault makes the tenant's default server when name is
// authserver.DefaultServer and it does not exist yet, so that read-only
// transactions find it. It answers with a problem on failure.
func (a *API) ensureDefault(ctx context.Context, name string) error {
	if name != authserver.DefaultServer {
		return nil
	}
	tid := principal(ctx).Target.ID
	var found bool
	err := a.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		list, err := a.AuthServers.ListServers(ctx, tx, tid)
		found = slices.ContainsFunc(list, func(s authserver.Server) bool { return s.Name == authserver.DefaultServer })
		return err
	})
	if err == nil && !found {
		ensure := func(ctx context.Context, tx store.Tx) error {
			_, err := a.AuthServers.EnsureDefault(ctx, tx, tid)
			return err
		}
		if err = a.Store.Tx(ctx, ensure); errors.Is(err, store.ErrConflict) {
			err = a.Store.Tx(ctx, ensure) // another request made it meanwhile
		}
	}
	if err != nil {
		return a.problem(ctx, err)
	}
	return nil
}

// server returns the target tenant's server named name, in tx. For the
// default server, call ensureDefault first in read-only transactions.
func (a *API) server(ctx context.Context, tx store.Tx, name string) (authserver.Server, error) {
	return a.AuthServers.ServerByName(ctx, tx, principal(ctx).Target.ID, name)
}

// serverListed lists records of the server named name (see listed); the
// lists of a server are short and never paged.
func serverListed[T, V any](a *API, ctx context.Context, name string, list func(ctx context.Context, tx store.Tx, srv authserver.Server) ([]T, error), view func(T) V) (*Out[List[V]], error) {
	if err := a.ensureDefault(ctx, name); err != nil {
		return nil, err
	}
	return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]T, string, error) {
		srv, err := a.server(ctx, tx, name)
		if err != nil {
			return nil, "", err
		}
		items, err := list(ctx, tx, srv)
		return items, "", err
	}, view)
}

// serverFetched reads one record of the server named name (see fetched).
func serverFetched[T, V any](a *API, ctx context.Context, name string, get func(ctx context.Context, tx store.Tx, srv authserver.Server) (T, error), view func(T) V) (*Out[V], error) {
	if err := a.ensureDefault(ctx, name); err != nil {
		return nil, err
	}
	return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (T, error) {
		srv, err := a.server(ctx, tx, name)
		if err != nil {
			var zero T
			return zero, err
		}
		return get(ctx, tx, srv)
	}, view)
}

// serverChanged writes one record of the server named name with its
// system-log event (see changed), whose details name the server.
func serverChanged[T, V any](a *API, ctx context.Context, name, typ string, target func(T) events.Ref, write func(ctx context.Context, tx store.Tx, srv authserver.Server, ev *events.Event) (T, error), view func(T) V) (*Out[V], error) {
	if err := a.ensureDefault(ctx, name); err != nil {
		return nil, err
	}
	return changed(a, ctx, typ, target, func(ctx context.Context, tx store.Tx, ev *events.Event) (T, error) {
		srv, err := a.server(ctx, tx, name)
		if err != nil {
			var zero T
			return zero, err
		}
		ev.Details = map[string]any{"server": srv.Name}
		return write(ctx, tx, srv, ev)
	}, view)
}

// serverDeleted removes one record of the server named name with its
// system-log event, whose details name the server.
func serverDeleted(a *API, ctx context.Context, name, typ string, target events.Ref, del func(ctx context.Context, tx store.Tx, srv authserver.Server) error) (*struct{}, error) {
	if err := a.ensureDefault(ctx, name); err != nil {
		return nil, err
	}
	err := a.change(ctx, typ, func(ctx context.Context, tx store.Tx, ev *events.Event) error {
		ev.Target = target
		srv, err := a.server(ctx, tx, name)
		if err != nil {
			return err
		}
		ev.Details = map[string]any{"server": srv.Name}
		return del(ctx, tx, srv)
	})
	return &struct{}{}, err
}
