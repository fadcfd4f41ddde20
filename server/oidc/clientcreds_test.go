package oidc_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// clientCredentialsCase is one client_credentials request at acme.
type clientCredentialsCase struct {
	name  string
	setup func(t *testing.T, w *world) (url.Values, http.Header)
	// client is the app a successful answer is for.
	client string
	status int
	want   oidc.Error
}

var clientCredentialsCases = []clientCredentialsCase{
	{name: "issues a service app a token of its own with client_secret_basic", setup: clientCredentials("service", ""), client: "service", status: 200},
	{name: "issues a service app a token of its own with client_secret_post", setup: clientCredentials("service-post", ""), client: "service-post", status: 200},
	{name: "issues a service app a token of its own with private_key_jwt", setup: assertionReq{app: "jwt-es"}.setup, client: "jwt-es", status: 200},
	{name: "refuses a web app", setup: clientCredentials("web", ""), status: 400, want: oidc.ErrUnauthorizedClient},
	{name: "refuses a public SPA client", setup: clientCredentials("spa", ""), status: 400, want: oidc.ErrUnauthorizedClient},
	{name: "refuses a public native client", setup: clientCredentials("native", ""), status: 400, want: oidc.ErrUnauthorizedClient},
	{name: "refuses a user scope", setup: clientCredentials("service", "openid"), status: 400, want: oidc.ErrInvalidScope},
	{name: "refuses offline_access", setup: clientCredentials("service", "offline_access"), status: 400, want: oidc.ErrInvalidScope},
	{name: "refuses a management scope at a tenant's own server", setup: clientCredentials("service", "mgmt.users:read"),
		status: 400, want: oidc.ErrInvalidScope},
	{name: "refuses a wrong client secret", status: 401, want: oidc.ErrInvalidClient,
		setup: func(_ *testing.T, w *world) (url.Values, http.Header) {
			return url.Values{"grant_type": {"client_credentials"}}, http.Header{"Authorization": {basic(w.apps["service"].ID, "lsec_wrong")}}
		}},
	{name: "refuses a service app naming itself without its secret", status: 401, want: oidc.ErrInvalidClient,
		setup: func(_ *testing.T, w *world) (url.Values, http.Header) {
			return url.Values{"grant_type": {"client_credentials"}, "client_id": {w.apps["service"].ID}}, nil
		}},
	{name: "refuses a service app of another tenant", status: 401, want: oidc.ErrInvalidClient,
		setup: func(_ *testing.T, w *world) (url.Values, http.Header) {
			return url.Values{"grant_type": {"client_credentials"}},
				http.Header{"Authorization": {basic(w.apps["globex-service"].ID, w.apps["globex-service"].secret)}}
		}},
}

func TestClientCredentials(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			w.addKeyApps(t)
			w.addApp(t, w.iss.TenantID, "service-post", tenant.AppInput{Name: "Service post", Type: tenant.AppService,
				TokenEndpointAuthMethod: tenant.AuthClientSecretPost})
			w.addApp(t, w.other.TenantID, "globex-service", tenant.AppInput{Name: "Service", Type: tenant.AppService})
			for _, tc := range clientCredentialsCases {
				t.Run(tc.name, func(t *testing.T) {
					form, h := tc.setup(t, w)
					rec := w.post(w.iss, form, h)
					checkTokenResponse(t, w, rec, tc.status, tc.want)
					if tc.status != http.StatusOK || rec.Code != http.StatusOK {
						return
					}
					body := decode(t, rec)
					for _, k := range []string{"refresh_token", "id_token"} {
						if body[k] != nil {
							t.Errorf("a client credentials answer carries %s", k)
						}
					}
					if body["token_type"] != "Bearer" || body["scope"] != "" {
						t.Errorf("token_type %v, scope %v", body["token_type"], body["scope"])
					}
					id := w.apps[tc.client].ID
					at, err := w.p.VerifyAccessToken(context.Background(), w.iss, body["access_token"].(string))
					switch {
					case err != nil:
						t.Fatalf("VerifyAccessToken: %v", err)
					case at.Subject != id || at.ClientID != id || at.GrantID != "" || at.TenantID != w.iss.TenantID || len(at.Scopes) != 0:
						t.Errorf("access token %+v, want subject and client %s of tenant %s", at, id, w.iss.TenantID)
					}
					// Revoked by its client, it ends.
					rf := url.Values{"token": {body["access_token"].(string)}}
					checkAnswer(t, w.revoke(w.iss, rf, w.asAt(t, w.iss, tc.client, rf)), 200, oidc.Error{})
					if _, err := w.p.VerifyAccessToken(context.Background(), w.iss, body["access_token"].(string)); !errors.Is(err, oidc.ErrTokenInactive) {
						t.Errorf("revoked token: %v, want ErrTokenInactive", err)
					}
				})
			}
		})
	}
}

// mgmtCase is one client_credentials request for management scopes. The
// request goes to the system tenant's default server unless atTenant; a
// private_key_jwt app signs with the ES256 key an assertion for the
// server's issuer (acme's when audTenant).
type mgmtCase struct {
	name, app           string
	atTenant, audTenant bool
	scope               string
	form                func(f url.Values)
	status              int
	want                oidc.Error
	// wantScope is the scope granted; wantTID the tid claim ("acme",
	// "system", or "" for none); wantTenant the tenant the token acts for.
	wantScope, wantTID, wantTenant string
}

var mgmtCases = []mgmtCase{
	{name: "grants a management scope to a service app of another tenant", app: "mgmt", scope: "mgmt.users:read",
		status: 200, wantScope: "mgmt.users:read", wantTID: "acme", wantTenant: "acme"},
	{name: "grants every management scope the app holds when none is asked", app: "mgmt",
		status: 200, wantScope: "mgmt.users:read", wantTID: "acme", wantTenant: "acme"},
	{name: "grants management scopes to an app of the system tenant", app: "sys-mgmt", scope: "mgmt.apps:write",
		status: 200, wantScope: "mgmt.apps:write", wantTID: "system", wantTenant: "system"},
	{name: "refuses a management scope the app does not hold", app: "mgmt", scope: "mgmt.apps:write",
		status: 400, want: oidc.ErrInvalidScope},
	{name: "refuses a held and an unheld management scope together", app: "mgmt", scope: "mgmt.users:read mgmt.apps:write",
		status: 400, want: oidc.ErrInvalidScope},
	{name: "refuses a management scope without its prefix", app: "mgmt", scope: "users:read", status: 400, want: oidc.ErrInvalidScope},
	{name: "refuses a user scope", app: "mgmt", scope: "openid", status: 400, want: oidc.ErrInvalidScope},
	{name: "refuses management scopes to a client_secret app of the system tenant", app: "sys-service", scope: "mgmt.users:read",
		status: 400, want: oidc.ErrInvalidScope},
	{name: "issues a client_secret app of the system tenant a token without management scopes", app: "sys-service",
		status: 200, wantScope: "", wantTenant: "system"},
	{name: "does not know a private_key_jwt app of another tenant without management scopes", app: "jwt-es",
		scope: "mgmt.users:read", status: 401, want: oidc.ErrInvalidClient},
	{name: "does not know a client_secret app of another tenant", app: "service", status: 401, want: oidc.ErrInvalidClient},
	{name: "does not know an app with management scopes for other grants", app: "mgmt", status: 401, want: oidc.ErrInvalidClient,
		form: func(f url.Values) {
			f.Set("grant_type", "refresh_token")
			f.Set("refresh_token", oidc.RefreshTokenPrefix+"x")
		}},
	{name: "refuses an assertion made for the app's own tenant", app: "mgmt", audTenant: true, scope: "mgmt.users:read",
		status: 401, want: oidc.ErrInvalidClient},
	{name: "issues no management scopes at the app's own tenant", app: "mgmt", atTenant: true, audTenant: true,
		scope: "mgmt.users:read", status: 400, want: oidc.ErrInvalidScope},
	{name: "issues a plain token at the app's own tenant", app: "mgmt", atTenant: true, audTenant: true,
		status: 200, wantScope: "", wantTenant: "acme"},
}

func TestManagementScopes(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			system := w.addSystem(t)
			tenants := map[string]string{"acme": w.iss.TenantID, "system": system.TenantID}
			for _, tc := range mgmtCases {
				t.Run(tc.name, func(t *testing.T) {
					iss, aud := system, system
					if tc.atTenant {
						iss = w.iss
					}
					if tc.audTenant {
						aud = w.iss
					}
					form := url.Values{"grant_type": {"client_credentials"}}
					if tc.scope != "" {
						form.Set("scope", tc.scope)
					}
					var h http.Header
					if w.apps[tc.app].TokenEndpointAuthMethod == tenant.AuthPrivateKeyJWT {
						withAssertion(form, key("es").sign(t, w.assertionClaims(tc.app, aud), nil))
					} else {
						h = w.authAs(tc.app, form)
					}
					if tc.form != nil {
						tc.form(form)
					}
					rec := w.post(iss, form, h)
					checkTokenResponse(t, w, rec, tc.status, tc.want)
					if tc.status != http.StatusOK || rec.Code != http.StatusOK {
						return
					}
					raw := decode(t, rec)["access_token"].(string)
					ctx := context.Background()
					at, err := w.p.VerifyAccessToken(ctx, iss, raw)
					if err != nil {
						t.Fatalf("VerifyAccessToken: %v", err)
					}
					id := w.apps[tc.app].ID
					if at.Subject != id || at.ClientID != id || at.TenantID != tenants[tc.wantTenant] ||
						!slices.Equal(at.Scopes, strings.Fields(tc.wantScope)) {
						t.Errorf("access token %+v, want client %s, tenant %s, scope %q", at, id, tc.wantTenant, tc.wantScope)
					}
					c := jwt.MapClaims{}
					if _, _, err := jwt.NewParser().ParseUnverified(raw, c); err != nil {
						t.Fatal(err)
					}
					if tid, _ := c["tid"].(string); tid != tenants[tc.wantTID] {
						t.Errorf("tid %q, want %s's %q", tid, tc.wantTID, tenants[tc.wantTID])
					}
					// A token of one server is no access token of another.
					for _, other := range []oidc.Issuer{w.iss, system, w.other} {
						if other.URL == iss.URL && other.TenantID == iss.TenantID {
							continue
						}
						if _, err := w.p.VerifyAccessToken(ctx, other, raw); !errors.Is(err, oidc.ErrTokenInactive) {
							t.Errorf("VerifyAccessToken at %s: %v, want ErrTokenInactive", other.URL, err)
						}
					}
				})
			}
		})
	}
}

// addSystem creates the system tenant with apps "sys-mgmt" (management
// scopes apps:write and users:read, private_key_jwt) and "sys-service"
// (client_secret_basic), adds acme's key apps, "mgmt", a service app of
// acme with management scope users:read, and "globex-mgmt", its like in
// globex, and returns the issuer of the system tenant's default server.
func (w *world) addSystem(t *testing.T) oidc.Issuer {
	t.Helper()
	w.addKeyApps(t)
	var sys tenant.Tenant
	w.tx(t, func(ctx context.Context, tx store.Tx) error {
		var err error
		sys, err = w.ten.EnsureSystem(ctx, tx)
		return err
	})
	w.addApp(t, w.iss.TenantID, "mgmt", tenant.AppInput{Name: "Terraform", Type: tenant.AppService,
		TokenEndpointAuthMethod: tenant.AuthPrivateKeyJWT, JWKS: jwksOf(key("es")), ManagementScopes: []string{"users:read"}})
	w.addApp(t, sys.ID, "sys-mgmt", tenant.AppInput{Name: "Operator", Type: tenant.AppService,
		TokenEndpointAuthMethod: tenant.AuthPrivateKeyJWT, JWKS: jwksOf(key("es")), ManagementScopes: []string{"apps:write", "users:read"}})
	w.addApp(t, sys.ID, "sys-service", tenant.AppInput{Name: "Service", Type: tenant.AppService})
	w.addApp(t, w.other.TenantID, "globex-mgmt", tenant.AppInput{Name: "Terraform", Type: tenant.AppService,
		TokenEndpointAuthMethod: tenant.AuthPrivateKeyJWT, JWKS: jwksOf(key("es")), ManagementScopes: []string{"users:read"}})
	return oidc.Issuer{TenantID: sys.ID, Server: oidc.DefaultServer, URL: "https://id.example.com/oauth2/default"}
}

// mgmtToken gets a management token for app (private_key_jwt, ES256 key)
// at the system server.
func (w *world) mgmtToken(t *testing.T, system oidc.Issuer, app string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	withAssertion(form, key("es").sign(t, w.assertionClaims(app, system), nil))
	rec := w.post(system, form, nil)
	checkTokenResponse(t, w, rec, 200, oidc.Error{})
	return decode(t, rec)["access_token"].(string)
}

// asAt adds app's credentials for a request to iss: an assertion for
// private_key_jwt apps (ES256 key), else as authAs.
func (w *world) asAt(t *testing.T, iss oidc.Issuer, app string, form url.Values) http.Header {
	t.Helper()
	h := w.authAs(app, form)
	if w.apps[app].TokenEndpointAuthMethod == tenant.AuthPrivateKeyJWT {
		withAssertion(form, key("es").sign(t, w.assertionClaims(app, iss), nil))
	}
	return h
}

// TestManagementTokenIntrospection introspects management tokens at the
// system tenant's server (RFC 7662): a client sees those of its own
// tenant, a client of the system tenant all of them.
func TestManagementTokenIntrospection(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			system := w.addSystem(t)
			for _, tc := range []struct {
				name, owner, caller string
				status              int
				want                oidc.Error
				active              bool
			}{
				{name: "describes a management token to its own client", owner: "mgmt", caller: "mgmt", status: 200, active: true},
				{name: "describes a management token to a client of the system tenant", owner: "mgmt", caller: "sys-service", status: 200, active: true},
				{name: "hides another tenant's management token from a management client", owner: "globex-mgmt", caller: "mgmt", status: 200},
				{name: "does not know a client of another tenant without management scopes", owner: "mgmt", caller: "jwt-es",
					status: 401, want: oidc.ErrInvalidClient},
			} {
				t.Run(tc.name, func(t *testing.T) {
					raw := w.mgmtToken(t, system, tc.owner)
					form := url.Values{"token": {raw}}
					rec := w.introspect(system, form, w.asAt(t, system, tc.caller, form))
					checkAnswer(t, rec, tc.status, tc.want)
					if rec.Code != http.StatusOK {
						return
					}
					body := decode(t, rec)
					if body["active"] != tc.active {
						t.Fatalf("active %v, want %v: %v", body["active"], tc.active, body)
					}
					owner := w.apps[tc.owner]
					if tc.active && (body["client_id"] != owner.ID || body["tid"] != owner.TenantID) {
						t.Errorf("client_id %v, tid %v, want %s of %s", body["client_id"], body["tid"], owner.ID, owner.TenantID)
					}
				})
			}
		})
	}
}

// TestManagementTokenRevocation revokes a management token at the system
// tenant's server (RFC 7009): its own client may, others may not.
func TestManagementTokenRevocation(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			system := w.addSystem(t)
			for _, tc := range []struct {
				name, caller string
				status       int
				want         oidc.Error
			}{
				{name: "lets a management client of another tenant revoke its own token", caller: "mgmt", status: 200},
				{name: "refuses a client of the system tenant revoking another client's token", caller: "sys-service",
					status: 400, want: oidc.ErrUnauthorizedClient},
				{name: "refuses a management client of another tenant revoking the token", caller: "globex-mgmt",
					status: 400, want: oidc.ErrUnauthorizedClient},
				{name: "does not know a client of another tenant without management scopes", caller: "jwt-es",
					status: 401, want: oidc.ErrInvalidClient},
			} {
				t.Run(tc.name, func(t *testing.T) {
					raw := w.mgmtToken(t, system, "mgmt")
					form := url.Values{"token": {raw}}
					checkAnswer(t, w.revoke(system, form, w.asAt(t, system, tc.caller, form)), tc.status, tc.want)
					_, err := w.p.VerifyAccessToken(context.Background(), system, raw)
					if revoked := errors.Is(err, oidc.ErrTokenInactive); revoked != (tc.status == http.StatusOK) {
						t.Errorf("after revocation answered %d, VerifyAccessToken: %v", tc.status, err)
					}
				})
			}
		})
	}
}
