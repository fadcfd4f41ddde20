package edge

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/scim"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// scimWorld is a site world that serves SCIM, with a service app granted
// every SCIM scope of acme's default server.
type scimWorld struct {
	*siteWorld
	clk         *clock.Fake
	robot       tenant.App
	robotSecret string
}

func newSCIMWorld(t *testing.T, b storetest.Backend) *scimWorld {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	w := buildSiteWorld(t, b, clk, worldOptions{config: func(cfg *Config) {
		// As cmd/lintel wires it.
		cfg.SCIM = scim.New(scim.Deps{Store: cfg.Engine.Store, Directory: cfg.Engine.Directory, Events: cfg.Engine.Events, Clock: clk,
			Logger: cfg.Logger, Authorize: SCIMAuthorizer{OIDC: cfg.OIDC}})
	}})
	sw := &scimWorld{siteWorld: w, clk: clk}
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		if sw.robot, sw.robotSecret, err = w.tenants.CreateApp(ctx, tx, w.acme.ID, tenant.AppInput{Name: "HR sync", Type: tenant.AppService}); err != nil {
			return err
		}
		return sw.grant(ctx, tx, []string{authserver.KindMachine}, sw.robot.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	return sw
}

// grant sets the kinds and clients of every SCIM scope of acme's default
// server.
func (w *scimWorld) grant(ctx context.Context, tx store.Tx, kinds []string, clients ...string) error {
	def, err := w.authz.EnsureDefault(ctx, tx, w.acme.ID)
	if err != nil {
		return err
	}
	scopes, err := w.authz.Scopes(ctx, tx, w.acme.ID, def.ID)
	if err != nil {
		return err
	}
	for _, sc := range scopes {
		if slices.Contains(authserver.SCIMScopeNames, sc.Name) {
			if _, err := w.authz.UpdateScope(ctx, tx, w.acme.ID, def.ID, sc.ID, authserver.ScopePatch{Kinds: &kinds, Clients: &clients}); err != nil {
				return err
			}
		}
	}
	return nil
}

// token gets an access token with scope from a server of acme's site, by
// client credentials with HTTP Basic authentication.
func (w *scimWorld) token(t *testing.T, server, clientID, secret, scope string) string {
	t.Helper()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(clientID)+":"+url.QueryEscape(secret)))
	status, _, body := postForm(t, w.srv.Client(), w.srv.URL+"/oauth2/"+server+"/v1/token",
		url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}, "Authorization", basic)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(body), &tok); status != http.StatusOK || err != nil || tok.AccessToken == "" {
		t.Fatalf("token of %s for %q: %d %s", server, scope, status, body)
	}
	return tok.AccessToken
}

// personToken signs alice in at the world's web app asking for scope and
// returns the access token.
func (w *scimWorld) personToken(t *testing.T, scope string) string {
	t.Helper()
	c := w.browser(t)
	verifier, challenge := pkce("p")
	final, _ := w.signIn(t, c, w.authorizeURL(challenge, "scope", scope), alice, alicePass)
	cb, err := url.Parse(final)
	if err != nil || cb.Query().Get("code") == "" {
		t.Fatalf("sign-in ended at %q", final)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(w.app.ID)+":"+url.QueryEscape(w.secret)))
	status, _, body := postForm(t, c, w.srv.URL+"/oauth2/default/v1/token", url.Values{"grant_type": {"authorization_code"},
		"code": {cb.Query().Get("code")}, "redirect_uri": {rpCallback}, "code_verifier": {verifier}}, "Authorization", basic)
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	if err := json.Unmarshal([]byte(body), &tok); status != http.StatusOK || err != nil || !strings.Contains(tok.Scope, scim.ScopeUsersRead) {
		t.Fatalf("person's token: %d %s", status, body)
	}
	return tok.AccessToken
}

// scim sends a SCIM request to acme's site with a bearer token ("" for
// none) and more headers as name, value pairs.
func (w *scimWorld) scim(t *testing.T, method, path, token, body string, header ...string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, w.srv.URL+SCIMPrefix+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if h := req.Header.Get("Host"); h != "" {
		req.Host = h
	}
	status, hdr, raw := do(t, w.srv.Client(), req)
	var v map[string]any
	if raw != "" {
		_ = json.Unmarshal([]byte(raw), &v)
	}
	return status, hdr, v
}

// TestSCIMOnTheSite shows SCIM served on a tenant's site and authorized
// by access tokens of the site's default authorization server: a service
// app's client-credentials token with the scope, or a write scope of the
// same resource type; not a person's, not another server's, not an
// expired one. It sits behind host routing, not behind the pages'
// cross-site checks, and builds locations on the site's URL.
func TestSCIMOnTheSite(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newSCIMWorld(t, b)
			all := w.token(t, "default", w.robot.ID, w.robotSecret, strings.Join(authserver.SCIMScopeNames, " "))
			writeGroups := w.token(t, "default", w.robot.ID, w.robotSecret, scim.ScopeGroupsWrite)

			// Another server of the tenant with a scope of the same name.
			err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				orders, err := w.authz.CreateServer(ctx, tx, w.acme.ID, authserver.ServerInput{Name: "orders", IssuerMode: authserver.IssuerDynamic})
				if err != nil {
					return err
				}
				if _, err = w.authz.CreateScope(ctx, tx, w.acme.ID, orders.ID, authserver.ScopeInput{Name: scim.ScopeUsersRead, Kinds: []string{authserver.KindMachine}}); err != nil {
					return err
				}
				pol, err := w.authz.CreatePolicy(ctx, tx, w.acme.ID, orders.ID, authserver.PolicyInput{Name: "All", Priority: 1, Clients: []string{authserver.AllClients}})
				if err != nil {
					return err
				}
				_, err = w.authz.CreateRule(ctx, tx, w.acme.ID, pol.ID, authserver.RuleInput{Name: "Machines", Priority: 1,
					GrantTypes: []string{authserver.GrantClientCredentials}, Scopes: []string{authserver.AnyScope}})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			otherServer := w.token(t, "orders", w.robot.ID, w.robotSecret, scim.ScopeUsersRead)

			// A person may be granted the scope only if an admin says so.
			if err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				return w.grant(ctx, tx, []string{authserver.KindDelegated, authserver.KindMachine}, w.robot.ID, w.app.ID)
			}); err != nil {
				t.Fatal(err)
			}
			person := w.personToken(t, "openid "+scim.ScopeUsersRead)

			for _, tc := range []struct {
				name, method, path, token, body string
				header                          []string
				status                          int
			}{
				{"creates a user with every scope", http.MethodPost, "/Users", all, `{"schemas":["` + scim.SchemaUser + `"],"userName":"bob@example.com"}`, nil, http.StatusCreated},
				{"takes a cross-site request: it is no page", http.MethodPost, "/Groups", all, `{"schemas":["` + scim.SchemaGroup + `"],"displayName":"Ops"}`, []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}, http.StatusCreated},
				{"lets a write scope read its resource type", http.MethodGet, "/Groups", writeGroups, "", nil, http.StatusOK},
				{"does not let it read another", http.MethodGet, "/Users", writeGroups, "", nil, http.StatusForbidden},
				{"does not let it write another", http.MethodPost, "/Users", writeGroups, `{"schemas":["` + scim.SchemaUser + `"],"userName":"eve@example.com"}`, nil, http.StatusForbidden},
				{"refuses another server's token", http.MethodGet, "/Users", otherServer, "", nil, http.StatusUnauthorized},
				{"refuses a person's token", http.MethodGet, "/Users", person, "", nil, http.StatusForbidden},
				{"refuses no token", http.MethodGet, "/Users", "", "", nil, http.StatusUnauthorized},
				{"answers no host it does not serve", http.MethodGet, "/Users", all, "", []string{"Host", "unknown.example"}, http.StatusNotFound},
			} {
				t.Run(tc.name, func(t *testing.T) {
					status, hdr, body := w.scim(t, tc.method, tc.path, tc.token, tc.body, tc.header...)
					if status != tc.status {
						t.Fatalf("%d, want %d: %v", status, tc.status, body)
					}
					switch {
					case status == http.StatusCreated:
						meta, _ := body["meta"].(map[string]any)
						if loc, _ := meta["location"].(string); !strings.HasPrefix(loc, w.srv.URL+SCIMPrefix+"/") || hdr.Get("Location") != loc {
							t.Fatalf("location %q, header %q, want on %s", loc, hdr.Get("Location"), w.srv.URL)
						}
					case status == http.StatusUnauthorized:
						if !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
							t.Fatalf("WWW-Authenticate %q", hdr.Get("WWW-Authenticate"))
						}
					case status == http.StatusNotFound:
						if body != nil {
							t.Fatalf("an unknown host got %v", body)
						}
					}
				})
			}

			t.Run("accepts tokens of a default server with its own audiences", func(t *testing.T) {
				err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
					def, err := w.authz.EnsureDefault(ctx, tx, w.acme.ID)
					if err != nil {
						return err
					}
					_, err = w.authz.UpdateServer(ctx, tx, w.acme.ID, def.ID, authserver.ServerPatch{Audiences: &[]string{"https://scim.acme.example"}})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				w.clk.Advance(time.Minute) // past the provider's cache of servers
				tok := w.token(t, "default", w.robot.ID, w.robotSecret, scim.ScopeUsersRead)
				if status, _, body := w.scim(t, http.MethodGet, "/Users", tok, ""); status != http.StatusOK {
					t.Fatalf("%d: %v", status, body)
				}
				// A token made for the issuer URL is not for these audiences.
				if status, _, _ := w.scim(t, http.MethodGet, "/Users", all, ""); status != http.StatusUnauthorized {
					t.Fatalf("a token of the old audience: %d", status)
				}
			})
			t.Run("refuses an expired token", func(t *testing.T) {
				tok := w.token(t, "default", w.robot.ID, w.robotSecret, scim.ScopeUsersRead)
				w.clk.Advance(oidc.AccessTokenLifetime + time.Minute)
				if status, _, body := w.scim(t, http.MethodGet, "/Users", tok, ""); status != http.StatusUnauthorized {
					t.Fatalf("%d: %v", status, body)
				}
			})
		})
	}
}

// TestBearer reads the Authorization header as RFC 6750 §2.1 says.
func TestBearer(t *testing.T) {
	for _, tc := range []struct {
		name, header, want string
	}{
		{"reads a token", "Bearer abc.def-ghi", "abc.def-ghi"},
		{"takes the scheme in any case", "bEARER abc", "abc"},
		{"trims spaces around the token", "Bearer   abc ", "abc"},
		{"refuses no header", "", ""},
		{"refuses the scheme alone", "Bearer", ""},
		{"refuses an empty token", "Bearer  ", ""},
		{"refuses two tokens", "Bearer abc def", ""},
		{"refuses another scheme", "Basic YTpi", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "https://acme.example/scim/v2/Users", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			got, err := bearer(r)
			if got != tc.want || (err == nil) != (tc.want != "") {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestSCIMScopeNames keeps the scopes the default server is made with
// and the ones the SCIM endpoints ask for the same.
func TestSCIMScopeNames(t *testing.T) {
	want := []string{scim.ScopeUsersRead, scim.ScopeUsersWrite, scim.ScopeGroupsRead, scim.ScopeGroupsWrite}
	if !slices.Equal(authserver.SCIMScopeNames, want) {
		t.Fatalf("authserver.SCIMScopeNames %q, scim's scopes %q", authserver.SCIMScopeNames, want)
	}
}
