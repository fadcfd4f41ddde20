package mgmt

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestAppManagementScopes shows that an app gets management scopes only
// through a caller who holds them, and only as a private_key_jwt service
// app with keys the API shows back without private parts.
func TestAppManagementScopes(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: pub, KeyID: "k1", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	robot := func(name string, scopes ...string) string {
		b, _ := json.Marshal(map[string]any{"name": name, "type": "service", "token_endpoint_auth_method": "private_key_jwt",
			"jwks": json.RawMessage(keys), "management_scopes": scopes})
		return string(b)
	}
	var narrow string
	err = w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, tok, err := w.tokens.Create(ctx, tx, TokenInput{TenantID: w.a.ID, Name: "narrow", Role: RoleTenantAdmin,
			Scopes: []Scope{ScopeAppsWrite, ScopeAppsRead}, CreatedBy: "test"}, false)
		narrow = tok
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/mgmt/tenants/" + w.a.ID + "/apps"
	for _, tc := range []struct {
		name, token, body string
		status            int
	}{
		{"grants scopes the caller holds", narrow, robot("Reader", "apps:read"), http.StatusCreated},
		{"refuses scopes the caller lacks", narrow, robot("Escalator", "users:write"), http.StatusUnprocessableEntity},
		{"refuses an unknown scope", w.token[RoleTenantAdmin], robot("Unknown", "root:everything"), http.StatusUnprocessableEntity},
		{"refuses scopes on a secret client", w.token[RoleTenantAdmin],
			`{"name":"Secretive","type":"service","management_scopes":["apps:read"]}`, http.StatusUnprocessableEntity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := w.do(t, http.MethodPost, path, tc.token, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if status != http.StatusCreated {
				return
			}
			var app struct {
				Secret string `json:"client_secret"`
				JWKS   struct {
					Keys []map[string]any `json:"keys"`
				} `json:"jwks"`
				Scopes []string `json:"management_scopes"`
			}
			if err := json.Unmarshal([]byte(body), &app); err != nil {
				t.Fatal(err)
			}
			if app.Secret != "" || len(app.JWKS.Keys) != 1 || app.JWKS.Keys[0]["d"] != nil || strings.Join(app.Scopes, ",") != "apps:read" {
				t.Fatalf("created %s", body)
			}
		})
	}
}
