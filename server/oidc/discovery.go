package oidc

import (
	"context"
	"net/http"
	"slices"

	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/oidc/keyring"
	"github.com/lintel-id/lintel/server/store"
)

// Endpoint paths under the issuer URL.
const (
	PathDiscovery = "/.well-known/openid-configuration"
	PathAuthorize = "/v1/authorize"
	PathToken     = "/v1/token"
	PathUserInfo  = "/v1/userinfo"
	PathKeys      = "/v1/keys"
)

// discoveryMaxAge is the cache lifetime of the provider metadata; that of
// the JWK set is keysMaxAge (keys.go).
const discoveryMaxAge = "public, max-age=3600"

// Authentication context classes (acr) the engine reaches and answers
// acr_values with, weakest first: one factor, two factors, and the
// phishing-resistant classes of the OpenID EAP ACR values ("phr": a
// passkey; "phrh": a passkey bound to its device, not synced).
const (
	ACROneFactor                 = "urn:lintel:loa:1fa"
	ACRTwoFactors                = "urn:lintel:loa:2fa"
	ACRPhishingResistant         = "phr"
	ACRPhishingResistantHardware = "phrh"
)

// ACRValues lists the classes in the order of the assurance they stand
// for, weakest first: each one satisfies every earlier one.
var ACRValues = []string{ACROneFactor, ACRTwoFactors, ACRPhishingResistant, ACRPhishingResistantHardware}

// discoveryDoc is the OpenID Provider metadata (OpenID Connect Discovery
// 1.0 §3, RFC 8414, RFC 9207).
type discoveryDoc struct {
	Issuer                                     string   `json:"issuer"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint"`
	TokenEndpoint                              string   `json:"token_endpoint"`
	UserinfoEndpoint                           string   `json:"userinfo_endpoint"`
	JWKSURI                                    string   `json:"jwks_uri"`
	IntrospectionEndpoint                      string   `json:"introspection_endpoint"`
	RevocationEndpoint                         string   `json:"revocation_endpoint"`
	EndSessionEndpoint                         string   `json:"end_session_endpoint"`
	ScopesSupported                            []string `json:"scopes_supported"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	ResponseModesSupported                     []string `json:"response_modes_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	SubjectTypesSupported                      []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported           []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgValuesSupported []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	IntrospectionEndpointAuthMethodsSupported  []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"`
	ClaimsSupported                            []string `json:"claims_supported"`
	ACRValuesSupported                         []string `json:"acr_values_supported"`
	PromptValuesSupported                      []string `json:"prompt_values_supported"`
	AuthorizationResponseIssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
	ClaimsParameterSupported                   bool     `json:"claims_parameter_supported"`
	RequestParameterSupported                  bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported               bool     `json:"request_uri_parameter_supported"`
}

// discovery returns the metadata of iss.
func discovery(iss Issuer, scopes, claims []string) discoveryDoc {
	return discoveryDoc{
		Issuer:                                     iss.URL,
		AuthorizationEndpoint:                      iss.endpoint(PathAuthorize),
		TokenEndpoint:                              iss.endpoint(PathToken),
		UserinfoEndpoint:                           iss.endpoint(PathUserInfo),
		JWKSURI:                                    iss.endpoint(PathKeys),
		IntrospectionEndpoint:                      iss.endpoint(PathIntrospect),
		RevocationEndpoint:                         iss.endpoint(PathRevoke),
		EndSessionEndpoint:                         iss.endpoint(PathLogout),
		ScopesSupported:                            scopes,
		ResponseTypesSupported:                     []string{"code"},
		ResponseModesSupported:                     []string{"query"},
		GrantTypesSupported:                        []string{"authorization_code", "refresh_token", "client_credentials"},
		SubjectTypesSupported:                      []string{"public"},
		IDTokenSigningAlgValuesSupported:           []string{keyring.RS256, keyring.ES256, keyring.EdDSA},
		TokenEndpointAuthMethodsSupported:          []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"},
		TokenEndpointAuthSigningAlgValuesSupported: supportedAssertionAlgs(),
		IntrospectionEndpointAuthMethodsSupported:  []string{"client_secret_basic", "client_secret_post", "private_key_jwt"},
		RevocationEndpointAuthMethodsSupported:     []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"},
		CodeChallengeMethodsSupported:              []string{"S256"},
		ClaimsSupported:                            claims,
		ACRValuesSupported:                         ACRValues,
		PromptValuesSupported:                      promptValues,
		AuthorizationResponseIssParameterSupported: true,
		// The defaults of the next two are true: say false explicitly.
		RequestParameterSupported:    false,
		RequestURIParameterSupported: false,
	}
}

// published returns the scope names a server publishes (OIDC scopes
// first, then its own in name order) and the claims its tokens may
// carry, custom claims included.
func (p *Provider) published(ctx context.Context, iss Issuer) (scopes, claims []string, err error) {
	srv, err := p.server(ctx, iss.TenantID, iss.Server)
	if err != nil {
		return nil, nil, err
	}
	var list []authserver.Scope
	var custom []authserver.Claim
	err = p.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		if list, err = p.authz.Scopes(ctx, tx, iss.TenantID, srv.ID); err != nil {
			return err
		}
		custom, err = p.authz.Claims(ctx, tx, iss.TenantID, srv.ID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	scopes = []string{}
	for _, name := range authserver.SystemScopeNames {
		if slices.ContainsFunc(list, func(sc authserver.Scope) bool { return sc.Name == name }) {
			scopes = append(scopes, name)
		}
	}
	for _, sc := range list {
		if !sc.System {
			scopes = append(scopes, sc.Name)
		}
	}
	claims = slices.Clone(claimsSupported)
	for _, c := range custom {
		if c.Active && !slices.Contains(claims, c.Name) {
			claims = append(claims, c.Name)
		}
	}
	return scopes, claims, nil
}

// Discovery returns the discovery endpoint
// ({issuer}/.well-known/openid-configuration): the provider metadata of
// the request's issuer, as public, cacheable JSON.
func (p *Provider) Discovery() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		iss, ok := p.issuerOf(w, r)
		if !ok || !allowMethods(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		scopes, claims, err := p.published(r.Context(), iss)
		if err != nil {
			p.log.ErrorContext(r.Context(), "discovery: server settings", "tenant", iss.TenantID, "err", err)
			writeError(w, ErrServerError)
			return
		}
		w.Header().Set("Cache-Control", discoveryMaxAge)
		w.Header().Set("Access-Control-Allow-Origin", "*")
		writeJSON(w, http.StatusOK, discovery(iss, scopes, claims))
	})
}
