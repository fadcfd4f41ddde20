// Package mgmt is Lintel's management REST API (/api/v1/mgmt/…): tenants,
// delegations, apps and their secrets, trusted origins, brands, domains,
// users and their sessions, policies, terms documents, identity providers,
// inline and event hooks, management tokens and the system log, described
// by an OpenAPI document.
//
// Every route names one scope and the tenant it acts on; a bearer
// management token is checked against both before the request body is even
// read. Every change commits together with its system-log event; denied
// attempts are logged too. Errors are application/problem+json.
package mgmt

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/branding"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/eventhooks"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/factor/phone"
	"github.com/lintel-id/lintel/server/federation"
	"github.com/lintel-id/lintel/server/hooks"
	"github.com/lintel-id/lintel/server/mail"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/samlidp"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
	"github.com/lintel-id/lintel/server/terms"
)

// Prefix is where the API lives.
const Prefix = "/api/v1/mgmt"

// maxBody bounds request bodies; no management request needs more.
const maxBody = 64 << 10

// Deps are the API's dependencies: those New checks are required, the
// others (each says "when set") optional.
type Deps struct {
	Store   store.Store
	Tenants *tenant.Service
	// Directory holds users, their types, credentials and groups.
	Directory *directory.Directory
	Events    *events.Log
	Tokens    *Tokens
	Clock     clock.Clock
	Logger    *slog.Logger
	// Version is the server version shown in the OpenAPI document.
	Version string
	// Grants, when set, revokes a deleted app's tokens.
	Grants GrantRevoker
	// OAuth, when set, lets OAuth access tokens of service apps call the
	// API besides management tokens.
	OAuth AccessTokenVerifier
	// Keys, when set, serves the signing keys of authorization servers.
	Keys KeyManager
	// Consents, when set, lists and revokes users' consents to
	// third-party apps (the OpenID provider implements it).
	Consents Consents
	// AuthServers, when set, serves the configuration of authorization
	// servers: the servers, their scopes, claims, policies and rules.
	AuthServers *authserver.Service
	// Preview, when set, previews token requests (the OpenID provider
	// answers it).
	Preview Previewer
	// Policies, when set, serves the sign-on and password policies and
	// sets users' passwords; deleting an app, a tenant or a user, and
	// unlocking a user, then also clear what the policies hold of them.
	Policies *policy.Service
	// Mail, when set, serves the tenants' SMTP relays.
	Mail *mail.Settings
	// BrandSenders, when set, serves the brands' sender addresses, their
	// DKIM keys and DNS records; when nil and Mail is set, New makes one
	// over Mail that looks records up with the system resolver.
	BrandSenders *mail.BrandSenders
	// PhoneSettings, when set, serves the tenants' SMS and voice
	// providers, channels, country allowlists and caps.
	PhoneSettings *phone.Settings
	// Sessions, when set, lists and ends users' sign-in sessions (with
	// Grants, also their OAuth grants on request).
	Sessions *session.Sessions
	// Terms, when set, publishes and lists the tenants' terms-of-service
	// and privacy documents and shows which versions users accepted;
	// erasing a user or deleting a tenant then also forgets what it holds
	// of them.
	Terms *terms.Service
	// Outbox, Senders and Templates, when all set, let an activation be
	// mailed to the user (send_email) instead of answered: the message is
	// rendered with Templates and queued in Outbox, from the address
	// Senders gives for the tenant, in the transaction that issues it.
	// (*mail.Outbox is an Outbox and *mail.Settings a Senders.)
	Outbox    Outbox
	Senders   Senders
	Templates *emailtemplates.Set
	// DomainVerifier, when set, checks custom domains' ownership on
	// request (POST …/domains/{domain}/verify); without it that route
	// answers 501.
	DomainVerifier DomainVerifier
	// Certificates, when set, shows each custom domain's certificate.
	Certificates Certificates
	// Branding, when set, serves the theme versions of tenants, brands
	// and apps (drafts, publishing, rollback, resolved tokens) and theme
	// assets.
	Branding *branding.Service
	// ThemePreviewer, when set with Branding, renders theme previews of
	// screens and emails; without it those routes answer 501.
	ThemePreviewer ThemePreviewer
	// Federation, when set, serves the tenants' identity providers, their
	// IdP routing rules and their SAML service-provider metadata.
	Federation *federation.Service
	// SAML, when set, serves the apps' SAML service-provider settings
	// (Lintel as their SAML identity provider), the identity provider's
	// metadata for each app and the rotation of the tenants' SAML signing
	// keys.
	SAML *samlidp.Service
	// Hooks, when set, serves the tenants' inline hooks (HTTP endpoints
	// and WASM modules called at sign-in, registration and import) and
	// the rotation of their signing secrets.
	Hooks *hooks.Service
	// EventHooks, when set, serves the tenants' event hooks (their system
	// log sent to their endpoints): the hooks, their verification
	// handshake and secrets, and their dead letters.
	EventHooks *eventhooks.Service
}

// API is the management API.
type API struct {
	Deps
	mux    *http.ServeMux
	api    huma.API
	routes []Route
}

// New builds the API and registers every route.
func New(d Deps) (*API, error) {
	if d.Store == nil || d.Tenants == nil || d.Directory == nil || d.Events == nil || d.Tokens == nil || d.Clock == nil || d.Logger == nil {
		return nil, errors.New("mgmt: every dependency is required")
	}
	if d.Version == "" {
		d.Version = "dev"
	}
	if d.BrandSenders == nil && d.Mail != nil {
		d.BrandSenders = mail.NewBrandSenders(d.Mail, mail.BrandSendersOptions{Logger: d.Logger})
	}
	a := &API{Deps: d, mux: http.NewServeMux()}
	cfg := huma.Config{
		OpenAPI: &huma.OpenAPI{
			OpenAPI: "3.1.0",
			Info: &huma.Info{
				Title:       "Lintel management API",
				Version:     d.Version,
				Description: "Manage tenants, apps, brands, domains, management tokens and read the system log. Authenticate with `Authorization: Bearer lmgt_…`; each operation lists the scope it needs.",
			},
			Components: &huma.Components{
				Schemas: huma.NewMapRegistry("#/components/schemas/", huma.DefaultSchemaNamer),
				SecuritySchemes: map[string]*huma.SecurityScheme{
					"bearer": {Type: "http", Scheme: "bearer", Description: "A management token (lmgt_…) from `lintel admin token create` or the tokens API."},
				},
			},
		},
		OpenAPIPath:   Prefix + "/openapi",
		Formats:       huma.DefaultFormats,
		DefaultFormat: "application/json",
		// Unknown query parameters are mistakes, like unknown body fields.
		RejectUnknownQueryParameters: true,
		// Error answers of routes whose body holds a secret echo no input.
		Transformers: []huma.Transformer{redactSecrets},
	}
	a.api = humago.New(a.mux, cfg)
	a.api.UseMiddleware(a.authenticate)
	a.registerTenants()
	a.registerApps()
	a.registerOrigins()
	a.registerZones()
	a.registerBrands()
	a.registerDomains()
	a.registerTokens()
	a.registerUsers()
	a.registerGroups()
	a.registerUserTypes()
	a.registerRules()
	a.registerEvents()
	a.registerConsents()
	a.registerAuthServers()
	a.registerAuthScopes()
	a.registerAuthClaims()
	a.registerAuthPolicies()
	a.registerPreview()
	a.registerKeys()
	a.registerPolicies()
	a.registerUserPassword()
	a.registerMail()
	a.registerBrandSender()
	a.registerPhone()
	a.registerSessions()
	a.registerTerms()
	a.registerThemes()
	a.registerIdPs()
	a.registerSAMLApps()
	a.registerHooks()
	a.registerEventHooks()
	return a, nil
}

// Handler serves the API (mount it at Prefix + "/").
func (a *API) Handler() http.Handler { return a.mux }

// OpenAPI returns the API's OpenAPI 3.1 document.
func (a *API) OpenAPI() *huma.OpenAPI { return a.api.OpenAPI() }

// Routes lists every operation with its access rule, in registration order.
func (a *API) Routes() []Route { return append([]Route(nil), a.routes...) }
