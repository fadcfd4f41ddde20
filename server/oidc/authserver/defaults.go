package authserver

import (
	"context"
	"errors"
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
// default lifetimes). It writes only on first use, in tx.
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
