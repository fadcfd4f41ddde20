package mgmt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/federation"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// The paths of a tenant's site that identity providers are told about
// (the engine serves them).
const (
	federationCallbackPath     = "/federation/callback"
	federationSAMLACSPath      = "/federation/saml/acs"
	federationSAMLMetadataPath = "/federation/saml/metadata"
)

// samlMetadataType is the media type of SAML metadata (RFC 7580 names
// it for SAML 2.0 metadata).
const samlMetadataType = "application/samlmetadata+xml"

// maxIdPBody lifts the body limit of identity-provider writes: a SAML
// IdP's metadata document alone may be 256 KiB.
const maxIdPBody = 1 << 20

// IdPConfig is an identity provider's settings: federation.Config with
// its documentation. The two must keep the same fields in the same order
// (one converts to the other).
type IdPConfig struct {
	Issuer           string   `json:"issuer,omitempty" maxLength:"2048" doc:"OpenID Connect issuer; its discovery document gives the endpoints not set here. Microsoft: the authority base (https://login.microsoftonline.com); Apple: https://appleid.apple.com"`
	AuthorizationURL string   `json:"authorization_url,omitempty" maxLength:"2048" doc:"Authorization endpoint (https); OAuth 2 providers need it"`
	TokenURL         string   `json:"token_url,omitempty" maxLength:"2048" doc:"Token endpoint (https); OAuth 2 providers need it"`
	UserinfoURL      string   `json:"userinfo_url,omitempty" maxLength:"2048" doc:"Userinfo endpoint (https); OAuth 2 providers need it"`
	JWKSURL          string   `json:"jwks_url,omitempty" maxLength:"2048" doc:"The provider's signing keys (https), when discovery does not give them"`
	ClientID         string   `json:"client_id,omitempty" maxLength:"512" doc:"Lintel's client ID at the provider (Apple: the Services ID)"`
	Scopes           []string `json:"scopes,omitempty" maxItems:"20" doc:"Scopes asked for; empty for the kind's defaults"`
	TokenAuth        string   `json:"token_auth,omitempty" enum:"client_secret_basic,client_secret_post" doc:"How Lintel authenticates at the token endpoint (default client_secret_basic)"`
	SubjectClaim     string   `json:"subject_claim,omitempty" maxLength:"100" doc:"Generic OAuth 2: the member holding the stable user ID (default sub, then id)"`
	// EmailVerifiedClaim is empty when the provider never asserts it.
	EmailVerifiedClaim string `json:"email_verified_claim,omitempty" maxLength:"100" doc:"Generic OAuth 2: a boolean member saying the email is verified; empty means the provider never vouches for emails"`

	MicrosoftTenant string   `json:"microsoft_tenant,omitempty" maxLength:"64" doc:"Microsoft: the Entra ID tenant of the authority: common (the default), organizations, consumers or a tenant ID"`
	AllowedTenants  []string `json:"allowed_tenants,omitempty" maxItems:"100" doc:"Microsoft with a multi-tenant authority: the only Entra ID tenant IDs whose people may sign in; empty for any"`

	AppleTeamID string `json:"apple_team_id,omitempty" maxLength:"64" doc:"Apple: the team ID that signs the client-secret JWT (with the key in client_secret)"`
	AppleKeyID  string `json:"apple_key_id,omitempty" maxLength:"64" doc:"Apple: the ID of the key in client_secret"`

	SAMLMetadata       string `json:"saml_metadata,omitempty" maxLength:"262144" doc:"SAML: the identity provider's metadata document (XML), with its single sign-on service and signing certificate"`
	SAMLMetadataURL    string `json:"saml_metadata_url,omitempty" maxLength:"2048" doc:"SAML: where the metadata comes from. Given without saml_metadata, Lintel fetches the document from it (https; at most 256 KiB) when the provider is saved"`
	SAMLIdPInitiated   bool   `json:"saml_idp_initiated,omitempty" doc:"SAML: accept sign-ins started at the identity provider, which no request of Lintel asked for and which cannot be bound to a browser (off by default); such a sign-in goes on at saml_initiate_app's initiate_login_uri"`
	SAMLInitiateApp    string `json:"saml_initiate_app,omitempty" maxLength:"64" doc:"SAML: the app (ID) that sign-ins started at the identity provider go on to; needed with saml_idp_initiated"`
	SAMLEmailAttribute string `json:"saml_email_attribute,omitempty" maxLength:"256" doc:"SAML: the attribute holding the email when the NameID is not one (default: email, then the claims URI)"`
	SAMLEmailVerified  bool   `json:"saml_email_verified,omitempty" doc:"SAML: the identity provider vouches for the addresses it asserts (a company directory); SAML itself cannot say so"`

	Mapping  map[string]string            `json:"mapping,omitempty" doc:"Profile attribute (email, given_name, family_name, locale or a custom attribute) → a CEL expression over claims (what the provider asserted), email, email_verified and subject. An expression yielding null or an empty string leaves the attribute unset. Empty: the kind's default mapping"`
	JIT      federation.JIT               `json:"jit,omitempty" enum:"create,require_existing,deny" doc:"Just-in-time provisioning, for a sign-in that names no account of the tenant: create (the default) creates the account from the mapped attributes; require_existing signs in only accounts that exist already, linked or linkable under the link policy; deny refuses every sign-in through the provider that is not linked already"`
	Link     federation.LinkPolicy        `json:"link,omitempty" enum:"auto,prove,never" doc:"Account linking, for a sign-in whose email an existing account holds: auto (the default) links at once when the provider asserts the email verified and the account's email is verified too, and otherwise asks the person to prove the account with a factor enrolled before; prove always asks for that proof; never refuses the sign-in instead of linking"`
	Sync     map[string]federation.Source `json:"sync,omitempty" doc:"Per mapped attribute, where its truth lies: idp rewrites it from the mapping at every sign-in through the provider; lintel (the default) sets it only when the account is created"`
	UserType string                       `json:"user_type,omitempty" maxLength:"64" doc:"The user type of accounts created just in time; empty for the tenant's default type"`
}

// IdPView is an identity provider of a tenant. The client secret is
// write-only: only whether one is stored is shown.
type IdPView struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"tenant_id"`
	Name      string    `json:"name" doc:"The name on the person's sign-in button"`
	Kind      string    `json:"kind" enum:"oidc,oauth2,saml,google,microsoft,apple,facebook,linkedin,github"`
	Enabled   bool      `json:"enabled"`
	Config    IdPConfig `json:"config"`
	HasSecret bool      `json:"has_secret" doc:"Whether a client secret (Apple: a signing key) is stored; it is never returned"`
	// The URLs are left out when the tenant has no site (the system
	// tenant, or a server without a public URL).
	CallbackURL   string    `json:"callback_url,omitempty" doc:"OpenID Connect and OAuth 2: the redirect URI to register at the provider (on the tenant's primary site)"`
	ACSURL        string    `json:"acs_url,omitempty" doc:"SAML: the assertion consumer service URL to register at the identity provider"`
	SPMetadataURL string    `json:"sp_metadata_url,omitempty" doc:"SAML: where Lintel's service-provider metadata is published; also its entity ID"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// idpAt is an identity provider with the base URL of its tenant's site
// ("" when none), which its view builds URLs on.
type idpAt struct {
	idp  federation.IdP
	base string
}

func idpView(x idpAt) IdPView {
	p := x.idp
	v := IdPView{ID: p.ID, TenantID: p.TenantID, Name: p.Name, Kind: string(p.Kind), Enabled: p.Enabled,
		Config: IdPConfig(p.Config), HasSecret: p.HasSecret, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	v.Config.Scopes, v.Config.AllowedTenants = nonNil(v.Config.Scopes), nonNil(v.Config.AllowedTenants)
	switch {
	case x.base == "":
	case p.Kind == federation.KindSAML:
		v.ACSURL, v.SPMetadataURL = x.base+federationSAMLACSPath, x.base+federationSAMLMetadataPath
	default:
		v.CallbackURL = x.base + federationCallbackPath
	}
	return v
}

// IdPPath names an identity provider of a tenant.
type IdPPath struct {
	TenantPath
	IdP string `path:"idp" maxLength:"64" doc:"Identity provider ID"`
}

// idpBody is an identity provider as written.
type idpBody struct {
	Name    string    `json:"name" minLength:"1" maxLength:"100" doc:"The name on the person's sign-in button, unique in the tenant (case-insensitively)"`
	Kind    string    `json:"kind" enum:"oidc,oauth2,saml,google,microsoft,apple,facebook,linkedin,github" doc:"The protocol (oidc, oauth2, saml) or a preset that knows its provider's endpoints and quirks. It cannot change"`
	Enabled bool      `json:"enabled" doc:"A disabled provider offers no sign-in"`
	Config  IdPConfig `json:"config"`
	// ClientSecret is a pointer: left out keeps the stored secret.
	ClientSecret *string `json:"client_secret,omitempty" maxLength:"8192" writeOnly:"true" doc:"Write-only: the client secret (Apple: the PKCS #8 ES256 key, in PEM, that signs the client-secret JWT). Leave it out to keep the stored one; an empty string removes it"`
}

// importMetadata fetches a SAML provider's metadata from its URL when the
// body names only the URL, before any transaction (it waits on the
// network).
func (a *API) importMetadata(ctx context.Context, b *idpBody) error {
	if federation.Kind(b.Kind) != federation.KindSAML || b.Config.SAMLMetadata != "" || b.Config.SAMLMetadataURL == "" {
		return nil
	}
	doc, err := a.Federation.FetchSAMLMetadata(ctx, b.Config.SAMLMetadataURL)
	if errors.Is(err, federation.ErrUpstream) {
		// Unreachable, or an error status: the caller's to fix, as a
		// field (the cause is logged, not sent back).
		a.Logger.WarnContext(ctx, "mgmt: fetch SAML metadata", "err", err)
		err = errors.Join(federation.ErrConfig, invalid.Field("config.saml_metadata_url", "could not be fetched"))
	}
	if err != nil {
		return a.problem(ctx, federationErr(err))
	}
	b.Config.SAMLMetadata = doc
	return nil
}

func (b idpBody) input() federation.IdPInput {
	return federation.IdPInput{Name: b.Name, Kind: federation.Kind(b.Kind), Enabled: b.Enabled, Config: federation.Config(b.Config), Secret: b.ClientSecret}
}

// idpDetails are an identity provider's event details: never its secret
// nor its metadata, only what it is and what became of the secret.
func idpDetails(p federation.IdP, secret *string) map[string]any {
	d := map[string]any{"name": p.Name, "kind": string(p.Kind), "enabled": p.Enabled}
	switch {
	case secret == nil:
		d["secret"] = "kept"
	case *secret == "":
		d["secret"] = "cleared"
	default:
		d["secret"] = "set"
	}
	return d
}

func idpRef(x idpAt) events.Ref { return events.Ref{Type: "idp", ID: x.idp.ID} }

// siteBase returns the base URL of the tenant's sign-in pages, "" when
// it has none (the system tenant, or no public URL is configured).
func (a *API) siteBase(ctx context.Context, tx store.Tx, tenantID string) (string, error) {
	base, err := a.Tenants.SiteBase(ctx, tx, tenantID)
	if errors.Is(err, tenant.ErrNoSite) {
		return "", nil
	}
	return base, err
}

// federationErr makes federation's errors the ones problem maps: a
// missing record 404, a bad configuration 422 naming the field as the
// body does (federation calls the client secret "secret").
func federationErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, federation.ErrNotFound) && !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	case !errors.Is(err, federation.ErrConfig) || errors.Is(err, store.ErrConflict):
		return err
	case !invalid.Is(err):
		// The reason stays generic: the error's text is for the log
		// and could quote what was sent.
		return fmt.Errorf("%w: %w", err, invalid.Field("config", "the identity provider's configuration is not valid"))
	}
	all := invalid.All(err)
	if !slices.ContainsFunc(all, func(e *invalid.Error) bool { return e.Field == "secret" }) {
		return err
	}
	out := make([]error, 0, len(all))
	for _, e := range all {
		f := e.Field
		if f == "secret" {
			f = "client_secret"
		}
		out = append(out, &invalid.Error{Field: f, Reason: e.Reason})
	}
	return fmt.Errorf("%w: %w", federation.ErrConfig, errors.Join(out...))
}

// samlMetadataOut is SAML metadata answered as it is.
type samlMetadataOut struct {
	ContentType string `header:"Content-Type"`
	NoSniff     string `header:"X-Content-Type-Options"`
	Body        []byte
}

func (a *API) registerIdPs() {
	if a.Federation == nil {
		return
	}
	const tag = "Identity providers"
	base := Prefix + "/tenants/{tenant}/idps"
	register(a, Route{ID: "list-idps", Method: http.MethodGet, Path: base, Scope: ScopeIdPsRead}, tag,
		"List the tenant's identity providers by name",
		func(ctx context.Context, in *TenantPath) (*Out[List[IdPView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]idpAt, string, error) {
				tenantID := principal(ctx).Target.ID
				site, err := a.siteBase(ctx, tx, tenantID)
				if err != nil {
					return nil, "", err
				}
				idps, err := a.Federation.ListIdPs(ctx, tx, tenantID)
				out := make([]idpAt, 0, len(idps))
				for _, p := range idps {
					out = append(out, idpAt{p, site})
				}
				return out, "", federationErr(err)
			}, idpView)
		})
	register(a, Route{ID: "create-idp", Method: http.MethodPost, Path: base, Scope: ScopeIdPsWrite, Status: http.StatusCreated, Secret: true, MaxBody: maxIdPBody}, tag,
		"Create an identity provider; register the answer's callback_url (SAML: acs_url, or the metadata at sp_metadata_url) at the provider",
		func(ctx context.Context, in *struct {
			TenantPath
			Body idpBody
		}) (*Out[IdPView], error) {
			if err := a.importMetadata(ctx, &in.Body); err != nil {
				return nil, err
			}
			return changed(a, ctx, "idp.created", idpRef, func(ctx context.Context, tx store.Tx, ev *events.Event) (idpAt, error) {
				tenantID := principal(ctx).Target.ID
				p, err := a.Federation.CreateIdP(ctx, tx, tenantID, in.Body.input())
				if err != nil {
					return idpAt{}, federationErr(err)
				}
				ev.Details = idpDetails(p, in.Body.ClientSecret)
				site, err := a.siteBase(ctx, tx, tenantID)
				return idpAt{p, site}, err
			}, idpView)
		})
	// Registered before {idp}, though the mux prefers the literal
	// segment whatever the order.
	metadata := Route{ID: "get-saml-sp-metadata", Method: http.MethodGet, Path: base + "/saml-sp-metadata", Scope: ScopeIdPsRead}
	register(a, metadata, tag,
		"Get the tenant's SAML service-provider metadata for its primary site, to import at SAML identity providers: entity ID, assertion consumer service and certificate",
		func(ctx context.Context, in *TenantPath) (*samlMetadataOut, error) {
			tenantID := principal(ctx).Target.ID
			var doc []byte
			// A read-write transaction: the tenant's SP key pair is made
			// on first use.
			err := a.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
				site, err := a.siteBase(ctx, tx, tenantID)
				if err != nil || site == "" {
					return err
				}
				doc, err = a.Federation.SPMetadata(ctx, tx, tenantID, site)
				return federationErr(err)
			})
			switch {
			case err != nil:
				return nil, a.problem(ctx, err)
			case doc == nil:
				return nil, huma.Error404NotFound("the tenant has no sign-in site to name in SAML metadata")
			}
			return &samlMetadataOut{ContentType: samlMetadataType, NoSniff: "nosniff", Body: doc}, nil
		})
	documentContent(a.api.OpenAPI(), metadata, samlMetadataType, &huma.Schema{Type: "string"})
	register(a, Route{ID: "get-idp", Method: http.MethodGet, Path: base + "/{idp}", Scope: ScopeIdPsRead}, tag,
		"Get an identity provider",
		func(ctx context.Context, in *IdPPath) (*Out[IdPView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (idpAt, error) {
				tenantID := principal(ctx).Target.ID
				p, err := a.Federation.IdP(ctx, tx, tenantID, in.IdP)
				if err != nil {
					return idpAt{}, federationErr(err)
				}
				site, err := a.siteBase(ctx, tx, tenantID)
				return idpAt{p, site}, err
			}, idpView)
		})
	register(a, Route{ID: "update-idp", Method: http.MethodPut, Path: base + "/{idp}", Scope: ScopeIdPsWrite, Secret: true, MaxBody: maxIdPBody}, tag,
		"Replace an identity provider's settings; its kind cannot change, and a body without client_secret keeps the stored one",
		func(ctx context.Context, in *struct {
			IdPPath
			Body idpBody
		}) (*Out[IdPView], error) {
			if err := a.importMetadata(ctx, &in.Body); err != nil {
				return nil, err
			}
			return changed(a, ctx, "idp.updated", ref[idpAt]("idp", in.IdP), func(ctx context.Context, tx store.Tx, ev *events.Event) (idpAt, error) {
				tenantID := principal(ctx).Target.ID
				p, err := a.Federation.UpdateIdP(ctx, tx, tenantID, in.IdP, in.Body.input())
				if err != nil {
					return idpAt{}, federationErr(err)
				}
				ev.Details = idpDetails(p, in.Body.ClientSecret)
				site, err := a.siteBase(ctx, tx, tenantID)
				return idpAt{p, site}, err
			}, idpView)
		})
	register(a, Route{ID: "delete-idp", Method: http.MethodDelete, Path: base + "/{idp}", Scope: ScopeIdPsWrite, Status: http.StatusNoContent}, tag,
		"Delete an identity provider; routing rules stop offering it, and a rule left with no provider is deleted",
		func(ctx context.Context, in *IdPPath) (*struct{}, error) {
			err := a.change(ctx, "idp.deleted", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				tenantID := principal(ctx).Target.ID
				ev.Target = events.Ref{Type: "idp", ID: in.IdP}
				p, err := a.Federation.IdP(ctx, tx, tenantID, in.IdP)
				if err != nil {
					return federationErr(err)
				}
				rules, err := a.idpRules(ctx, tx, tenantID, in.IdP)
				if err != nil {
					return err
				}
				if err := a.Federation.DeleteIdP(ctx, tx, tenantID, in.IdP); err != nil {
					return federationErr(err)
				}
				ev.Details = map[string]any{"name": p.Name, "kind": string(p.Kind), "rules": rules}
				return nil
			})
			return &struct{}{}, err
		})
	a.registerIdPRules()
}

// idpRules lists the IDs of the routing rules that offer an identity
// provider, for the event of its deletion.
func (a *API) idpRules(ctx context.Context, tx store.Tx, tenantID, idpID string) ([]string, error) {
	rules, err := a.Federation.ListRules(ctx, tx, tenantID)
	if err != nil {
		return nil, federationErr(err)
	}
	out := []string{}
	for _, r := range rules {
		if slices.Contains(r.IdPs, idpID) {
			out = append(out, r.ID)
		}
	}
	return out, nil
}
