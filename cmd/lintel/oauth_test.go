package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// TestManagementAPIWithClientCredentials drives the management API of the
// real binary with an OAuth access token that a service app obtained by
// client credentials with private_key_jwt from the system tenant's
// default authorization server: no long-lived admin token involved.
func TestManagementAPIWithClientCredentials(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	env := []string{"LINTEL_DATA_DIR=" + dataDir}
	out, errOut, code := lintel(t, env, "admin", "token", "create", "--tenant", "system", "--role", "instance-admin", "--name", "bootstrap", "--expires", "10m")
	admin := strings.TrimSpace(out)
	if code != 0 || !tokenPattern.MatchString(admin) {
		t.Fatalf("admin token: exit %d %q", code, errOut)
	}
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	s := startCommand(t, exec.Command(binary, "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port)), append(env, "LINTEL_PUBLIC_URL="+base))
	issuer := s.base + "/system/oauth2/default"

	// The bootstrap admin sets up a tenant and its automation client.
	call(t, http.MethodPost, s.base+"/api/v1/mgmt/tenants", admin, map[string]any{"slug": "acme", "name": "Acme"}, http.StatusCreated)
	call(t, http.MethodPost, s.base+"/api/v1/mgmt/tenants", admin, map[string]any{"slug": "globex", "name": "Globex"}, http.StatusCreated)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "robot-1", Algorithm: "ES256", Use: "sig"}}}
	var app struct {
		ID     string `json:"id"`
		Secret string `json:"client_secret"`
	}
	body := call(t, http.MethodPost, s.base+"/api/v1/mgmt/tenants/acme/apps", admin, map[string]any{
		"name": "Provisioning robot", "type": "service", "token_endpoint_auth_method": "private_key_jwt",
		"jwks": jwks, "management_scopes": []string{"users:read", "apps:read"},
	}, http.StatusCreated)
	if err := json.Unmarshal(body, &app); err != nil || app.ID == "" || app.Secret != "" {
		t.Fatalf("created app %s: %v", body, err)
	}

	// Discovery of the management issuer.
	var meta struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
		Revocation    string `json:"revocation_endpoint"`
	}
	if err := json.Unmarshal(call(t, http.MethodGet, issuer+"/.well-known/openid-configuration", "", nil, http.StatusOK), &meta); err != nil || meta.Issuer != issuer {
		t.Fatalf("discovery: %+v %v", meta, err)
	}
	assertion := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.RegisteredClaims{
			Issuer: app.ID, Subject: app.ID, Audience: jwt.ClaimStrings{issuer}, ID: rand.Text(),
			IssuedAt: jwt.NewNumericDate(time.Now()), ExpiresAt: jwt.NewNumericDate(time.Now().Add(2 * time.Minute)),
		})
		tok.Header["kid"] = "robot-1"
		signed, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	form := func(a string, kv ...string) url.Values {
		v := url.Values{"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	first := assertion()
	status, body := postForm(t, meta.TokenEndpoint, form(first, "grant_type", "client_credentials", "scope", "mgmt.users:read mgmt.apps:read"))
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %s", status, body)
	}
	if status, body := postForm(t, meta.TokenEndpoint, form(first, "grant_type", "client_credentials")); status != http.StatusUnauthorized || !bytes.Contains(body, []byte("invalid_client")) {
		t.Fatalf("replayed assertion: %d %s", status, body)
	}
	if status, body := postForm(t, meta.TokenEndpoint, form(assertion(), "grant_type", "client_credentials", "scope", "mgmt.apps:write")); status != http.StatusBadRequest || !bytes.Contains(body, []byte("invalid_scope")) {
		t.Fatalf("scope beyond the app's: %d %s", status, body)
	}

	for _, tc := range []struct {
		name, method, path string
		want               int
	}{
		{"reads its tenant's users", http.MethodGet, "/api/v1/mgmt/tenants/acme/users", http.StatusOK},
		{"reads its tenant's apps", http.MethodGet, "/api/v1/mgmt/tenants/acme/apps", http.StatusOK},
		{"may not write without the scope", http.MethodPost, "/api/v1/mgmt/tenants/acme/apps", http.StatusForbidden},
		{"may not read another tenant", http.MethodGet, "/api/v1/mgmt/tenants/globex/users", http.StatusForbidden},
		{"may not use instance routes", http.MethodGet, "/api/v1/mgmt/tenants", http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var payload any
			if tc.method == http.MethodPost {
				payload = map[string]any{"name": "x", "type": "service"}
			}
			call(t, tc.method, s.base+tc.path, tok.AccessToken, payload, tc.want)
		})
	}

	// Revoking the access token ends it for the API at once.
	if status, body := postForm(t, meta.Revocation, form(assertion(), "token", tok.AccessToken)); status != http.StatusOK {
		t.Fatalf("revoke: %d %s", status, body)
	}
	call(t, http.MethodGet, s.base+"/api/v1/mgmt/tenants/acme/users", tok.AccessToken, nil, http.StatusUnauthorized)
}

// call sends a JSON request with a bearer token and checks the status.
func call(t *testing.T, method, u, token string, payload any, want int) []byte {
	t.Helper()
	req := jsonRequest(t, method, u, payload, "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, u, resp.StatusCode, want, b)
	}
	return b
}

// jsonRequest is a request with payload as its JSON body of type
// contentType, or no body when payload is nil.
func jsonRequest(t *testing.T, method, u string, payload any, contentType string) *http.Request {
	t.Helper()
	var rd io.Reader
	if payload != nil {
		b, err := json.Marshal(payload)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if payload != nil {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

// postForm posts a form without following redirects.
func postForm(t *testing.T, u string, form url.Values) (int, []byte) {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
