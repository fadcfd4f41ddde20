package edge

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestCustomAuthorizationServers shows the edge serving a tenant's own
// authorization servers: a dynamic one on the tenant's site with its own
// issuer and scopes, a fixed one only on its host, an inactive or
// unknown one nowhere.
func TestCustomAuthorizationServers(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		orders, err := w.authz.CreateServer(ctx, tx, w.acme.ID, authserver.ServerInput{Name: "orders", IssuerMode: authserver.IssuerDynamic,
			Audiences: []string{"api://orders"}})
		if err != nil {
			return err
		}
		if _, err := w.authz.CreateScope(ctx, tx, w.acme.ID, orders.ID, authserver.ScopeInput{Name: "orders.read", Kinds: []string{authserver.KindMachine}}); err != nil {
			return err
		}
		if _, err := w.authz.CreateServer(ctx, tx, w.acme.ID, authserver.ServerInput{Name: "pinned", IssuerMode: authserver.IssuerFixed,
			IssuerHost: "login.acme.example"}); err != nil {
			return err
		}
		_, err = w.authz.CreateServer(ctx, tx, w.acme.ID, authserver.ServerInput{Name: "paused", IssuerMode: authserver.IssuerDynamic, Inactive: true})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c := w.srv.Client()
	for _, tc := range []struct {
		name, server string
		status       int
	}{
		{"serves a dynamic server on the tenant's site", "orders", http.StatusOK},
		{"serves the default server as before", "default", http.StatusOK},
		{"hides a fixed server on another host", "pinned", http.StatusNotFound},
		{"hides an inactive server", "paused", http.StatusNotFound},
		{"hides a server the tenant does not have", "nope", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			issuer := w.srv.URL + "/oauth2/" + tc.server
			status, _, body := get(t, c, issuer+"/.well-known/openid-configuration")
			if status != tc.status {
				t.Fatalf("discovery: %d, want %d: %s", status, tc.status, body)
			}
			if status != http.StatusOK {
				return
			}
			var doc struct {
				Issuer string   `json:"issuer"`
				Scopes []string `json:"scopes_supported"`
			}
			if err := json.Unmarshal([]byte(body), &doc); err != nil || doc.Issuer != issuer {
				t.Fatalf("issuer %q (%v), want %q", doc.Issuer, err, issuer)
			}
			if tc.server == "orders" && !slices.Contains(doc.Scopes, "orders.read") {
				t.Fatalf("scopes %v lack the server's own", doc.Scopes)
			}
			if status, _, _ := get(t, c, issuer+"/v1/keys"); status != http.StatusOK {
				t.Fatalf("keys: %d", status)
			}
		})
	}
}

// TestFlowAPIStartsOnANamedServer shows the flow API starting a flow that
// ends at one of the tenant's own servers, and refusing a server the
// tenant does not have.
func TestFlowAPIStartsOnANamedServer(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := w.authz.CreateServer(ctx, tx, w.acme.ID, authserver.ServerInput{Name: "orders", IssuerMode: authserver.IssuerDynamic})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c := w.browser(t)
	_, challenge := pkce("n")
	for _, tc := range []struct {
		name, server string
		status       int
	}{
		{"starts on the default server when none is named", "", http.StatusCreated},
		{"starts on a named server of the tenant", "orders", http.StatusCreated},
		{"refuses a server the tenant does not have", "nope", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := wire.StartRequest{ClientID: w.app.ID, RedirectURI: rpCallback, Scope: "openid", State: "s",
				CodeChallenge: challenge, CodeChallengeMethod: "S256", Server: tc.server}
			if status, _, body := jsonRequest(t, c, http.MethodPost, w.srv.URL+"/api/v1/flows", "", start.AppendJSON(nil)); status != tc.status {
				t.Fatalf("start: %d, want %d: %s", status, tc.status, body)
			}
		})
	}
}
