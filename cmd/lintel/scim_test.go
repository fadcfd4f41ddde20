package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/scimtest"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/scim"
)

// scimScopes are every SCIM scope, as a token request asks for them.
var scimScopes = strings.Join([]string{scim.ScopeUsersRead, scim.ScopeUsersWrite, scim.ScopeGroupsRead, scim.ScopeGroupsWrite}, " ")

// TestSCIMThroughTheEdge provisions a tenant through SCIM 2.0 on the real
// binary, over real HTTP, with access tokens a service app got by client
// credentials from the tenant's default authorization server after an
// admin granted it the SCIM scopes with the management API:
//   - the RFC 7644 conformance table (server/scim/testdata/rfc7644, run
//     by internal/scimtest) answers as it does on the service alone;
//   - a request without a token is 401 with a Bearer challenge, a token
//     without the scope 403, a revoked token, one of another tenant and
//     one a person got by signing in are refused, an app the scopes were
//     not granted to gets no token with them;
//   - a PATCH that breaks the user type's schema is a 400 SCIM error that
//     changes nothing, and a stale If-Match is 412.
func TestSCIMThroughTheEdge(t *testing.T) {
	b := startBranded(t)
	port := strings.TrimPrefix(b.base, "http://localhost:")
	c := loopbackClient(port)

	robot := b.createServiceApp(t, b.api, "HR sync")
	b.grantSCIM(t, b.api, robot.ID)
	token := clientToken(t, c, b.base, robot, scimScopes)

	t.Run("RFC 7644 conformance table", func(t *testing.T) {
		scimtest.Run(t, scimtest.Config{Dir: "../../server/scim/testdata/rfc7644", Client: c, Base: b.base,
			Header: http.Header{"Authorization": {"Bearer " + token}}})
	})

	// The tokens the refusals are made with.
	readGroups := clientToken(t, c, b.base, robot, scim.ScopeGroupsRead)
	writeUsers := clientToken(t, c, b.base, robot, scim.ScopeUsersWrite)
	revoked := clientToken(t, c, b.base, robot, scimScopes)
	if status, body := robot.post(t, c, b.base+"/oauth2/default/v1/revoke", url.Values{"token": {revoked}}); status != http.StatusOK {
		t.Fatalf("revoke: %d %s", status, body)
	}
	call(t, http.MethodPost, b.base+"/api/v1/mgmt/tenants", b.admin, map[string]any{"slug": "globex", "name": "Globex"}, http.StatusCreated)
	globexAPI, globexBase := b.base+"/api/v1/mgmt/tenants/globex", "http://globex.localhost:"+port
	stranger := b.createServiceApp(t, globexAPI, "Globex sync")
	b.grantSCIM(t, globexAPI, stranger.ID)
	foreign := clientToken(t, c, globexBase, stranger, scimScopes)
	person := b.personSCIMToken(t, c)

	for _, tc := range []struct {
		name, base, path, auth string
		status                 int
		challenge              string
	}{
		{"reads with every scope", b.base, "/Users", "Bearer " + token, http.StatusOK, ""},
		{"serves discovery without a token", b.base, "/ServiceProviderConfig", "", http.StatusOK, ""},
		{"refuses a request without a token", b.base, "/Users", "", http.StatusUnauthorized, "Bearer"},
		{"refuses another scheme", b.base, "/Users", "Basic " + base64.StdEncoding.EncodeToString([]byte(robot.ID+":"+robot.Secret)), http.StatusUnauthorized, "Bearer"},
		{"refuses a token that is no token", b.base, "/Users", "Bearer not-a-token", http.StatusUnauthorized, "Bearer"},
		{"refuses a token without the scope", b.base, "/Users", "Bearer " + readGroups, http.StatusForbidden, `error="insufficient_scope"`},
		{"lets a write scope read", b.base, "/Users", "Bearer " + writeUsers, http.StatusOK, ""},
		{"refuses a revoked token", b.base, "/Users", "Bearer " + revoked, http.StatusUnauthorized, "Bearer"},
		{"refuses another tenant's token", b.base, "/Users", "Bearer " + foreign, http.StatusUnauthorized, "Bearer"},
		{"serves that tenant its own", globexBase, "/Users", "Bearer " + foreign, http.StatusOK, ""},
		{"refuses a person's token with the scope", b.base, "/Users", "Bearer " + person, http.StatusForbidden, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := scimDo(t, c, http.MethodGet, tc.base+"/scim/v2"+tc.path, tc.auth, nil)
			if r.status != tc.status {
				t.Fatalf("%d, want %d: %s", r.status, tc.status, r.raw)
			}
			if r.status >= 400 {
				r.wantError(t, "")
			}
			if ch := r.header.Get("WWW-Authenticate"); tc.challenge != "" && !strings.Contains(ch, tc.challenge) {
				t.Fatalf("WWW-Authenticate %q lacks %q", ch, tc.challenge)
			}
		})
	}

	t.Run("an app not granted the scopes gets no token with them", func(t *testing.T) {
		other := b.createServiceApp(t, b.api, "Reporting")
		status, body := other.post(t, c, b.base+"/oauth2/default/v1/token", url.Values{"grant_type": {"client_credentials"}, "scope": {scim.ScopeUsersRead}})
		if status != http.StatusBadRequest || !bytes.Contains(body, []byte("invalid_scope")) {
			t.Fatalf("token: %d %s", status, body)
		}
	})

	t.Run("a PATCH that breaks the schema changes nothing", func(t *testing.T) {
		call(t, http.MethodPost, b.api+"/user-types", b.admin, map[string]any{"name": "staff", "schema": map[string]any{
			"type": "object", "additionalProperties": false, "required": []string{"employee_number"},
			"properties": map[string]any{"employee_number": map[string]any{"type": "string", "maxLength": 20}, "level": map[string]any{"type": "integer"}},
		}}, http.StatusCreated)
		urn := scim.ProfileSchemaPrefix + "staff:2.0:User"
		bearer := "Bearer " + token
		created := scimDo(t, c, http.MethodPost, b.base+"/scim/v2/Users", bearer, map[string]any{
			"schemas": []string{scim.SchemaUser, urn}, "userName": "ada", "name": map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
			"emails": []map[string]any{{"value": "ada@example.com", "primary": true}}, urn: map[string]any{"employee_number": "E1"},
		})
		if created.status != http.StatusCreated {
			t.Fatalf("create: %d %s", created.status, created.raw)
		}
		id, _ := created.body["id"].(string)
		loc := b.base + "/scim/v2/Users/" + id
		if got, _ := created.body["meta"].(map[string]any)["location"].(string); got != loc || created.header.Get("Location") != loc {
			t.Fatalf("location %q, header %q, want %q", got, created.header.Get("Location"), loc)
		}
		tag := created.header.Get("ETag")
		for _, tc := range []struct {
			name     string
			op       map[string]any
			scimType string
		}{
			{"a wrong type in the extension", map[string]any{"op": "replace", "path": urn + ":level", "value": "high"}, scim.ScimInvalidValue},
			{"an attribute the extension does not have", map[string]any{"op": "add", "path": urn + ":nickname", "value": "Ada"}, scim.ScimInvalidValue},
			{"a required attribute removed", map[string]any{"op": "remove", "path": urn + ":employee_number"}, scim.ScimInvalidValue},
			{"active as a string", map[string]any{"op": "replace", "path": "active", "value": "yes"}, "*"},
			{"a path that does not parse", map[string]any{"op": "replace", "path": `emails[type eq`, "value": "x"}, scim.ScimInvalidPath},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ops := []map[string]any{{"op": "replace", "path": "displayName", "value": "Changed"}, tc.op}
				r := scimDo(t, c, http.MethodPatch, loc, bearer, map[string]any{"schemas": []string{scim.SchemaPatchOp}, "Operations": ops})
				if r.status != http.StatusBadRequest {
					t.Fatalf("%d, want 400: %s", r.status, r.raw)
				}
				r.wantError(t, tc.scimType)
				if now := scimDo(t, c, http.MethodGet, loc, bearer, nil); now.status != http.StatusOK || now.header.Get("ETag") != tag || now.body["displayName"] == "Changed" {
					t.Fatalf("after a refused PATCH: %d %s %s", now.status, now.header.Get("ETag"), now.raw)
				}
			})
		}
		t.Run("a stale If-Match", func(t *testing.T) {
			ops := []map[string]any{{"op": "replace", "path": "displayName", "value": "Countess"}}
			r := scimDo(t, c, http.MethodPatch, loc, bearer, map[string]any{"schemas": []string{scim.SchemaPatchOp}, "Operations": ops}, "If-Match", `W/"0"`)
			if r.status != http.StatusPreconditionFailed {
				t.Fatalf("%d, want 412: %s", r.status, r.raw)
			}
			r.wantError(t, "")
			r = scimDo(t, c, http.MethodPatch, loc, bearer, map[string]any{"schemas": []string{scim.SchemaPatchOp}, "Operations": ops}, "If-Match", tag)
			if r.status != http.StatusOK || r.body["displayName"] != "Countess" || r.header.Get("ETag") == tag {
				t.Fatalf("with the current tag: %d %s", r.status, r.raw)
			}
		})
	})
}

// loopbackClient sends every request to 127.0.0.1:port whatever the
// host, so that the test reaches tenants' sites at {slug}.localhost.
func loopbackClient(port string) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
		},
	}}
}

// serviceApp is a service app's client ID and secret.
type serviceApp struct {
	ID     string `json:"id"`
	Secret string `json:"client_secret"`
}

// post posts a form to a token or revocation endpoint with the app's
// client_secret_basic authentication.
func (a serviceApp) post(t *testing.T, c *http.Client, u string, form url.Values) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(a.ID), url.QueryEscape(a.Secret))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// createServiceApp creates a service app in the tenant of api (the
// management API's tenant URL).
func (b *brandedInstance) createServiceApp(t *testing.T, api, name string) serviceApp {
	t.Helper()
	var app serviceApp
	body := call(t, http.MethodPost, api+"/apps", b.admin, map[string]any{"name": name, "type": "service"}, http.StatusCreated)
	if err := json.Unmarshal(body, &app); err != nil || app.ID == "" || app.Secret == "" {
		t.Fatalf("service app %s: %v", body, err)
	}
	return app
}

// grantSCIM grants every SCIM scope of the default authorization server
// of api's tenant to the client IDs, as docs/scim.md tells an admin to.
func (b *brandedInstance) grantSCIM(t *testing.T, api string, clients ...string) {
	t.Helper()
	var list struct {
		Items []struct {
			ID      string   `json:"id"`
			Name    string   `json:"name"`
			Clients []string `json:"clients"`
		} `json:"items"`
	}
	scopes := api + "/authorization-servers/" + authserver.DefaultServer + "/scopes"
	if err := json.Unmarshal(call(t, http.MethodGet, scopes, b.admin, nil, http.StatusOK), &list); err != nil {
		t.Fatal(err)
	}
	granted := 0
	for _, sc := range list.Items {
		if !strings.HasPrefix(sc.Name, "scim.") {
			continue
		}
		if len(sc.Clients) != 1 || sc.Clients[0] != authserver.NoClient {
			t.Fatalf("scope %s was granted to %q before", sc.Name, sc.Clients)
		}
		call(t, http.MethodPatch, scopes+"/"+sc.ID, b.admin, map[string]any{"clients": clients}, http.StatusOK)
		granted++
	}
	if granted != 4 {
		t.Fatalf("granted %d SCIM scopes, want 4: %+v", granted, list.Items)
	}
}

// clientToken gets an access token with scope by client credentials from
// the default authorization server of the site at base.
func clientToken(t *testing.T, c *http.Client, base string, app serviceApp, scope string) string {
	t.Helper()
	status, body := app.post(t, c, base+"/oauth2/default/v1/token", url.Values{"grant_type": {"client_credentials"}, "scope": {scope}})
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" || tok.Scope != scope {
		t.Fatalf("token for %q: %d %s", scope, status, body)
	}
	return tok.AccessToken
}

// personSCIMToken signs the demo person in at a web app by the
// authorization code flow and returns the access token, which carries
// scim.users.read: the admin lets people be granted the scope and grants
// it to the app, so that only the token's kind refuses it.
func (b *brandedInstance) personSCIMToken(t *testing.T, c *http.Client) string {
	t.Helper()
	var app serviceApp
	body := call(t, http.MethodPost, b.api+"/apps", b.admin, map[string]any{"name": "Intranet", "type": "web",
		"redirect_uris": []string{b.base + "/demo/callback"}}, http.StatusCreated)
	if err := json.Unmarshal(body, &app); err != nil || app.ID == "" {
		t.Fatalf("web app %s: %v", body, err)
	}
	var list struct {
		Items []struct{ ID, Name string } `json:"items"`
	}
	scopes := b.api + "/authorization-servers/default/scopes"
	if err := json.Unmarshal(call(t, http.MethodGet, scopes, b.admin, nil, http.StatusOK), &list); err != nil {
		t.Fatal(err)
	}
	for _, sc := range list.Items {
		if sc.Name == scim.ScopeUsersRead {
			call(t, http.MethodPatch, scopes+"/"+sc.ID, b.admin, map[string]any{"kinds": []string{"delegated", "machine"}, "clients": []string{app.ID}}, http.StatusOK)
		}
	}

	browser := browserClient(t)
	page, html := b.signInPageWith(t, browser, app.ID, url.Values{"scope": {"openid " + scim.ScopeUsersRead}})
	pw := b.act(t, browser, page, html, engine.ActionNext, "login", b.login)
	form := url.Values{"action": {engine.ActionSignIn}, "password": {b.pass}}
	for _, m := range hiddenField.FindAllStringSubmatch(pw, -1) {
		form.Set(m[1], m[2])
	}
	req, _ := http.NewRequest(http.MethodPost, page, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	status, h, resp := fetch(t, browser, req)
	cb, err := url.Parse(h.Get("Location"))
	if status != http.StatusSeeOther || err != nil || cb.Query().Get("code") == "" {
		t.Fatalf("sign-in: %d to %q\n%.2000s", status, h.Get("Location"), resp)
	}
	status, body = app.post(t, c, b.base+"/oauth2/default/v1/token", url.Values{"grant_type": {"authorization_code"},
		"code": {cb.Query().Get("code")}, "redirect_uri": {b.base + "/demo/callback"}, "code_verifier": {strings.Repeat("v", 43)}})
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &tok) != nil || !strings.Contains(tok.Scope, scim.ScopeUsersRead) {
		t.Fatalf("person's token: %d %s", status, body)
	}
	return tok.AccessToken
}

// scimAnswer is a SCIM answer, its body decoded.
type scimAnswer struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// scimDo sends a SCIM request with an Authorization header (none when
// auth is empty), a JSON body when payload is not nil, and more headers
// as name, value pairs.
func scimDo(t *testing.T, c *http.Client, method, u, auth string, payload any, headers ...string) scimAnswer {
	t.Helper()
	req := jsonRequest(t, method, u, payload, "application/scim+json")
	req.Header.Set("Accept", "application/scim+json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := scimAnswer{status: resp.StatusCode, header: resp.Header}
	if a.raw, err = io.ReadAll(resp.Body); err != nil {
		t.Fatal(err)
	}
	if len(a.raw) > 0 {
		if err := json.Unmarshal(a.raw, &a.body); err != nil {
			t.Fatalf("%s %s: %d %q: %v", method, u, a.status, a.raw, err)
		}
	}
	return a
}

// wantError fails unless a is a SCIM error (RFC 7644 §3.12) with its
// status, and scimType when it is not empty: "*" is any, "" any or none.
func (a scimAnswer) wantError(t *testing.T, scimType string) {
	t.Helper()
	schemas, _ := a.body["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != scim.SchemaErrorResp || a.body["status"] != strconv.Itoa(a.status) ||
		!strings.HasPrefix(a.header.Get("Content-Type"), "application/scim+json") {
		t.Fatalf("not a SCIM error of %d: %s", a.status, a.raw)
	}
	if got, _ := a.body["scimType"].(string); scimType == "*" && got == "" || scimType != "" && scimType != "*" && got != scimType {
		t.Fatalf("scimType %q, want %q: %s", got, scimType, a.raw)
	}
}
