// Package oidc is Lintel's OpenID provider: for each tenant's "default"
// authorization server it validates authorization requests, issues
// single-use authorization codes bound to a PKCE challenge, exchanges them
// at the token endpoint for an RS256 ID token and an ES256 JWT access token
// (RFC 9068), and serves discovery, the JWK set and userinfo.
//
// The package speaks the protocol and stores what the protocol needs
// (codes, grants; signing keys through its keyring, package
// server/oidc/keyring); it renders no pages and never looks at Host or
// X-Forwarded-*: the edge routes a request to a tenant, builds the Issuer
// from the tenant's verified domain and puts it in the request context
// with WithIssuer before calling a handler. Signing in (who the user is,
// which factors were used) is the engine's job: it calls IssueCode once
// the user is authenticated.
//
// Protocol errors are Error values (RFC 6749 §5.2, OIDC Core §3.1.2.6);
// internal errors are logged and answered with server_error, never shown.
package oidc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/oidc/keyring"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// DefaultServer is the name of the authorization server every tenant has.
const DefaultServer = "default"

// Lifetimes of what the provider issues.
const (
	// CodeLifetime is how long an authorization code may be exchanged.
	CodeLifetime = 60 * time.Second
	// AccessTokenLifetime is the lifetime of access tokens.
	AccessTokenLifetime = time.Hour
	// IDTokenLifetime is the lifetime of ID tokens.
	IDTokenLifetime = time.Hour
	// DefaultRefreshIdle is how long an unused refresh token stays valid.
	DefaultRefreshIdle = 30 * 24 * time.Hour
	// DefaultRefreshAbsolute bounds a chain of refresh tokens from the
	// sign-in that started it, however often it is used.
	DefaultRefreshAbsolute = 90 * 24 * time.Hour
)

// Issuer identifies one authorization server of one tenant and the URL it
// is served at ({scheme}://{host}/oauth2/{server}). The edge chooses URL
// from the tenant's verified domain, never from request headers.
type Issuer struct {
	TenantID string
	// Server is the authorization server's name.
	Server string
	// URL is the issuer identifier, without a trailing slash.
	URL string
	// Audiences are the aud of the server's access tokens; empty means
	// URL.
	Audiences []string `json:",omitempty"`
}

// valid reports whether the issuer names a server.
func (iss Issuer) valid() bool {
	return iss.TenantID != "" && iss.Server != "" && iss.URL != ""
}

// audience returns the aud of the issuer's access tokens.
func (iss Issuer) audience() []string {
	if len(iss.Audiences) > 0 {
		return iss.Audiences
	}
	return []string{iss.URL}
}

// endpoint returns the URL of an endpoint under the issuer.
func (iss Issuer) endpoint(path string) string { return iss.URL + path }

type issuerKey struct{}

// WithIssuer returns a context carrying the issuer a request is served
// for. The edge calls it before every handler of this package.
func WithIssuer(ctx context.Context, iss Issuer) context.Context {
	return context.WithValue(ctx, issuerKey{}, iss)
}

// IssuerFrom returns the issuer set by WithIssuer.
func IssuerFrom(ctx context.Context) (Issuer, bool) {
	iss, ok := ctx.Value(issuerKey{}).(Issuer)
	return iss, ok
}

// Claims are what the provider may tell a client about a user.
type Claims struct {
	// Subject is the user's ID, which is also the sub claim. The provider
	// refuses claims whose Subject is another user's.
	Subject       string
	Email         string
	EmailVerified bool
	Name, Locale  string
	// GivenName and FamilyName are released with the profile scope.
	GivenName, FamilyName string
	// UpdatedAt is when the profile last changed; zero omits updated_at.
	UpdatedAt time.Time
	// Login and Status describe the account to claim expressions and
	// policies; Profile holds its custom attributes.
	Login, Status string
	Profile       map[string]any
	// Groups are the user's groups, which access rules and claim
	// expressions read.
	Groups []Group
}

// Group is a group a user belongs to.
type Group struct{ ID, Name string }

// Users looks up the claims of a user; the directory implements it.
//
// UserClaims reads inside the caller's transaction. It returns an error
// wrapping store.ErrNotFound when the user does not exist in the tenant or
// may no longer sign in (suspended, deprovisioned): the provider then
// refuses the code or token. It must be safe for concurrent use.
type Users interface {
	UserClaims(ctx context.Context, tx store.Tx, tenantID, userID string) (Claims, error)
}

// Deps are what a Provider needs. Logger may be nil (logs are dropped).
type Deps struct {
	Store   store.Store
	Secrets *secrets.Service
	Tenants *tenant.Service
	// Servers holds the tenants' authorization servers: scopes, claims
	// and access policies.
	Servers *authserver.Service
	Users   Users
	// Events receives the system log's token events (issued, refused
	// replays, revocations), written in the same transaction.
	Events *events.Log
	Clock  clock.Clock
	Logger *slog.Logger
	// HTTPClient fetches the jwks_uri of private_key_jwt clients; it must
	// dial through the egress dialer (internal/egress). Nil leaves such
	// clients unable to authenticate (logged).
	HTTPClient *http.Client
	// RefreshIdle and RefreshAbsolute bound refresh tokens; zero means
	// DefaultRefreshIdle and DefaultRefreshAbsolute.
	RefreshIdle, RefreshAbsolute time.Duration
	// KeyRotation is how long a signing key signs and KeyLead how long
	// the next one is published before; zero means keyring.RotationPeriod
	// and keyring.RotationLead. KeyLead must be at least keyring.MinLead
	// and shorter than KeyRotation.
	KeyRotation, KeyLead time.Duration
}

// Provider is the OpenID provider of every tenant's default authorization
// server. It is safe for concurrent use; its only state is caches: of
// immutable signing keys (its keyring) and of clients' JWK sets.
type Provider struct {
	st      store.Store
	sec     *secrets.Service
	tenants *tenant.Service
	users   Users
	clk     clock.Clock
	log     *slog.Logger
	events  *events.Log
	httpc   *http.Client

	refreshIdle, refreshAbsolute time.Duration

	keysMu   sync.Mutex            // guards keyCache
	keyCache map[string]cachedKeys // fetched jwks_uri sets, by URI
	systemMu sync.Mutex            // guards systemID
	systemID string                // the system tenant's ID, once known

	ring    *keyring.Ring       // the signing keys of every server
	authz   *authserver.Service // servers, scopes, claims, policies
	servers serverCache         // authorization servers by tenant and name
}

// New returns a Provider. Every dependency but Logger is required.
func New(d Deps) (*Provider, error) {
	switch {
	case d.Store == nil:
		return nil, errors.New("oidc: Deps.Store is required")
	case d.Secrets == nil:
		return nil, errors.New("oidc: Deps.Secrets is required")
	case d.Tenants == nil:
		return nil, errors.New("oidc: Deps.Tenants is required")
	case d.Users == nil:
		return nil, errors.New("oidc: Deps.Users is required")
	case d.Servers == nil:
		return nil, errors.New("oidc: Deps.Servers is required")
	case d.Events == nil:
		return nil, errors.New("oidc: Deps.Events is required")
	case d.Clock == nil:
		return nil, errors.New("oidc: Deps.Clock is required")
	}
	if d.RefreshIdle <= 0 {
		d.RefreshIdle = DefaultRefreshIdle
	}
	if d.RefreshAbsolute <= 0 {
		d.RefreshAbsolute = DefaultRefreshAbsolute
	}
	if d.RefreshIdle > d.RefreshAbsolute {
		return nil, errors.New("oidc: Deps.RefreshIdle exceeds Deps.RefreshAbsolute")
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "oidc")
	ring, err := keyring.New(keyring.Deps{Store: d.Store, Secrets: d.Secrets, Clock: d.Clock, Logger: log,
		TokenLifetime: max(AccessTokenLifetime, IDTokenLifetime), Rotation: d.KeyRotation, Lead: d.KeyLead})
	if err != nil {
		return nil, fmt.Errorf("oidc: Deps.KeyRotation or Deps.KeyLead: %w", err)
	}
	return &Provider{
		st: d.Store, sec: d.Secrets, tenants: d.Tenants, users: d.Users, clk: d.Clock, events: d.Events,
		httpc: d.HTTPClient, refreshIdle: d.RefreshIdle, refreshAbsolute: d.RefreshAbsolute,
		keyCache: map[string]cachedKeys{},
		log:      log,
		ring:     ring,
		authz:    d.Servers,
		servers:  serverCache{m: map[string]cachedServer{}},
	}, nil
}

// now is the current time as the store reads it back.
func (p *Provider) now() time.Time {
	return p.clk.Now().UTC().Truncate(time.Microsecond)
}
