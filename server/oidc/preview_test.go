package oidc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lintel-id/lintel/internal/clientip"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// ordersServer sets up, in tenant acme, a custom server "orders" with
// machine and delegated scopes, a claim per target, and a policy whose
// rules grant the service app orders.read by client credentials and
// every client orders.write for people, and deny the rest.
func (w *world) ordersServer(t *testing.T) oidc.Issuer {
	t.Helper()
	w.tx(t, func(ctx context.Context, tx store.Tx) error {
		s := w.servers()
		srv, err := s.CreateServer(ctx, tx, w.iss.TenantID, authserver.ServerInput{Name: "orders", Audiences: []string{"api://orders"},
			IssuerMode: authserver.IssuerDynamic, ScopePattern: `orders\.[a-z]+`})
		if err != nil {
			return err
		}
		if _, err := s.CreateScope(ctx, tx, w.iss.TenantID, srv.ID, authserver.ScopeInput{Name: "orders.read",
			Kinds: []string{authserver.KindMachine, authserver.KindDelegated}}); err != nil {
			return err
		}
		if _, err := s.CreateScope(ctx, tx, w.iss.TenantID, srv.ID, authserver.ScopeInput{Name: "orders.write",
			Kinds: []string{authserver.KindMachine, authserver.KindDelegated}, Implies: []string{"orders.read"}}); err != nil {
			return err
		}
		for _, c := range []authserver.ClaimInput{
			{Name: "client_name", Target: authserver.TargetAccess, Expression: `app.name`, MaxBytes: 200},
			{Name: "via", Target: authserver.TargetAccess, Expression: `request.grant_type + " " + request.ip`, MaxBytes: 120},
			{Name: "login", Target: authserver.TargetID, Expression: `user.login`, Scopes: []string{"orders.write"}},
		} {
			if _, err := s.CreateClaim(ctx, tx, w.iss.TenantID, srv.ID, c); err != nil {
				return err
			}
		}
		pol, err := s.CreatePolicy(ctx, tx, w.iss.TenantID, srv.ID, authserver.PolicyInput{Name: "Orders", Priority: 1, Clients: []string{authserver.AllClients}})
		if err != nil {
			return err
		}
		for _, r := range []authserver.RuleInput{
			{Name: "Robots read", Priority: 1, GrantTypes: []string{authserver.GrantClientCredentials}, Scopes: []string{"orders.read"},
				AccessTokenLifetime: 10 * time.Minute},
			{Name: "People write", Priority: 2, GrantTypes: []string{authserver.GrantAuthorizationCode, authserver.GrantRefreshToken},
				Scopes: []string{"openid", "orders.write", "orders.read"}, AccessTokenLifetime: 30 * time.Minute},
			{Name: "Nothing else", Priority: 3, GrantTypes: []string{authserver.GrantClientCredentials, authserver.GrantAuthorizationCode},
				Scopes: []string{authserver.AnyScope}, Deny: true},
		} {
			if _, err := s.CreateRule(ctx, tx, w.iss.TenantID, pol.ID, r); err != nil {
				return err
			}
		}
		return nil
	})
	iss, err := w.p.Issuer(context.Background(), w.iss.TenantID, "orders", strings.TrimSuffix(w.iss.URL, "/oauth2/default"))
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

// TestPreviewMatchesIssuance previews token requests and then makes the
// same requests at the token endpoint: the claims, the granted scopes
// and the refusals agree.
func TestPreviewMatchesIssuance(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			orders := w.ordersServer(t)
			ip := netip.MustParseAddr("203.0.113.7")
			ctx := clientip.With(context.Background(), ip)
			svc := w.apps["service"]

			t.Run("client credentials", func(t *testing.T) {
				for _, tc := range []struct {
					name, scope string
					wantErr     string
				}{
					{"grants a machine scope by its rule", "orders.read", ""},
					{"refuses a scope the rule does not allow", "orders.write", "access_denied"},
					{"refuses an unknown scope", "orders.delete", "invalid_scope"},
				} {
					t.Run(tc.name, func(t *testing.T) {
						pv, err := w.p.Preview(ctx, w.iss.TenantID, "orders", orders.URL, oidc.PreviewInput{
							ClientID: svc.ID, GrantType: tenant.GrantClientCredentials, Scopes: strings.Fields(tc.scope), IP: ip})
						if err != nil {
							t.Fatal(err)
						}
						form := url.Values{"grant_type": {"client_credentials"}, "scope": {tc.scope}}
						rec := w.sendFrom(w.p.Token(), orders, oidc.PathToken, form, w.authAs("service", form), ip)
						body := decode(t, rec)
						if pv.Error != tc.wantErr || body["error"] != nilIfEmpty(tc.wantErr) {
							t.Fatalf("preview error %q, token endpoint %d %v; want %q", pv.Error, rec.Code, body, tc.wantErr)
						}
						if tc.wantErr != "" {
							return
						}
						issued := claimsOf(t, body["access_token"].(string))
						comparable(t, pv.Access, issued, "jti")
						if pv.Decision.Rule == nil || pv.Decision.Rule.Name != "Robots read" || issued["exp"].(float64)-issued["iat"].(float64) != 600 {
							t.Fatalf("decided by %+v, lifetime %v", pv.Decision.Rule, issued["exp"].(float64)-issued["iat"].(float64))
						}
						if aud, _ := issued["aud"].([]any); len(aud) != 1 || aud[0] != "api://orders" || issued["client_name"] != "Service" || issued["via"] != "client_credentials 203.0.113.7" {
							t.Fatalf("issued claims %v", issued)
						}
					})
				}
			})

			t.Run("authorization code", func(t *testing.T) {
				q := w.authQuery("web")
				q.Set("scope", "openid orders.write")
				req, code := w.code(t, orders, q)
				form := w.tokenForm("web", code, req)
				rec := w.sendFrom(w.p.Token(), orders, oidc.PathToken, form, w.auth(form, "web"), ip)
				body := decode(t, rec)
				if rec.Code != http.StatusOK {
					t.Fatalf("token: %d %v", rec.Code, body)
				}
				if body["scope"] != "openid orders.write orders.read" {
					t.Fatalf("granted scope %q, want the implied orders.read too", body["scope"])
				}
				pv, err := w.p.Preview(ctx, w.iss.TenantID, "orders", orders.URL, oidc.PreviewInput{
					ClientID: w.apps["web"].ID, GrantType: tenant.GrantAuthorizationCode, Scopes: []string{"openid", "orders.write"}, UserID: userID, IP: ip})
				if err != nil || pv.Error != "" {
					t.Fatalf("preview: %v %+v", err, pv)
				}
				// What the sign-in itself decides (when, how, which session)
				// is not part of a preview.
				signIn := []string{"auth_time", "acr", "amr", "sid", "nonce"}
				comparable(t, pv.Access, claimsOf(t, body["access_token"].(string)), append(signIn, "jti", "gid")...)
				comparable(t, pv.ID, claimsOf(t, body["id_token"].(string)), append(signIn, "at_hash")...)
				if pv.ID["login"] == nil {
					t.Fatalf("the ID token claim conditioned on orders.write is missing: %v", pv.ID)
				}
				if pv.Decision.Rule == nil || pv.Decision.Rule.Name != "People write" || len(pv.Decision.Trace) < 3 {
					t.Fatalf("decision %+v", pv.Decision)
				}
			})
		})
	}
}

// comparable fails unless two claim sets agree on every claim but skip.
func comparable(t *testing.T, preview, issued map[string]any, skip ...string) {
	t.Helper()
	norm := func(m map[string]any) string {
		c := map[string]any{}
		for k, v := range m {
			if !slices.Contains(skip, k) {
				c[k] = v
			}
		}
		b, _ := json.Marshal(c)
		return string(b)
	}
	if a, b := norm(preview), norm(issued); a != b {
		t.Fatalf("preview and issued claims differ:\npreview %s\nissued  %s", a, b)
	}
}

// claimsOf decodes a JWT's claims without verifying it.
func claimsOf(t *testing.T, raw string) map[string]any {
	t.Helper()
	c := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(raw, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// sendFrom is send with the request coming from ip, as the edge marks
// it.
func (w *world) sendFrom(h http.Handler, iss oidc.Issuer, path string, form url.Values, hdr http.Header, ip netip.Addr) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, iss.URL+path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		r.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r.WithContext(clientip.With(oidc.WithIssuer(r.Context(), iss), ip)))
	return rec
}
