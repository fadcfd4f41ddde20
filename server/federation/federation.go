// Package federation signs people in through upstream identity providers:
// generic OpenID Connect and OAuth 2, presets for Google, Microsoft,
// Apple, Facebook, LinkedIn and GitHub that carry each one's quirks, and
// SAML 2.0 (Lintel as the service provider).
//
// The package holds a tenant's identity providers and its IdP routing
// rules, speaks each protocol (AuthURL sends the browser upstream,
// Exchange verifies what comes back and yields an Assertion), maps what
// the provider asserted onto the profile with CEL, and decides what an
// assertion means for the directory: sign in a linked account, link an
// existing one (automatically only on a verified email both sides assert,
// otherwise after the person proves the account), create one just in
// time, or refuse. The identity engine (server/engine) drives it from a
// flow; the package knows nothing of flows, pages or cookies.
//
// Every upstream call (discovery, JWKS, token, userinfo, metadata) goes
// through the HTTP client of Deps, which the caller builds on the egress
// dialer (internal/egress): an IdP whose endpoints resolve to a private
// address is refused unless the dialer allows it (tests allow loopback).
//
// Nothing an upstream sends is trusted before it is verified: ID tokens by
// signature, issuer, audience, nonce and time; SAML responses by a
// signature over the assertion, audience, recipient, InResponseTo, time
// and a replay cache shared by every node (the database). Errors wrap the
// sentinels below so the engine can tell the person what went wrong in
// their language without telling an attacker anything.
package federation

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/tenant"
)

// Sentinel errors callers branch on (errors.Is). Each is wrapped with
// what went wrong for the log; none is shown to the person as is.
var (
	// ErrDenied: the person or the provider declined (OAuth error
	// access_denied, a SAML status other than Success).
	ErrDenied = errors.New("federation: the identity provider declined the sign-in")
	// ErrUpstream: the provider answered with an error, could not be
	// reached, or answered something that is not what its protocol says.
	ErrUpstream = errors.New("federation: the identity provider failed")
	// ErrInvalid: what came back fails verification: signature, issuer,
	// audience, nonce, InResponseTo, time, replay, a missing subject.
	ErrInvalid = errors.New("federation: the identity provider's answer is not valid")
	// ErrNotFound: no such identity provider or routing rule in the
	// tenant (or it is disabled, where an enabled one is needed).
	ErrNotFound = errors.New("federation: not found")
	// ErrConfig: an identity provider's or rule's settings are wrong;
	// the error names the field (an invalid.Error where it comes from
	// input).
	ErrConfig = errors.New("federation: invalid configuration")
)

// Kind is an identity provider's protocol or preset.
type Kind string

// The kinds of identity provider.
const (
	KindOIDC      Kind = "oidc"
	KindOAuth2    Kind = "oauth2"
	KindSAML      Kind = "saml"
	KindGoogle    Kind = "google"
	KindMicrosoft Kind = "microsoft"
	KindApple     Kind = "apple"
	KindFacebook  Kind = "facebook"
	KindLinkedIn  Kind = "linkedin"
	KindGitHub    Kind = "github"
)

// Kinds lists every Kind, generic ones first.
var Kinds = []Kind{KindOIDC, KindOAuth2, KindSAML, KindGoogle, KindMicrosoft, KindApple, KindFacebook, KindLinkedIn, KindGitHub}

// JIT is what happens when an assertion names no account of the tenant.
type JIT string

// The just-in-time provisioning policies.
const (
	// JITCreate creates the account from the mapped attributes.
	JITCreate JIT = "create"
	// JITRequireExisting signs in only accounts that exist already (by
	// link, or by linking under the LinkPolicy).
	JITRequireExisting JIT = "require_existing"
	// JITDeny refuses any sign-in through the provider that is not
	// already linked.
	JITDeny JIT = "deny"
)

// LinkPolicy is how an assertion is linked to an existing account found
// by email address.
type LinkPolicy string

// The account-linking policies.
const (
	// LinkAuto links without asking when the provider asserts the email
	// verified and the account's email is verified too; otherwise the
	// person proves the account first (as LinkProve).
	LinkAuto LinkPolicy = "auto"
	// LinkProve always asks the person to prove the existing account
	// with a factor it has enrolled before linking.
	LinkProve LinkPolicy = "prove"
	// LinkNever never links by email: an assertion with an address that
	// an account holds is refused (unless already linked).
	LinkNever LinkPolicy = "never"
)

// Source is where an attribute's truth lies, for profile sync.
type Source string

// The sources of truth of a synced attribute.
const (
	// SourceIdP: the provider is the source; the attribute is rewritten
	// from the mapping on every sign-in through it.
	SourceIdP Source = "idp"
	// SourceLintel: Lintel is the source; the mapping sets the attribute
	// only when the account is created. The default.
	SourceLintel Source = "lintel"
)

// Config is an identity provider's settings, stored as JSON. It never
// holds a secret (IdP.Secret does). Presets fill the endpoints of their
// provider; a value set here overrides the preset's (tests point presets
// at emulators on loopback this way).
type Config struct {
	// Issuer is the OpenID Connect issuer, whose discovery document
	// gives the endpoints not set below. For Microsoft it is the
	// authority base ("https://login.microsoftonline.com"), for
	// Apple "https://appleid.apple.com".
	Issuer string `json:"issuer,omitempty"`
	// AuthorizationURL, TokenURL, UserinfoURL and JWKSURL are the
	// endpoints; OAuth 2 providers need the first three.
	AuthorizationURL string `json:"authorization_url,omitempty"`
	TokenURL         string `json:"token_url,omitempty"`
	UserinfoURL      string `json:"userinfo_url,omitempty"`
	JWKSURL          string `json:"jwks_url,omitempty"`
	// ClientID is Lintel's client ID at the provider (Apple: the
	// Services ID).
	ClientID string `json:"client_id,omitempty"`
	// Scopes asked for; empty means the kind's defaults.
	Scopes []string `json:"scopes,omitempty"`
	// TokenAuth is how Lintel authenticates at the token endpoint:
	// "client_secret_basic" (default), "client_secret_post".
	TokenAuth string `json:"token_auth,omitempty"`
	// SubjectClaim names the claim (or userinfo member) holding the
	// stable user ID for generic OAuth 2 providers (default "sub", then
	// "id").
	SubjectClaim string `json:"subject_claim,omitempty"`
	// EmailVerifiedClaim names, for generic OAuth 2 providers, a boolean
	// member telling the email verified; empty means the provider never
	// asserts it (emails are unverified).
	EmailVerifiedClaim string `json:"email_verified_claim,omitempty"`

	// MicrosoftTenant is the Entra ID tenant of the authority:
	// "common", "organizations", "consumers" or a tenant ID. With a
	// multi-tenant authority the issuer is checked per token against
	// its tid, and AllowedTenants (tenant IDs), when set, limits who may
	// sign in.
	MicrosoftTenant string   `json:"microsoft_tenant,omitempty"`
	AllowedTenants  []string `json:"allowed_tenants,omitempty"`

	// AppleTeamID and AppleKeyID name the key (IdP.Secret, a PKCS #8
	// ES256 key in PEM) that signs Apple's client-secret JWT.
	AppleTeamID string `json:"apple_team_id,omitempty"`
	AppleKeyID  string `json:"apple_key_id,omitempty"`

	// SAMLMetadata is the IdP's SAML metadata document (XML), imported
	// once; SAMLMetadataURL, when set, is where it was fetched from.
	SAMLMetadata    string `json:"saml_metadata,omitempty"`
	SAMLMetadataURL string `json:"saml_metadata_url,omitempty"`
	// SAMLIdPInitiated accepts responses no AuthnRequest asked for
	// (off by default: they cannot be bound to a browser). Such a
	// sign-in goes on at SAMLInitiateApp's initiate_login_uri.
	SAMLIdPInitiated bool   `json:"saml_idp_initiated,omitempty"`
	SAMLInitiateApp  string `json:"saml_initiate_app,omitempty"`
	// SAMLEmailAttribute names the attribute holding the email when the
	// NameID is not one (default: the NameID if its format is
	// emailAddress, else "email", then the claims URI).
	SAMLEmailAttribute string `json:"saml_email_attribute,omitempty"`
	// SAMLEmailVerified says the IdP vouches for the addresses it
	// asserts (a company directory): SAML has no claim for it.
	SAMLEmailVerified bool `json:"saml_email_verified,omitempty"`

	// Mapping maps profile attributes ("email", "given_name",
	// "family_name", "locale", a custom attribute's name) to CEL
	// expressions over `claims` (the Assertion's claims), `email`,
	// `email_verified` and `subject`. An expression that yields null
	// or an empty string leaves the attribute unset. Empty means the
	// kind's default mapping.
	Mapping map[string]string `json:"mapping,omitempty"`
	// JIT is the just-in-time provisioning policy (default JITCreate).
	JIT JIT `json:"jit,omitempty"`
	// Link is the account-linking policy (default LinkAuto).
	Link LinkPolicy `json:"link,omitempty"`
	// Sync says, per mapped attribute, where its truth lies (default
	// SourceLintel: set at creation only).
	Sync map[string]Source `json:"sync,omitempty"`
	// UserType is the user type of accounts created just in time (""
	// for the tenant's default type).
	UserType string `json:"user_type,omitempty"`
}

// IdP is one identity provider of a tenant.
type IdP struct {
	ID       string // "idp_…"
	TenantID string
	// Name is the display name on the person's button ("Acme SSO").
	Name    string
	Kind    Kind
	Enabled bool
	Config  Config
	// Secret is the client secret, or for Apple the PEM PKCS #8 key of
	// the client-secret JWT; "" when none. It is sealed at rest and never
	// returned by the management API.
	Secret string
	// HasSecret reports that a secret is stored, also where Secret is
	// left empty because it was not opened (ListIdPs).
	HasSecret            bool
	CreatedAt, UpdatedAt time.Time
}

// Assertion is what an identity provider asserted about a person, once
// verified.
type Assertion struct {
	IdPID string
	// Subject is the person's stable, never reassigned ID at the
	// provider: OIDC "sub"; Microsoft "tid/oid" (never the email:
	// nOAuth); GitHub and Facebook the numeric ID; SAML the NameID
	// (persistent) or the configured attribute.
	Subject string
	// Email is the address the provider gives, lowercased ("" none).
	Email string
	// EmailVerified: the provider vouches for Email. False unless it
	// says so explicitly (Facebook and Microsoft never do; GitHub only
	// for a verified primary address; Apple sends the string "true").
	EmailVerified bool
	// Claims are everything the provider asserted (ID token claims and
	// userinfo; SAML attributes as lists of strings), as JSON values:
	// string, float64, bool, nil, []any, map[string]any. It is the
	// input of the attribute mapping.
	Claims map[string]any
}

// Pending is what a flow keeps between AuthURL and Exchange. It holds no
// secret the browser sees besides State, which travels upstream and
// back.
type Pending struct {
	IdPID string `json:"idp"`
	// Callback is the redirect URI (or SAML ACS URL) sent upstream;
	// Exchange sends the same one to the token endpoint.
	Callback string `json:"callback"`
	// Nonce (OIDC) and Verifier (PKCE) bind the answer to this request.
	Nonce    string `json:"nonce,omitempty"`
	Verifier string `json:"verifier,omitempty"`
	// RequestID is the SAML AuthnRequest ID the response must answer.
	RequestID string    `json:"request_id,omitempty"`
	Started   time.Time `json:"started"`
}

// AuthParams are the request-specific parts of an authorization request.
type AuthParams struct {
	// Callback is the site's callback URL (OIDC / OAuth 2:
	// "{base}/federation/callback"; SAML: the ACS URL
	// "{base}/federation/saml/acs"). Base is the site's base URL, from
	// the verified host (SAML builds the SP entity ID on it).
	Callback, Base string
	// State is the opaque value the callback must bring back (OAuth
	// state, SAML RelayState); the engine binds it to its flow.
	State string
	// LoginHint is the address the person typed, passed upstream where
	// the protocol allows ("" none).
	LoginHint string
}

// Outcome is what an assertion means for the directory (Resolve).
type Outcome struct {
	Kind OutcomeKind
	// UserID is the account signed in, linked, or to be proven.
	UserID string
	// Attributes are the mapped profile attributes (for Create: of the
	// new account; for the others: what Sync applies).
	Attributes map[string]any
	// Reason says, for OutcomeDeny, why (a message-ID suffix:
	// "not_linked", "jit_denied", "email_taken", "unverified_email",
	// "status"); for the log and the person's message.
	Reason string
}

// OutcomeKind is what Resolve decided.
type OutcomeKind string

// The outcomes of an assertion.
const (
	// OutcomeSignIn: the assertion is linked to UserID already.
	OutcomeSignIn OutcomeKind = "signin"
	// OutcomeLink: link to UserID now (policy allows, both sides
	// verified), then sign in.
	OutcomeLink OutcomeKind = "link"
	// OutcomeProve: UserID holds the email; the person must prove that
	// account with an enrolled factor before the link is made.
	OutcomeProve OutcomeKind = "prove"
	// OutcomeCreate: no account; create one from Attributes (JIT).
	OutcomeCreate OutcomeKind = "create"
	// OutcomeDeny: refuse (Reason).
	OutcomeDeny OutcomeKind = "deny"
)

// Deps are the Service's dependencies, all required.
type Deps struct {
	Secrets   *secrets.Service
	Directory *directory.Directory
	// Tenants reads apps and network zones (routing rules).
	Tenants *tenant.Service
	// HTTP makes every upstream call; build it on the egress dialer
	// (egress.Dialer.Client) so private addresses are refused.
	HTTP   *http.Client
	Clock  clock.Clock
	Logger *slog.Logger
}

// Service holds identity providers and routing rules and runs the
// protocols. It is safe for concurrent use.
type Service struct {
	d Deps
	// Fields of the protocol files (one line each, added by their file's
	// author): caches of discovery documents and keys, SAML providers.
	mappings mappingCache // compiled attribute mappings per IdP version (mapping.go)
	upstream oidcCache    // OIDC discovery documents and key sets by URL (oauth_cache.go)
	saml     samlCache    // parsed SAML IdP metadata and opened SP keys (saml.go)
}

// New returns a Service.
func New(d Deps) (*Service, error) {
	if d.Secrets == nil || d.Directory == nil || d.Tenants == nil || d.HTTP == nil || d.Clock == nil || d.Logger == nil {
		return nil, errors.New("federation: every dependency is required")
	}
	return &Service{d: d}, nil
}
