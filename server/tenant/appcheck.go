package tenant

import (
	"errors"
	"fmt"
	"slices"

	"github.com/lintel-id/lintel/internal/invalid"
)

// AppType is the kind of OAuth client an app is. It decides which redirect
// URIs, grant types and authentication methods the app may use, and cannot
// change after creation.
type AppType string

// The app types.
const (
	// AppWeb is a server-side web application: a confidential client.
	AppWeb AppType = "web"
	// AppSPA is a single-page application: a public client in a browser.
	AppSPA AppType = "spa"
	// AppNative is a mobile or desktop application: a public client that
	// may use loopback redirects on any port and reverse-DNS custom schemes.
	AppNative AppType = "native"
	// AppService is a machine-to-machine client: confidential, no users,
	// no redirect URIs, client credentials only.
	AppService AppType = "service"
)

// Public reports whether apps of type t are public clients (no secret).
func (t AppType) Public() bool { return t == AppSPA || t == AppNative }

// Grant types apps may be registered for.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
)

// Token endpoint authentication methods.
const (
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
	// AuthPrivateKeyJWT: the client signs a JWT assertion with a key of
	// its registered JWKS (RFC 7523, OIDC Core §9).
	AuthPrivateKeyJWT = "private_key_jwt"
	AuthNone          = "none"
)

// allowedGrants lists the grant types each app type may use.
var allowedGrants = map[AppType][]string{
	AppWeb:     {GrantAuthorizationCode, GrantRefreshToken},
	AppSPA:     {GrantAuthorizationCode, GrantRefreshToken},
	AppNative:  {GrantAuthorizationCode, GrantRefreshToken, GrantDeviceCode},
	AppService: {GrantClientCredentials},
}

// appSpec is the validated, normalized content of an app.
type appSpec struct {
	Name                                             string
	Type                                             AppType
	RedirectURIs, PostLogoutRedirectURIs, GrantTypes []string
	TokenEndpointAuthMethod                          string
	JWKS, JWKSURI, IDTokenAlg                        string
	ConsentRequired                                  bool
	ManagementScopes                                 []string
	InitiateLoginURI                                 string
	Tags                                             []string
}

// check validates every field of the spec and returns its normal form
// (trimmed name, defaults filled in, non-nil lists). All problems are
// reported at once.
func (a appSpec) check() (appSpec, error) {
	var errs []error
	var err error
	if a.Name, err = checkName("name", a.Name); err != nil {
		errs = append(errs, err)
	}
	if _, ok := allowedGrants[a.Type]; !ok {
		return a, errors.Join(append(errs, invalid.Field("type", "must be one of web, spa, native, service"))...)
	}
	errs = append(errs, checkRedirectURIs("redirect_uris", a.RedirectURIs, a.Type, a.Type != AppService))
	errs = append(errs, checkRedirectURIs("post_logout_redirect_uris", a.PostLogoutRedirectURIs, a.Type, false))
	a.RedirectURIs, a.PostLogoutRedirectURIs = nonNil(a.RedirectURIs), nonNil(a.PostLogoutRedirectURIs)
	a.GrantTypes, err = checkGrants(a.Type, a.GrantTypes)
	errs = append(errs, err)
	a.TokenEndpointAuthMethod, err = checkAuthMethod(a.Type, a.TokenEndpointAuthMethod)
	errs = append(errs, err)
	if err == nil {
		errs = append(errs, a.checkKeys())
	}
	errs = append(errs, a.checkTokens())
	a.ManagementScopes = nonNil(a.ManagementScopes)
	if a.InitiateLoginURI != "" {
		switch {
		case a.Type == AppService:
			errs = append(errs, invalid.Field("initiate_login_uri", "service apps have no users to send back"))
		default:
			errs = append(errs, checkRedirectURI("initiate_login_uri", a.InitiateLoginURI, a.Type))
		}
	}
	a.Tags, err = checkTags(a.Tags)
	errs = append(errs, err)
	return a, errors.Join(errs...)
}

// checkRedirectURIs checks a list of redirect URIs of an app of type typ.
func checkRedirectURIs(field string, uris []string, typ AppType, required bool) error {
	switch {
	case typ == AppService && len(uris) > 0:
		return invalid.Field(field, "service apps have no redirect URIs")
	case required && len(uris) == 0:
		return invalid.Field(field, "%s apps need at least one", typ)
	case len(uris) > MaxRedirectURIs:
		return invalid.Field(field, "must have at most %d entries, not %d", MaxRedirectURIs, len(uris))
	}
	var errs []error
	for i, u := range uris {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := checkRedirectURI(f, u, typ); err != nil {
			errs = append(errs, err)
		} else if slices.Index(uris, u) < i {
			errs = append(errs, invalid.Field(f, "appears twice"))
		}
	}
	return errors.Join(errs...)
}

// checkGrants checks grant types against the app type and fills in the
// default when none are given.
func checkGrants(typ AppType, grants []string) ([]string, error) {
	if len(grants) == 0 {
		if typ == AppService {
			return []string{GrantClientCredentials}, nil
		}
		return []string{GrantAuthorizationCode, GrantRefreshToken}, nil
	}
	var errs []error
	for i, g := range grants {
		f := fmt.Sprintf("grant_types[%d]", i)
		switch {
		case g == "implicit" || g == "password":
			errs = append(errs, invalid.Field(f, "the %s grant is not supported (OAuth 2.1 removed it)", g))
		case !slices.Contains(allowedGrants[typ], g):
			errs = append(errs, invalid.Field(f, "%q is not a grant type %s apps may use (allowed: %v)", g, typ, allowedGrants[typ]))
		case slices.Index(grants, g) < i:
			errs = append(errs, invalid.Field(f, "appears twice"))
		}
	}
	if slices.Contains(grants, GrantRefreshToken) &&
		!slices.Contains(grants, GrantAuthorizationCode) && !slices.Contains(grants, GrantDeviceCode) {
		errs = append(errs, invalid.Field("grant_types", "refresh_token needs a grant that issues refresh tokens (authorization_code or device_code)"))
	}
	return grants, errors.Join(errs...)
}

// checkAuthMethod checks the token endpoint authentication method against
// the app type and fills in the default when it is empty.
func checkAuthMethod(typ AppType, m string) (string, error) {
	if typ.Public() {
		if m == "" || m == AuthNone {
			return AuthNone, nil
		}
		return m, invalid.Field("token_endpoint_auth_method", "%s apps are public clients: the method must be %q", typ, AuthNone)
	}
	switch m {
	case "":
		return AuthClientSecretBasic, nil
	case AuthClientSecretBasic, AuthClientSecretPost, AuthPrivateKeyJWT:
		return m, nil
	}
	return m, invalid.Field("token_endpoint_auth_method", "%s apps must authenticate with %q, %q or %q", typ,
		AuthClientSecretBasic, AuthClientSecretPost, AuthPrivateKeyJWT)
}
