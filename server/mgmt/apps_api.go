package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// GrantRevoker ends grants (refresh and access tokens); the OpenID
// provider implements it. Both methods write in the caller's transaction
// and report how many grants they ended. RevokeClientGrants ends every
// grant of a client; RevokeGrants ends a user's, of every client when
// clientID is "", recording reason (one of the oidc.Revoked… values).
type GrantRevoker interface {
	RevokeClientGrants(ctx context.Context, tx store.Tx, tenantID, clientID string) (int64, error)
	RevokeGrants(ctx context.Context, tx store.Tx, tenantID, userID, clientID, reason string) (int64, error)
}

// AppView is an app (OAuth client) as the API shows it: never its secret.
type AppView struct {
	ID                      string    `json:"id" doc:"The client_id"`
	TenantID                string    `json:"tenant_id"`
	Name                    string    `json:"name"`
	Type                    string    `json:"type" enum:"web,spa,native,service"`
	RedirectURIs            []string  `json:"redirect_uris"`
	PostLogoutRedirectURIs  []string  `json:"post_logout_redirect_uris"`
	GrantTypes              []string  `json:"grant_types"`
	TokenEndpointAuthMethod string    `json:"token_endpoint_auth_method"`
	JWKS                    any       `json:"jwks,omitempty" doc:"The client's public keys (JWK Set), for private_key_jwt"`
	JWKSURI                 string    `json:"jwks_uri,omitempty"`
	IDTokenAlg              string    `json:"id_token_signed_response_alg,omitempty"`
	ConsentRequired         bool      `json:"consent_required"`
	ManagementScopes        []string  `json:"management_scopes"`
	InitiateLoginURI        string    `json:"initiate_login_uri,omitempty" doc:"Where the app starts a sign-in of its own (OpenID Connect's initiate_login_uri): people who activate an account for this app are sent there"`
	Tags                    []string  `json:"tags"`
	CreatedAt               time.Time `json:"created_at"`
	UpdatedAt               time.Time `json:"updated_at"`
}

func appView(a tenant.App) AppView {
	v := AppView{
		ID: a.ID, TenantID: a.TenantID, Name: a.Name, Type: string(a.Type),
		RedirectURIs: nonNil(a.RedirectURIs), PostLogoutRedirectURIs: nonNil(a.PostLogoutRedirectURIs),
		GrantTypes: nonNil(a.GrantTypes), TokenEndpointAuthMethod: a.TokenEndpointAuthMethod, Tags: nonNil(a.Tags),
		JWKSURI: a.JWKSURI, IDTokenAlg: a.IDTokenAlg, ConsentRequired: a.ConsentRequired,
		ManagementScopes: nonNil(a.ManagementScopes), InitiateLoginURI: a.InitiateLoginURI, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
	if a.JWKS != "" {
		v.JWKS = json.RawMessage(a.JWKS)
	}
	return v
}

// jwksText encodes a JWK Set given in a request for the tenant service,
// which validates it; nil stays "".
func jwksText(v map[string]any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", invalid.Field("jwks", "cannot be encoded")
	}
	return string(b), nil
}

// checkManagementScopes refuses management scopes an app may not hold:
// unknown ones, and ones the caller does not hold itself (no escalation
// through an app).
func checkManagementScopes(p *Principal, scopes []string) error {
	var errs []error
	for i, s := range scopes {
		switch {
		case !slices.Contains(AllScopes, Scope(s)):
			errs = append(errs, invalid.Field(fmt.Sprintf("management_scopes[%d]", i), "%q is not a management scope", s))
		case !p.Token.Has(Scope(s)):
			errs = append(errs, invalid.Field(fmt.Sprintf("management_scopes[%d]", i), "the caller does not hold %s", s))
		}
	}
	return errors.Join(errs...)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// CreatedAppView is the answer to creating an app: the only time the
// client secret is shown.
type CreatedAppView struct {
	AppView
	ClientSecret string `json:"client_secret,omitempty" doc:"Shown once; confidential clients only. Store it now."`
}

// SecretView describes a client secret without revealing it.
type SecretView struct {
	ID         string     `json:"id"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty" doc:"When an older secret stops working after a rotation"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// AppPath names an app of a tenant.
type AppPath struct {
	TenantPath
	App string `path:"app" maxLength:"64" doc:"App ID (client_id)"`
}

type appInputBody struct {
	Name                    string         `json:"name" minLength:"1" maxLength:"100"`
	Type                    string         `json:"type" enum:"web,spa,native,service"`
	RedirectURIs            []string       `json:"redirect_uris,omitempty" maxItems:"50"`
	PostLogoutRedirectURIs  []string       `json:"post_logout_redirect_uris,omitempty" maxItems:"50"`
	GrantTypes              []string       `json:"grant_types,omitempty" maxItems:"10"`
	TokenEndpointAuthMethod string         `json:"token_endpoint_auth_method,omitempty" enum:"client_secret_basic,client_secret_post,private_key_jwt,none"`
	JWKS                    map[string]any `json:"jwks,omitempty" doc:"Public keys (JWK Set) of a private_key_jwt client"`
	JWKSURI                 string         `json:"jwks_uri,omitempty" maxLength:"2000" doc:"Where a private_key_jwt client publishes its keys (https)"`
	IDTokenAlg              string         `json:"id_token_signed_response_alg,omitempty" enum:"RS256,ES256,EdDSA"`
	ConsentRequired         bool           `json:"consent_required,omitempty" doc:"A third-party app: users consent to its scopes"`
	ManagementScopes        []string       `json:"management_scopes,omitempty" maxItems:"50" doc:"Management API scopes a private_key_jwt service app may request from the system tenant's default authorization server"`
	InitiateLoginURI        string         `json:"initiate_login_uri,omitempty" maxLength:"2000" doc:"Where the app starts a sign-in of its own (OpenID Connect's initiate_login_uri): after activating an account for this app, people are sent there with iss and login_hint (never a credential) and the app begins a normal PKCE flow. https (http on loopback), or a reverse-DNS custom scheme for native apps; none for service apps"`
	Tags                    []string       `json:"tags,omitempty" maxItems:"20"`
}

type appPatchBody struct {
	Name                    *string         `json:"name,omitempty" minLength:"1" maxLength:"100"`
	RedirectURIs            *[]string       `json:"redirect_uris,omitempty" maxItems:"50"`
	PostLogoutRedirectURIs  *[]string       `json:"post_logout_redirect_uris,omitempty" maxItems:"50"`
	GrantTypes              *[]string       `json:"grant_types,omitempty" maxItems:"10"`
	TokenEndpointAuthMethod *string         `json:"token_endpoint_auth_method,omitempty" enum:"client_secret_basic,client_secret_post,private_key_jwt,none"`
	JWKS                    *map[string]any `json:"jwks,omitempty" doc:"Public keys (JWK Set); an empty object removes them"`
	JWKSURI                 *string         `json:"jwks_uri,omitempty" maxLength:"2000"`
	IDTokenAlg              *string         `json:"id_token_signed_response_alg,omitempty" enum:"RS256,ES256,EdDSA"`
	ConsentRequired         *bool           `json:"consent_required,omitempty"`
	ManagementScopes        *[]string       `json:"management_scopes,omitempty" maxItems:"50"`
	InitiateLoginURI        *string         `json:"initiate_login_uri,omitempty" maxLength:"2000" doc:"As on creation; an empty string removes it"`
	Tags                    *[]string       `json:"tags,omitempty" maxItems:"20"`
}

func (a *API) registerApps() {
	const tag = "Apps"
	base := Prefix + "/tenants/{tenant}/apps"
	register(a, Route{ID: "list-apps", Method: http.MethodGet, Path: base, Scope: ScopeAppsRead}, tag, "List apps, optionally by name and tag",
		func(ctx context.Context, in *struct {
			TenantPath
			Page
			Name string `query:"name" maxLength:"100" doc:"Case-insensitive substring of the name"`
			Tag  string `query:"tag" maxLength:"40"`
		}) (*Out[List[AppView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]tenant.App, string, error) {
				return a.Tenants.ListApps(ctx, tx, principal(ctx).Target.ID, tenant.AppFilter{Name: in.Name, Tag: in.Tag, After: in.After, Limit: in.limit()})
			}, appView)
		})
	register(a, Route{ID: "create-app", Method: http.MethodPost, Path: base, Scope: ScopeAppsWrite, Status: http.StatusCreated}, tag, "Create an app; a confidential client's secret is in the answer, once",
		func(ctx context.Context, in *struct {
			TenantPath
			Body appInputBody
		}) (*struct{ Body CreatedAppView }, error) {
			b := in.Body
			var app tenant.App
			var secret string
			err := a.change(ctx, "app.created", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				jwks, err := jwksText(b.JWKS)
				if err != nil {
					return err
				}
				if err := checkManagementScopes(principal(ctx), b.ManagementScopes); err != nil {
					return err
				}
				app, secret, err = a.Tenants.CreateApp(ctx, tx, principal(ctx).Target.ID, tenant.AppInput{
					Name: b.Name, Type: tenant.AppType(b.Type), RedirectURIs: b.RedirectURIs, PostLogoutRedirectURIs: b.PostLogoutRedirectURIs,
					GrantTypes: b.GrantTypes, TokenEndpointAuthMethod: b.TokenEndpointAuthMethod, Tags: b.Tags,
					JWKS: jwks, JWKSURI: b.JWKSURI, IDTokenAlg: b.IDTokenAlg, ConsentRequired: b.ConsentRequired,
					ManagementScopes: b.ManagementScopes, InitiateLoginURI: b.InitiateLoginURI,
				})
				ev.Target = events.Ref{Type: "app", ID: app.ID}
				return err
			})
			return &struct{ Body CreatedAppView }{CreatedAppView{AppView: appView(app), ClientSecret: secret}}, err
		})
	register(a, Route{ID: "get-app", Method: http.MethodGet, Path: base + "/{app}", Scope: ScopeAppsRead}, tag, "Get an app",
		func(ctx context.Context, in *AppPath) (*Out[AppView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (tenant.App, error) {
				return a.Tenants.App(ctx, tx, principal(ctx).Target.ID, in.App)
			}, appView)
		})
	register(a, Route{ID: "update-app", Method: http.MethodPatch, Path: base + "/{app}", Scope: ScopeAppsWrite}, tag, "Change an app; fields left out stay as they are",
		func(ctx context.Context, in *struct {
			AppPath
			Body appPatchBody
		}) (*Out[AppView], error) {
			b := in.Body
			return changed(a, ctx, "app.updated", ref[tenant.App]("app", in.App),
				func(ctx context.Context, tx store.Tx, ev *events.Event) (tenant.App, error) {
					ev.Details = map[string]any{"fields": patchedFields(b)}
					var jwks *string
					if b.JWKS != nil {
						text := ""
						if len(*b.JWKS) > 0 {
							var err error
							if text, err = jwksText(*b.JWKS); err != nil {
								return tenant.App{}, err
							}
						}
						jwks = &text
					}
					if b.ManagementScopes != nil {
						if err := checkManagementScopes(principal(ctx), *b.ManagementScopes); err != nil {
							return tenant.App{}, err
						}
					}
					return a.Tenants.UpdateApp(ctx, tx, principal(ctx).Target.ID, in.App, tenant.AppPatch{
						Name: b.Name, RedirectURIs: b.RedirectURIs, PostLogoutRedirectURIs: b.PostLogoutRedirectURIs,
						GrantTypes: b.GrantTypes, TokenEndpointAuthMethod: b.TokenEndpointAuthMethod, Tags: b.Tags,
						JWKS: jwks, JWKSURI: b.JWKSURI, IDTokenAlg: b.IDTokenAlg, ConsentRequired: b.ConsentRequired,
						ManagementScopes: b.ManagementScopes, InitiateLoginURI: b.InitiateLoginURI,
					})
				}, appView)
		})
	register(a, Route{ID: "delete-app", Method: http.MethodDelete, Path: base + "/{app}", Scope: ScopeAppsWrite, Status: http.StatusNoContent}, tag, "Delete an app",
		func(ctx context.Context, in *AppPath) (*struct{}, error) {
			return deleted(a, ctx, "app.deleted", events.Ref{Type: "app", ID: in.App}, func(ctx context.Context, tx store.Tx) error {
				if err := a.Tenants.DeleteApp(ctx, tx, principal(ctx).Target.ID, in.App); err != nil {
					return err
				}
				if a.Policies != nil {
					// The app's sign-on policy goes with it.
					if err := a.Policies.ForgetApp(ctx, tx, principal(ctx).Target.ID, in.App); err != nil {
						return err
					}
				}
				if a.Grants == nil {
					return nil
				}
				// A deleted client's tokens end with it.
				_, err := a.Grants.RevokeClientGrants(ctx, tx, principal(ctx).Target.ID, in.App)
				return err
			})
		})
	register(a, Route{ID: "list-app-secrets", Method: http.MethodGet, Path: base + "/{app}/secrets", Scope: ScopeAppsRead}, tag, "List an app's client secrets (never their values)",
		func(ctx context.Context, in *AppPath) (*Out[List[SecretView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]tenant.SecretInfo, string, error) {
				ss, err := a.Tenants.AppSecrets(ctx, tx, principal(ctx).Target.ID, in.App)
				return ss, "", err
			}, func(s tenant.SecretInfo) SecretView { return SecretView(s) })
		})
	register(a, Route{ID: "rotate-app-secret", Method: http.MethodPost, Path: base + "/{app}/secrets", Scope: ScopeAppsWrite, Status: http.StatusCreated}, tag, "Issue a new client secret; older ones keep working for the overlap window",
		func(ctx context.Context, in *struct {
			AppPath
			Body struct {
				OverlapSeconds int `json:"overlap_seconds" minimum:"0" maximum:"2592000" doc:"How long older secrets keep working (0 revokes them now; at most 30 days)"`
			}
		}) (*struct {
			Body struct {
				ClientSecret string `json:"client_secret" doc:"Shown once"`
			}
		}, error) {
			out := &struct {
				Body struct {
					ClientSecret string `json:"client_secret" doc:"Shown once"`
				}
			}{}
			err := a.change(ctx, "app.secret.rotated", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				ev.Target = events.Ref{Type: "app", ID: in.App}
				ev.Details = map[string]any{"overlap_seconds": in.Body.OverlapSeconds}
				var err error
				out.Body.ClientSecret, err = a.Tenants.RotateAppSecret(ctx, tx, principal(ctx).Target.ID, in.App, time.Duration(in.Body.OverlapSeconds)*time.Second)
				return err
			})
			return out, err
		})
}

// patchedFields names the fields a PATCH body set, for the system log
// (never their values: they may be personal or sensitive).
func patchedFields(b appPatchBody) []string {
	var f []string
	add := func(set bool, name string) {
		if set {
			f = append(f, name)
		}
	}
	add(b.Name != nil, "name")
	add(b.RedirectURIs != nil, "redirect_uris")
	add(b.PostLogoutRedirectURIs != nil, "post_logout_redirect_uris")
	add(b.GrantTypes != nil, "grant_types")
	add(b.TokenEndpointAuthMethod != nil, "token_endpoint_auth_method")
	add(b.InitiateLoginURI != nil, "initiate_login_uri")
	add(b.Tags != nil, "tags")
	return f
}
