package mgmt

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/federation"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// samlIdPMetadata returns a minimal valid metadata document of a SAML
// identity provider: its entity ID, a single sign-on service and a
// self-signed signing certificate made now.
func samlIdPMetadata(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp.acme.example"},
		NotBefore: now, NotAfter: now.AddDate(10, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.acme.example/saml">
  <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <KeyDescriptor use="signing">
      <KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>` + base64.StdEncoding.EncodeToString(der) + `</X509Certificate></X509Data></KeyInfo>
    </KeyDescriptor>
    <NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</NameIDFormat>
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.acme.example/saml/sso"/>
  </IDPSSODescriptor>
</EntityDescriptor>`
}

// idpCount counts the identity providers and routing rules of every
// tenant.
func (w *world) idpCount(t *testing.T) [2]int {
	t.Helper()
	var n [2]int
	err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM identity_providers`).Scan(&n[0]); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM idp_routing_rules`).Scan(&n[1])
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// storedSecret reads an identity provider's secret past the API.
func (w *world) storedSecret(t *testing.T, tenantID, id string) string {
	t.Helper()
	var p federation.IdP
	err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		p, err = w.fed.IdP(ctx, tx, tenantID, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p.Secret
}

// checkIdPRefusals sends each request and expects its status, a
// problem naming where and holding none of the secrets, and no change to
// identity providers or routing rules.
func (w *world) checkIdPRefusals(t *testing.T, cases []refusal, secrets ...string) {
	t.Helper()
	for _, c := range cases {
		t.Run("refuses "+c.name, func(t *testing.T) {
			before := w.idpCount(t)
			status, h, body := w.do(t, c.method, c.path, c.token, c.body)
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, body)
			}
			var p problemBody
			if err := json.Unmarshal([]byte(body), &p); err != nil || h.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("not a problem document: %s", body)
			}
			if c.where != "" && !p.names(c.where) {
				t.Fatalf("problem does not name %q: %s", c.where, body)
			}
			for _, s := range secrets {
				if strings.Contains(body, s) {
					t.Fatalf("answer shows a secret: %s", body)
				}
			}
			if after := w.idpCount(t); after != before {
				t.Fatalf("counts went from %v to %v", before, after)
			}
		})
	}
}

// TestIdPsAPI creates, reads, lists, changes and deletes an OpenID
// Connect and a SAML identity provider, and checks that the client
// secret is write-only, that refused input names the field and writes
// nothing, and that each change is logged without secret or metadata.
func TestIdPsAPI(t *testing.T) {
	metadata := samlIdPMetadata(t)
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			admin, reader := w.token[RoleTenantAdmin], w.token[RoleReadOnly]
			base := "/api/v1/mgmt/tenants/" + w.a.ID + "/idps"
			const secret, secret2 = "oidc-secret-Ahh7eeque", "oidc-secret-Quoo9iej"
			// view checks an answer and that no secret is in it.
			view := func(status int, body string, want int) IdPView {
				t.Helper()
				var v IdPView
				if err := json.Unmarshal([]byte(body), &v); status != want || err != nil {
					t.Fatalf("status %d, want %d: %s", status, want, body)
				}
				if strings.Contains(body, secret) || strings.Contains(body, secret2) || strings.Contains(body, "client_secret") {
					t.Fatalf("answer shows a secret: %s", body)
				}
				return v
			}
			oidcBody := func(name, secretField string) string {
				return `{"name":"` + name + `","kind":"oidc","enabled":true,"config":{"issuer":"https://idp.acme.example","client_id":"lintel",` +
					`"scopes":["openid","email"],"jit":"require_existing","link":"prove","mapping":{"email":"email"},"sync":{"email":"idp"}}` + secretField + `}`
			}
			samlBody, _ := json.Marshal(map[string]any{"name": "Acme SAML", "kind": "saml", "enabled": true,
				"config": map[string]any{"saml_metadata": metadata, "saml_email_verified": true}})

			status, _, body := w.do(t, http.MethodPost, base, admin, oidcBody("Acme OIDC", `,"client_secret":"`+secret+`"`))
			oidc := view(status, body, http.StatusCreated)
			if !strings.HasPrefix(oidc.ID, "idp_") || oidc.TenantID != w.a.ID || oidc.Name != "Acme OIDC" || oidc.Kind != "oidc" || !oidc.Enabled ||
				!oidc.HasSecret || oidc.Config.Issuer != "https://idp.acme.example" || oidc.Config.JIT != federation.JITRequireExisting ||
				oidc.Config.Link != federation.LinkProve || oidc.Config.Sync["email"] != federation.SourceIdP ||
				oidc.CallbackURL != "https://tenant-a.id.example.test/federation/callback" || oidc.ACSURL != "" || oidc.SPMetadataURL != "" {
				t.Fatalf("created %+v", oidc)
			}
			if got := w.storedSecret(t, w.a.ID, oidc.ID); got != secret {
				t.Fatalf("stored secret %q", got)
			}
			status, _, body = w.do(t, http.MethodPost, base, admin, string(samlBody))
			saml := view(status, body, http.StatusCreated)
			if saml.Kind != "saml" || saml.HasSecret || saml.Config.SAMLMetadata != metadata || !saml.Config.SAMLEmailVerified || saml.CallbackURL != "" ||
				saml.ACSURL != "https://tenant-a.id.example.test/federation/saml/acs" ||
				saml.SPMetadataURL != "https://tenant-a.id.example.test/federation/saml/metadata" {
				t.Fatalf("created %+v", saml)
			}

			status, _, body = w.do(t, http.MethodGet, base+"/"+oidc.ID, reader, "")
			if got := view(status, body, http.StatusOK); !got.HasSecret || got.Name != oidc.Name || !slices.Equal(got.Config.Scopes, []string{"openid", "email"}) {
				t.Fatalf("read %+v", got)
			}
			status, _, body = w.do(t, http.MethodGet, base, reader, "")
			var list List[IdPView]
			if err := json.Unmarshal([]byte(body), &list); status != http.StatusOK || err != nil || len(list.Items) != 2 || list.Next != "" ||
				strings.Contains(body, secret) {
				t.Fatalf("list: %d %s", status, body)
			}
			for _, v := range list.Items {
				if v.HasSecret != (v.ID == oidc.ID) {
					t.Fatalf("listed %+v", v)
				}
			}

			// The secret: kept without client_secret, replaced with one,
			// removed with "".
			for _, c := range []struct {
				name, field, want string
			}{
				{"kept when left out", "", secret},
				{"replaced", `,"client_secret":"` + secret2 + `"`, secret2},
				{"kept again", "", secret2},
				{"cleared with an empty string", `,"client_secret":""`, ""},
			} {
				w.clock.Advance(time.Second) // events sort by time, then at random
				status, _, body := w.do(t, http.MethodPut, base+"/"+oidc.ID, admin, oidcBody("Acme OIDC", c.field))
				if got := view(status, body, http.StatusOK); got.HasSecret != (c.want != "") {
					t.Fatalf("secret %s: %+v", c.name, got)
				}
				if got := w.storedSecret(t, w.a.ID, oidc.ID); got != c.want {
					t.Fatalf("secret %s: stored %q", c.name, got)
				}
			}
			w.clock.Advance(time.Second)
			status, _, body = w.do(t, http.MethodPut, base+"/"+oidc.ID, admin, oidcBody("Acme", `,"client_secret":"`+secret+`"`))
			if got := view(status, body, http.StatusOK); got.Name != "Acme" || !got.HasSecret {
				t.Fatalf("renamed %+v", got)
			}

			status, h, body := w.do(t, http.MethodGet, base+"/saml-sp-metadata", reader, "")
			var ed struct {
				XMLName  xml.Name
				EntityID string `xml:"entityID,attr"`
			}
			if err := xml.Unmarshal([]byte(body), &ed); status != http.StatusOK || err != nil || h.Get("Content-Type") != "application/samlmetadata+xml" ||
				ed.XMLName.Local != "EntityDescriptor" || ed.EntityID != saml.SPMetadataURL || !strings.Contains(body, saml.ACSURL) ||
				strings.Contains(body, "PRIVATE") {
				t.Fatalf("SP metadata: %d %s %s (%v)", status, h.Get("Content-Type"), body, err)
			}

			other := w.createIdP(t, w.b.ID)
			w.checkIdPRefusals(t, []refusal{
				{"an unknown kind", http.MethodPost, base, admin, `{"name":"X","kind":"cas","enabled":true,"config":{}}`, http.StatusUnprocessableEntity, "body.kind"},
				{"an unknown field", http.MethodPost, base, admin, `{"name":"X","kind":"oidc","enabled":true,"config":{"issuer":"https://x.example","client_id":"c","secret":"x"}}`, http.StatusUnprocessableEntity, "body.config.secret"},
				{"an OpenID provider without client ID", http.MethodPost, base, admin, `{"name":"X","kind":"oidc","enabled":true,"config":{"issuer":"https://x.example"}}`, http.StatusUnprocessableEntity, "body.config.client_id"},
				{"an issuer over plain HTTP", http.MethodPost, base, admin, `{"name":"X","kind":"oidc","enabled":true,"config":{"issuer":"http://x.example","client_id":"c"},"client_secret":"` + secret2 + `"}`, http.StatusUnprocessableEntity, "body.config.issuer"},
				{"an OAuth 2 provider without endpoints", http.MethodPost, base, admin, `{"name":"X","kind":"oauth2","enabled":true,"config":{"client_id":"c"}}`, http.StatusUnprocessableEntity, "body.config.authorization_url"},
				{"SAML metadata that is not metadata", http.MethodPost, base, admin, `{"name":"X","kind":"saml","enabled":true,"config":{"saml_metadata":"<html/>"}}`, http.StatusUnprocessableEntity, "body.config.saml_metadata"},
				{"a mapping that does not compile", http.MethodPost, base, admin, `{"name":"X","kind":"oidc","enabled":true,"config":{"issuer":"https://x.example","client_id":"c","mapping":{"email":"claims.("}}}`, http.StatusUnprocessableEntity, "body.config.mapping.email"},
				{"an unknown JIT policy", http.MethodPost, base, admin, `{"name":"X","kind":"oidc","enabled":true,"config":{"issuer":"https://x.example","client_id":"c","jit":"maybe"}}`, http.StatusUnprocessableEntity, "body.config.jit"},
				{"an Apple key that is not a key", http.MethodPost, base, admin, `{"name":"X","kind":"apple","enabled":true,"config":{"client_id":"c","apple_team_id":"T","apple_key_id":"K"},"client_secret":"` + secret2 + `"}`, http.StatusUnprocessableEntity, "body.client_secret"},
				{"a name in use", http.MethodPost, base, admin, strings.Replace(string(samlBody), "Acme SAML", "acme saml", 1), http.StatusConflict, "body.name"},
				{"a change of kind", http.MethodPut, base + "/" + saml.ID, admin, oidcBody("Acme SAML", ""), http.StatusUnprocessableEntity, "body.kind"},
				{"a change of an unknown provider", http.MethodPut, base + "/idp_nope", admin, oidcBody("Y", ""), http.StatusNotFound, ""},
				{"a read-only admin writing", http.MethodPost, base, reader, oidcBody("Y", ""), http.StatusForbidden, "idps:write"},
				{"a read-only admin deleting", http.MethodDelete, base + "/" + oidc.ID, reader, "", http.StatusForbidden, "idps:write"},
				{"a help-desk admin reading", http.MethodGet, base, w.token[RoleHelpDesk], "", http.StatusForbidden, "idps:read"},
				{"a help-desk admin reading SP metadata", http.MethodGet, base + "/saml-sp-metadata", w.token[RoleHelpDesk], "", http.StatusForbidden, "idps:read"},
				{"another tenant's provider", http.MethodGet, base + "/" + other, admin, "", http.StatusNotFound, ""},
				{"deleting another tenant's provider", http.MethodDelete, base + "/" + other, admin, "", http.StatusNotFound, ""},
				{"another tenant", http.MethodGet, "/api/v1/mgmt/tenants/" + w.b.ID + "/idps/" + other, admin, "", http.StatusForbidden, ""},
			}, secret, secret2)

			w.clock.Advance(time.Second)
			for _, id := range []string{oidc.ID, saml.ID} {
				if status, _, body := w.do(t, http.MethodDelete, base+"/"+id, admin, ""); status != http.StatusNoContent {
					t.Fatalf("delete: %d %s", status, body)
				}
				if status, _, body := w.do(t, http.MethodGet, base+"/"+id, admin, ""); status != http.StatusNotFound {
					t.Fatalf("get after delete: %d %s", status, body)
				}
				if status, _, body := w.do(t, http.MethodDelete, base+"/"+id, admin, ""); status != http.StatusNotFound {
					t.Fatalf("delete again: %d %s", status, body)
				}
			}

			if got, want := w.loggedTypes(t, "idp.*", "idp"), []string{"idp.created", "idp.created", "idp.updated", "idp.updated", "idp.updated",
				"idp.updated", "idp.updated", "idp.deleted", "idp.deleted"}; !slices.Equal(got, want) {
				t.Fatalf("logged %q, want %q", got, want)
			}
			evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Types: []string{"idp.*"}})
			if err != nil {
				t.Fatal(err)
			}
			var secrets []string
			for _, ev := range evs {
				d, err := json.Marshal(ev.Details)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(d), secret) || strings.Contains(string(d), secret2) || strings.Contains(string(d), "EntityDescriptor") ||
					ev.Details["name"] == nil || ev.Details["kind"] == nil {
					t.Fatalf("event %s details %s", ev.Type, d)
				}
				if ev.Type == "idp.updated" {
					secrets = append(secrets, ev.Details["secret"].(string))
				}
			}
			if want := []string{"kept", "set", "kept", "cleared", "set"}; !slices.Equal(secrets, want) {
				t.Fatalf("secret changes logged %q, want %q", secrets, want)
			}
		})
	}
}

// createIdP makes an OpenID Connect provider in a tenant past the API
// and returns its ID.
func (w *world) createIdP(t *testing.T, tenantID string) string {
	t.Helper()
	var p federation.IdP
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		p, err = w.fed.CreateIdP(ctx, tx, tenantID, federation.IdPInput{Name: "Other", Kind: federation.KindOIDC, Enabled: true,
			Config: federation.Config{Issuer: "https://other.example", ClientID: "c"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// TestIdPRoutingRulesAPI creates, reads, lists, changes and deletes an
// IdP routing rule, and checks that a rule may name only the tenant's
// providers, that deleting a provider takes it out of rules, and that
// each change is logged.
func TestIdPRoutingRulesAPI(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			admin, reader := w.token[RoleTenantAdmin], w.token[RoleReadOnly]
			idps := "/api/v1/mgmt/tenants/" + w.a.ID + "/idps"
			base := "/api/v1/mgmt/tenants/" + w.a.ID + "/idp-routing-rules"
			first := call[IdPView](t, w, http.MethodPost, idps, admin,
				`{"name":"Acme","kind":"oidc","enabled":true,"config":{"issuer":"https://acme.example","client_id":"c"}}`, http.StatusCreated)
			second := call[IdPView](t, w, http.MethodPost, idps, admin,
				`{"name":"Google","kind":"google","enabled":true,"config":{"client_id":"c"},"client_secret":"s"}`, http.StatusCreated)
			other := w.createIdP(t, w.b.ID)

			created := call[IdPRuleView](t, w, http.MethodPost, base, admin,
				`{"name":"Acme staff","priority":10,"match":{"domains":["Acme.example","*.acme.example"],"apps":["`+w.fixture[w.a.ID]["app"]+`"]},`+
					`"idps":["`+first.ID+`","`+second.ID+`"],"mode":"redirect"}`, http.StatusCreated)
			if !strings.HasPrefix(created.ID, "idr_") || created.TenantID != w.a.ID || created.Name != "Acme staff" || created.Priority != 10 ||
				!slices.Equal(created.Match.Domains, []string{"acme.example", "*.acme.example"}) || len(created.Match.Zones) != 0 || created.Match.Zones == nil ||
				!slices.Equal(created.IdPs, []string{first.ID, second.ID}) || created.Mode != "redirect" {
				t.Fatalf("created %+v", created)
			}
			second2 := call[IdPRuleView](t, w, http.MethodPost, base, admin,
				`{"name":"Everyone","priority":20,"match":{"zones":["`+w.fixture[w.a.ID]["zone"]+`"]},"idps":["`+first.ID+`"],"mode":"buttons"}`, http.StatusCreated)
			if got := call[IdPRuleView](t, w, http.MethodGet, base+"/"+created.ID, reader, "", http.StatusOK); got.Name != created.Name ||
				!slices.Equal(got.IdPs, created.IdPs) {
				t.Fatalf("read %+v", got)
			}
			w.clock.Advance(time.Second)
			updated := call[IdPRuleView](t, w, http.MethodPut, base+"/"+created.ID, admin,
				`{"name":"Acme staff","priority":30,"match":{"groups":["Fixture"]},"idps":["`+second.ID+`","`+first.ID+`"],"mode":"buttons"}`, http.StatusOK)
			if updated.Priority != 30 || len(updated.Match.Domains) != 0 || !slices.Equal(updated.Match.Groups, []string{"Fixture"}) ||
				!slices.Equal(updated.IdPs, []string{second.ID, first.ID}) || updated.Mode != "buttons" {
				t.Fatalf("updated %+v", updated)
			}
			list := call[List[IdPRuleView]](t, w, http.MethodGet, base, reader, "", http.StatusOK)
			if len(list.Items) != 2 || list.Items[0].ID != second2.ID || list.Items[1].ID != created.ID {
				t.Fatalf("listed %+v", list)
			}

			w.checkIdPRefusals(t, []refusal{
				{"an unknown provider", http.MethodPost, base, admin, `{"name":"X","priority":1,"match":{},"idps":["idp_nope"],"mode":"redirect"}`, http.StatusUnprocessableEntity, "body.idps[0]"},
				{"another tenant's provider", http.MethodPost, base, admin, `{"name":"X","priority":1,"match":{},"idps":["` + first.ID + `","` + other + `"],"mode":"redirect"}`, http.StatusUnprocessableEntity, "body.idps[1]"},
				{"no provider", http.MethodPost, base, admin, `{"name":"X","priority":1,"match":{},"idps":[],"mode":"redirect"}`, http.StatusUnprocessableEntity, "body.idps"},
				{"an unknown mode", http.MethodPost, base, admin, `{"name":"X","priority":1,"match":{},"idps":["` + first.ID + `"],"mode":"popup"}`, http.StatusUnprocessableEntity, "body.mode"},
				{"an unknown zone", http.MethodPost, base, admin, `{"name":"X","priority":1,"match":{"zones":["nzn_nope"]},"idps":["` + first.ID + `"],"mode":"redirect"}`, http.StatusUnprocessableEntity, "body.match.zones[0]"},
				{"a change to an unknown provider", http.MethodPut, base + "/" + created.ID, admin, `{"name":"X","priority":1,"match":{},"idps":["idp_nope"],"mode":"redirect"}`, http.StatusUnprocessableEntity, "body.idps[0]"},
				{"a change of an unknown rule", http.MethodPut, base + "/idr_nope", admin, `{"name":"X","priority":1,"match":{},"idps":["` + first.ID + `"],"mode":"redirect"}`, http.StatusNotFound, ""},
				{"a read-only admin writing", http.MethodPost, base, reader, `{"name":"X","priority":1,"match":{},"idps":["` + first.ID + `"],"mode":"redirect"}`, http.StatusForbidden, "idps:write"},
				{"a help-desk admin reading", http.MethodGet, base + "/" + created.ID, w.token[RoleHelpDesk], "", http.StatusForbidden, "idps:read"},
				{"another tenant's rules", http.MethodGet, "/api/v1/mgmt/tenants/" + w.b.ID + "/idp-routing-rules", admin, "", http.StatusForbidden, ""},
			})

			// Deleting a provider takes it out of every rule; a rule left
			// with none goes too.
			w.clock.Advance(time.Second)
			if status, _, body := w.do(t, http.MethodDelete, idps+"/"+first.ID, admin, ""); status != http.StatusNoContent {
				t.Fatalf("delete provider: %d %s", status, body)
			}
			if got := call[IdPRuleView](t, w, http.MethodGet, base+"/"+created.ID, reader, "", http.StatusOK); !slices.Equal(got.IdPs, []string{second.ID}) {
				t.Fatalf("after deleting a provider %+v", got)
			}
			if status, _, body := w.do(t, http.MethodGet, base+"/"+second2.ID, reader, ""); status != http.StatusNotFound {
				t.Fatalf("a rule left without providers: %d %s", status, body)
			}
			evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Types: []string{"idp.deleted"}})
			if err != nil || len(evs) != 1 {
				t.Fatalf("events %+v %v", evs, err)
			}
			if rules, _ := evs[0].Details["rules"].([]any); len(rules) != 2 {
				t.Fatalf("deletion details %+v", evs[0].Details)
			}

			w.clock.Advance(time.Second)
			if status, _, body := w.do(t, http.MethodDelete, base+"/"+created.ID, admin, ""); status != http.StatusNoContent {
				t.Fatalf("delete: %d %s", status, body)
			}
			if status, _, body := w.do(t, http.MethodDelete, base+"/"+created.ID, admin, ""); status != http.StatusNotFound {
				t.Fatalf("delete again: %d %s", status, body)
			}
			if got, want := w.loggedTypes(t, "idp_rule.*", "idp_rule"), []string{"idp_rule.created", "idp_rule.created", "idp_rule.updated",
				"idp_rule.deleted"}; !slices.Equal(got, want) {
				t.Fatalf("logged %q, want %q", got, want)
			}
		})
	}
}

// TestIdPSAMLMetadataFromURL: a SAML provider saved with only its
// metadata URL gets the document fetched (through the egress client);
// a URL that answers an error, or no metadata, is a 422 naming the
// field, and nothing is saved.
func TestIdPSAMLMetadataFromURL(t *testing.T) {
	metadata := samlIdPMetadata(t)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/metadata":
			_, _ = rw.Write([]byte(metadata))
		case "/page":
			_, _ = rw.Write([]byte("<html>hello</html>"))
		default:
			http.NotFound(rw, r)
		}
	}))
	t.Cleanup(srv.Close)
	w := newWorld(t, storetest.SQLite())
	base := "/api/v1/mgmt/tenants/" + w.a.ID + "/idps"
	body := func(name, path string) string {
		b, _ := json.Marshal(map[string]any{"name": name, "kind": "saml", "enabled": true, "config": map[string]any{"saml_metadata_url": srv.URL + path}})
		return string(b)
	}
	for _, path := range []string{"/missing", "/page"} {
		status, _, resp := w.do(t, http.MethodPost, base, w.token[RoleTenantAdmin], body("Broken "+path, path))
		if status != http.StatusUnprocessableEntity || !strings.Contains(resp, "body.config.saml_metadata_url") {
			t.Errorf("metadata from %s: %d %s", path, status, resp)
		}
	}
	if n := w.idpCount(t); n[0] != 0 {
		t.Fatalf("refused providers were saved: %v", n)
	}
	status, _, resp := w.do(t, http.MethodPost, base, w.token[RoleTenantAdmin], body("Fetched", "/metadata"))
	var v IdPView
	if err := json.Unmarshal([]byte(resp), &v); status != http.StatusCreated || err != nil || v.Config.SAMLMetadata != metadata || v.Config.SAMLMetadataURL != srv.URL+"/metadata" {
		t.Fatalf("created from the URL: %d %.500s", status, resp)
	}
}
