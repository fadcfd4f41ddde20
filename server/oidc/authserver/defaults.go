package authserver

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/server/store"
)

// The system scopes every server has (OpenID Connect Core §5.4, §11).
const (
	ScopeOpenID        = "openid"
	ScopeProfile       = "profile"
	ScopeEmail         = "email"
	ScopeAddress       = "address"
	ScopePhone         = "phone"
	ScopeOfflineAccess = "offline_access"
)

// SystemScopeNames are the names of the system scopes, in the order they
// are created.
var SystemScopeNames = []string{ScopeOpenID, ScopeProfile, ScopeEmail, ScopeAddress, ScopePhone, ScopeOfflineAccess}

// systemScopes returns the system scopes of a new server: delegated only,
// none granted by default, each shown on the consent step of third-party
// apps.
func systemScopes() []Scope {
	desc := map[string]string{
		ScopeOpenID:        "Sign you in with your account.",
		ScopeProfile:       "Your name, locale and other profile details.",
		ScopeEmail:         "Your email address and whether it is verified.",
		ScopeAddress:       "Your postal address.",
		ScopePhone:         "Your phone number and whether it is verified.",
		ScopeOfflineAccess: "Keep access while you are away (a refresh token).",
	}
	var out []Scope
	for _, n := range SystemScopeNames {
		out = append(out, Scope{Name: n, Description: desc[n], Kinds: []string{KindDelegated}, Implies: []string{},
			Consent: true, Clients: []string{}, System: true})
	}
	return out
}

// The SCIM provisioning scopes of every tenant's default server: the
// scopes the SCIM endpoints (server/scim, behind the edge) ask of an
// access token, one per resource type and access.
const (
	ScopeSCIMUsersRead   = "scim.users.read"
	ScopeSCIMUsersWrite  = "scim.users.write"
	ScopeSCIMGroupsRead  = "scim.groups.read"
	ScopeSCIMGroupsWrite = "scim.groups.write"
)

// SCIMScopeNames are the names of the SCIM scopes, in the order they are
// created.
var SCIMScopeNames = []string{ScopeSCIMUsersRead, ScopeSCIMUsersWrite, ScopeSCIMGroupsRead, ScopeSCIMGroupsWrite}

// NoClient in a scope's Clients is a client ID no app has: a scope whose
// Clients is just NoClient is granted to nobody until an admin replaces
// the list with the clients that may get it. (An empty list would mean
// every client.)
const NoClient = "none"

// scimScopes returns the SCIM scopes of a new default server. They are
// machine scopes only: a person never grants them, and no consent step
// shows them. They start granted to no client (NoClient), since they
// reach every user and group of the tenant: an admin grants them to the
// provisioning app by listing it in Clients. They are built in (System),
// so that they keep the names the SCIM endpoints check and a scope
// pattern set on the server does not apply to them. Write does not imply
// read here; the edge's SCIM authorizer lets a write scope read the same
// resource type.
func scimScopes() []Scope {
	desc := map[string]string{
		ScopeSCIMUsersRead:   "Read the tenant's users through SCIM.",
		ScopeSCIMUsersWrite:  "Create, change and remove the tenant's users through SCIM, and read them.",
		ScopeSCIMGroupsRead:  "Read the tenant's groups through SCIM.",
		ScopeSCIMGroupsWrite: "Create, change and remove the tenant's groups through SCIM, and read them.",
	}
	var out []Scope
	for _, n := range SCIMScopeNames {
		out = append(out, Scope{Name: n, Description: desc[n], Kinds: []string{KindMachine}, Implies: []string{},
			Clients: []string{NoClient}, System: true})
	}
	return out
}

// Names of the default server's policy and rule.
const (
	DefaultPolicyName = "Default policy"
	DefaultRuleName   = "Default rule"
)

// defaultGrantTypes are the grant types the default rule allows.
var defaultGrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials, GrantDeviceCode}

// EnsureDefault returns the tenant's default server, creating it on first
// use: a dynamic issuer, no audiences (the issuer URL), MaxTokenBytes
// DefaultMaxTokenBytes, the system scopes, and the policy
// DefaultPolicyName (priority 1, every client) with the rule
// DefaultRuleName (every grant type of defaultGrantTypes, AnyScope, the
// default lifetimes); the default server has the SCIM scopes besides
// (scimScopes; servers made before them got them by migration 35). It
// writes only on first use, in tx.
//
// When two transactions create it at once, one commits and the other gets
// an error wrapping store.ErrConflict or a serialization failure (which
// store.Tx retries itself); on ErrConflict the caller runs its
// transaction again, which then finds the server.
func (s *Service) EnsureDefault(ctx context.Context, tx store.Tx, tenantID string) (Server, error) {
	srv, err := s.serverByName(ctx, tx, tenantID, DefaultServer)
	if !errors.Is(err, store.ErrNotFound) {
		return srv, err
	}
	now := s.now()
	srv = Server{ID: ident.New("aus", now), TenantID: tenantID, Name: DefaultServer, Audiences: []string{},
		IssuerMode: IssuerDynamic, MaxTokenBytes: DefaultMaxTokenBytes, Active: true, CreatedAt: now, UpdatedAt: now}
	if err := s.insertServer(ctx, tx, srv); err != nil {
		return Server{}, err
	}
	for _, sc := range scimScopes() {
		sc.ID, sc.ServerID, sc.CreatedAt, sc.UpdatedAt = ident.New("scp", now), srv.ID, now, now
		if err := insertScope(ctx, tx, tenantID, sc); err != nil {
			return Server{}, fmt.Errorf("authserver: SCIM scope %s: %w", sc.Name, err)
		}
	}
	pol := Policy{ID: ident.New("pol", now), ServerID: srv.ID, Name: DefaultPolicyName,
		Description: "Lets every client use every grant type and scope.", Priority: 1,
		Clients: []string{AllClients}, Active: true, CreatedAt: now, UpdatedAt: now}
	if err := insertPolicy(ctx, tx, tenantID, pol); err != nil {
		return Server{}, err
	}
	rule := Rule{ID: ident.New("rul", now), PolicyID: pol.ID, Name: DefaultRuleName, Priority: 1,
		GrantTypes: slices.Clone(defaultGrantTypes), Scopes: []string{AnyScope}, Groups: []string{},
		Zones: []string{}, ExcludeZones: []string{}, Active: true, CreatedAt: now, UpdatedAt: now}
	if err := insertRule(ctx, tx, tenantID, srv.ID, rule); err != nil {
		return Server{}, err
	}
	return srv, nil
}
