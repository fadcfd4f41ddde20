// Package authserver holds the configuration of a tenant's authorization
// servers beyond what the protocol fixes: each server's audience and
// issuer mode, its scopes (grant kinds, implication, naming convention,
// consent, defaults, client restrictions), its custom claims (CEL
// expressions, size-governed), and its access policies with ordered rules
// (grant types, scopes, groups, network zones, token lifetimes); and it
// decides, for one token request, which rule applies and what the tokens
// carry, with the reasons every earlier rule did not apply (token
// preview).
//
// Every method takes the caller's store.Tx and writes nothing outside it.
// Errors follow the tenant package: refused input is one or more
// *invalid.Error (joined); a duplicate name wraps store.ErrConflict; a
// record that does not exist or belongs to another tenant wraps
// store.ErrNotFound. A Service is safe for concurrent use.
package authserver

import "time"

// DefaultServer is the name of the server every tenant has; it is created
// on first use with the OpenID Connect scopes and a default policy that
// lets every client use every grant and scope.
const DefaultServer = "default"

// IssuerMode says where a server's issuer URL comes from.
type IssuerMode string

// The issuer modes.
const (
	// IssuerDynamic: https://{request host}/oauth2/{server} on every
	// domain of the tenant.
	IssuerDynamic IssuerMode = "dynamic"
	// IssuerFixed: one domain (Server.IssuerHost), so resource servers can
	// pin the issuer; the server answers on that host only.
	IssuerFixed IssuerMode = "fixed"
)

// Server is one authorization server of a tenant.
type Server struct {
	ID       string // "aus_…"
	TenantID string
	// Name is the path segment of the issuer (/oauth2/{name}): a DNS
	// label, unique per tenant; "default" is the tenant's default server.
	Name        string
	Description string
	// Audiences are the aud values of its access tokens; empty means the
	// issuer URL (the default server's behaviour).
	Audiences  []string
	IssuerMode IssuerMode
	// IssuerHost is the host of a fixed issuer: the instance's public host
	// or a custom domain of the tenant. Empty for dynamic.
	IssuerHost string
	// ScopePattern, when set, is a regular expression (RE2, anchored)
	// every scope name of the server must match, e.g. ^orders\.[a-z]+$.
	ScopePattern string
	// MaxTokenBytes bounds the size of the JSON claims of one token; a
	// configuration whose worst case exceeds it is refused.
	MaxTokenBytes int
	// Active servers answer; inactive ones are 404.
	Active               bool
	CreatedAt, UpdatedAt time.Time
}

// Grant kinds of a scope.
const (
	// KindDelegated scopes are granted by a person (authorization code,
	// refresh).
	KindDelegated = "delegated"
	// KindMachine scopes are granted to a client for itself (client
	// credentials).
	KindMachine = "machine"
)

// Scope is one scope of a server.
type Scope struct {
	ID, ServerID string // "scp_…"
	// Name is the scope value, e.g. "orders.read".
	Name        string
	Description string
	// Kinds are the grant kinds the scope may be granted in: KindDelegated
	// and/or KindMachine.
	Kinds []string
	// Implies lists scopes this one grants too; implication is transitive
	// (orders.admin → orders.write → orders.read) and never cyclic.
	Implies []string
	// Consent: a person must consent before a client gets this scope (for
	// third-party clients; the engine's consent step shows it).
	Consent bool
	// Default scopes are granted when a request names no scope.
	Default bool
	// Clients, when not empty, are the only clients that may get it.
	Clients []string
	// System scopes (openid, profile, email, address, phone,
	// offline_access) are built in: they cannot be renamed or deleted.
	System               bool
	CreatedAt, UpdatedAt time.Time
}

// Targets of a claim.
const (
	TargetAccess = "access"
	TargetID     = "id"
)

// Claim is a custom claim of a server's tokens.
type Claim struct {
	ID, ServerID string // "clm_…"
	// Name is the claim name; registered and protocol claims (iss, sub,
	// aud, exp, iat, jti, scope, client_id, …) are refused.
	Name string
	// Target is TargetAccess or TargetID.
	Target string
	// Expression is a CEL expression over user, app, groups and request
	// (see ClaimInput); its value must be JSON-encodable.
	Expression string
	// Scopes, when not empty, include the claim only when one of them is
	// granted.
	Scopes []string
	// MaxBytes is the largest JSON encoding of the value: declared, or
	// computed from schema bounds (maxLength, maxItems) of what the
	// expression reads. Issuance refuses a value over it.
	MaxBytes int
	// OverrideEditable lets the expression read attributes users may edit
	// themselves (DESIGN: such attributes never feed a claim otherwise).
	OverrideEditable     bool
	Active               bool
	CreatedAt, UpdatedAt time.Time
}

// Policy is an access policy of a server: it applies to listed clients
// (or all) and holds ordered rules.
type Policy struct {
	ID, ServerID string // "pol_…"
	Name         string
	Description  string
	// Priority orders policies: the lowest applicable one is used.
	Priority int
	// Clients are the client IDs the policy applies to; AllClients means
	// every client.
	Clients              []string
	Active               bool
	CreatedAt, UpdatedAt time.Time
}

// AllClients in Policy.Clients makes a policy apply to every client.
const AllClients = "*"

// Rule is one rule of a policy. Every condition must hold for it to
// match; the first matching rule by priority decides.
type Rule struct {
	ID, PolicyID string // "rul_…"
	Name         string
	Priority     int
	// GrantTypes the rule covers (authorization_code, refresh_token,
	// client_credentials, device_code, token_exchange).
	GrantTypes []string
	// Scopes the rule allows; AnyScope allows every scope of the server.
	// A request matches when every scope it asks for is allowed.
	Scopes []string
	// Groups, when not empty: the user must be in one of them (group IDs).
	// A rule with groups never matches client credentials.
	Groups []string
	// Zones and ExcludeZones are network zone IDs the client's IP must be
	// in / must not be in; empty means anywhere.
	Zones, ExcludeZones []string
	// Token lifetimes the rule grants; zero takes the server defaults.
	AccessTokenLifetime, RefreshTokenLifetime, RefreshTokenIdle time.Duration
	// Deny makes a matching rule refuse the request.
	Deny                 bool
	Active               bool
	CreatedAt, UpdatedAt time.Time
}

// AnyScope in Rule.Scopes allows every scope.
const AnyScope = "*"
