package mgmt

import (
	"slices"
	"strings"
)

// Scope is one management permission, checked per route and per tenant.
type Scope string

// The management scopes. Users, factors and unlock arrive with the
// directory; they are defined now so roles and tokens are stable.
const (
	ScopeTenantsRead  Scope = "tenants:read"
	ScopeTenantsWrite Scope = "tenants:write"
	ScopeAppsRead     Scope = "apps:read"
	ScopeAppsWrite    Scope = "apps:write"
	ScopeOriginsRead  Scope = "origins:read"
	ScopeOriginsWrite Scope = "origins:write"
	ScopeBrandsRead   Scope = "brands:read"
	ScopeBrandsWrite  Scope = "brands:write"
	ScopeDomainsRead  Scope = "domains:read"
	ScopeDomainsWrite Scope = "domains:write"
	ScopeTokensRead   Scope = "tokens:read"
	ScopeTokensWrite  Scope = "tokens:write"
	ScopeEventsRead   Scope = "events:read"
	ScopeUsersRead    Scope = "users:read"
	ScopeUsersWrite   Scope = "users:write"
	ScopeUsersUnlock  Scope = "users:unlock"
	// ScopeUsersActivate issues activation links (help-desk may).
	ScopeUsersActivate Scope = "users:activate"
	ScopeFactorsReset  Scope = "factors:reset"
	ScopeGroupsRead    Scope = "groups:read"
	ScopeGroupsWrite   Scope = "groups:write"
	ScopeSchemasRead   Scope = "schemas:read"
	ScopeSchemasWrite  Scope = "schemas:write"
	// ScopeAuthServersRead and ScopeAuthServersWrite cover authorization
	// servers and their signing keys.
	// They also cover each server's scopes, claims, access policies and
	// rules; token preview needs the read scope (and users:read to preview
	// a user's tokens).
	ScopeAuthServersRead  Scope = "authservers:read"
	ScopeAuthServersWrite Scope = "authservers:write"
	// ScopeZonesRead and ScopeZonesWrite cover network zones.
	ScopeZonesRead  Scope = "zones:read"
	ScopeZonesWrite Scope = "zones:write"
	// ScopePoliciesRead and ScopePoliciesWrite cover sign-on and
	// profile-enrollment policies (of apps and the tenant default), the
	// password policy and the recovery policy.
	ScopePoliciesRead  Scope = "policies:read"
	ScopePoliciesWrite Scope = "policies:write"
	// ScopeMailRead and ScopeMailWrite cover how the tenant's messages
	// leave: its SMTP relay, and its SMS and voice provider.
	ScopeMailRead  Scope = "mail:read"
	ScopeMailWrite Scope = "mail:write"
	// ScopeSessionsRead lists users' sign-in sessions; ScopeSessionsRevoke
	// ends them, one or all of a user's, and optionally the user's OAuth
	// grants (refresh and access tokens) with them.
	ScopeSessionsRead   Scope = "sessions:read"
	ScopeSessionsRevoke Scope = "sessions:revoke"
	// ScopeTermsRead lists the tenant's published terms-of-service and
	// privacy documents; ScopeTermsWrite publishes new versions. Which
	// versions a user accepted is read with ScopeUsersRead.
	ScopeTermsRead  Scope = "terms:read"
	ScopeTermsWrite Scope = "terms:write"
	// ScopeThemesRead reads the theme versions of the tenant, its brands
	// and apps, their resolved tokens, previews and uploaded assets;
	// ScopeThemesWrite saves and discards drafts, publishes (overriding
	// the contrast check with a reason), rolls back and uploads assets.
	ScopeThemesRead  Scope = "themes:read"
	ScopeThemesWrite Scope = "themes:write"
	// ScopeIdPsRead reads the tenant's identity providers (never their
	// secrets), its IdP routing rules and its SAML service-provider
	// metadata; ScopeIdPsWrite creates, changes and deletes providers
	// and rules.
	ScopeIdPsRead  Scope = "idps:read"
	ScopeIdPsWrite Scope = "idps:write"
	// ScopeHooksRead reads the tenant's inline hooks and event hooks
	// (never their signing secrets or modules) and event hooks' dead
	// letters; ScopeHooksWrite creates, changes, deletes and verifies
	// them, rotates their secrets and redelivers dead letters. Hooks
	// run the tenant's code at sign-in and receive its log: they are
	// configuration, which help-desk admins do not touch.
	ScopeHooksRead  Scope = "hooks:read"
	ScopeHooksWrite Scope = "hooks:write"
)

// AllScopes lists every scope, in a stable order.
var AllScopes = []Scope{
	ScopeTenantsRead, ScopeTenantsWrite, ScopeAppsRead, ScopeAppsWrite,
	ScopeOriginsRead, ScopeOriginsWrite, ScopeBrandsRead, ScopeBrandsWrite,
	ScopeDomainsRead, ScopeDomainsWrite, ScopeTokensRead, ScopeTokensWrite,
	ScopeEventsRead, ScopeUsersRead, ScopeUsersWrite, ScopeUsersUnlock, ScopeFactorsReset,
	ScopeGroupsRead, ScopeGroupsWrite, ScopeSchemasRead, ScopeSchemasWrite, ScopeUsersActivate,
	ScopeAuthServersRead, ScopeAuthServersWrite,
	ScopeZonesRead, ScopeZonesWrite,
	ScopePoliciesRead, ScopePoliciesWrite,
	ScopeMailRead, ScopeMailWrite,
	ScopeSessionsRead, ScopeSessionsRevoke,
	ScopeTermsRead, ScopeTermsWrite,
	ScopeThemesRead, ScopeThemesWrite,
	ScopeIdPsRead, ScopeIdPsWrite,
	ScopeHooksRead, ScopeHooksWrite,
}

// Role is an admin role (DESIGN, Decisions): a named set of scopes.
// Administering a child tenant is not a role: an admin of the parent acts on
// the child with the same role when the child granted a delegation.
type Role string

// The admin roles.
const (
	// RoleInstanceAdmin acts on every tenant; only tokens of the system
	// tenant hold it.
	RoleInstanceAdmin Role = "instance-admin"
	// RoleTenantAdmin has every scope on its tenant (and delegated children).
	RoleTenantAdmin Role = "tenant-admin"
	// RoleHelpDesk reads users, unlocks them, resets factors and ends
	// sessions; no configuration.
	RoleHelpDesk Role = "help-desk"
	// RoleReadOnly reads everything, writes nothing.
	RoleReadOnly Role = "read-only"
)

// Roles lists the roles from most to least powerful.
var Roles = []Role{RoleInstanceAdmin, RoleTenantAdmin, RoleHelpDesk, RoleReadOnly}

// Scopes returns the scopes a role grants.
func (r Role) Scopes() []Scope {
	switch r {
	case RoleInstanceAdmin, RoleTenantAdmin:
		return slices.Clone(AllScopes)
	case RoleHelpDesk:
		return []Scope{ScopeTenantsRead, ScopeEventsRead, ScopeUsersRead, ScopeUsersUnlock, ScopeFactorsReset, ScopeGroupsRead, ScopeUsersActivate,
			ScopeSessionsRead, ScopeSessionsRevoke}
	case RoleReadOnly:
		var out []Scope
		for _, s := range AllScopes {
			if strings.HasSuffix(string(s), ":read") {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// rank orders roles for "may not create a token above your own role".
func (r Role) rank() int { return len(Roles) - slices.Index(Roles, r) }
