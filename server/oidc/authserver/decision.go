package authserver

import (
	"net/netip"
	"time"
)

// Request is one token request to decide: who asks, for what, from where.
type Request struct {
	// Server is the authorization server the request is made to.
	Server Server
	// ClientID is the app asking; App describes it to claim expressions
	// (id, name, type, tags).
	ClientID string
	App      map[string]any
	// GrantType is the grant being used (authorization_code,
	// refresh_token, client_credentials, …).
	GrantType string
	// Scopes are the scopes asked for; empty asks for the defaults.
	Scopes []string
	// UserID is the person the tokens are for; "" for client credentials.
	UserID string
	// User describes the person to claim expressions: id, login, email,
	// name, status and profile (the custom attributes).
	User map[string]any
	// Groups are the IDs of the user's groups; GroupNames their names,
	// for claim expressions.
	Groups, GroupNames []string
	// IP is the client's address, for network zones; the zero Addr
	// matches no zone.
	IP netip.Addr
}

// Decision is the outcome of a request.
type Decision struct {
	// Granted is true when a rule allows the request.
	Granted bool
	// Scopes are the scopes granted: the ones asked for (or the
	// defaults), with every implied scope added, in a stable order.
	Scopes []string
	// Policy and Rule are the ones that decided (nil when none did).
	Policy *Policy
	Rule   *Rule
	// Lifetimes of the tokens, from the rule or the server's defaults.
	AccessTokenLifetime, RefreshTokenLifetime, RefreshTokenIdle time.Duration
	// Reason says why the request was refused ("" when granted); a fixed
	// English sentence for developers, never user data.
	Reason string
	// Trace lists every policy and rule considered, in order, with why
	// each did or did not apply (token preview).
	Trace []Step
}

// Step is one policy or rule considered by a decision.
type Step struct {
	PolicyID, PolicyName string
	// RuleID and RuleName are empty for a step about the policy itself
	// (for example "does not apply to this client").
	RuleID, RuleName string
	Matched          bool
	// Reason is a fixed English sentence: "grant type client_credentials
	// is not covered", "scope orders.write is not allowed", …
	Reason string
}

// Default lifetimes when a rule sets none.
const (
	DefaultAccessTokenLifetime  = time.Hour
	DefaultRefreshTokenLifetime = 90 * 24 * time.Hour
	DefaultRefreshTokenIdle     = 30 * 24 * time.Hour
	// DefaultMaxTokenBytes bounds a token's JSON claims when a server sets
	// no limit; a few KB keeps tokens within the header sizes servers and
	// proxies accept.
	DefaultMaxTokenBytes = 4096
)
