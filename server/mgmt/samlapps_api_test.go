package mgmt

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crewjam/saml"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/lintel-id/lintel/server/samlidp"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// newSAMLWorld returns the test world with the SAML app routes: a copy
// whose API has a samlidp.Service and is served on its own (the shared
// world has none, so its routes are not in testdata/authz.golden; see
// TestSAMLAppsAuthorization).
func newSAMLWorld(t *testing.T, backend storetest.Backend) (*world, *samlidp.Service) {
	t.Helper()
	w := newWorld(t, backend)
	svc, err := samlidp.New(samlidp.Deps{Secrets: w.sec, Clock: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	d := w.api.Deps
	d.SAML = svc
	api, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(Prefix+"/", api.Handler())
	own := *w
	own.api, own.srv = api, httptest.NewServer(mux)
	t.Cleanup(own.srv.Close)
	return &own, svc
}

// send is do with a body of content type ct.
func (w *world) send(t *testing.T, method, path, token, ct, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, w.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := w.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// spKey is an SP's signing key, made once for the run (slow to make).
var spKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// spCert returns a self-signed certificate of spKey named cn.
func spCert(t *testing.T, cn string) *x509.Certificate {
	t.Helper()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cn},
		NotBefore: now, NotAfter: now.AddDate(5, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &spKey().PublicKey, spKey())
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func certPEM(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

// spMetadata is the metadata crewjam's ServiceProvider publishes for an SP
// at host that signs its requests, with a single logout service and the
// email NameID format (none when nameID is false).
func spMetadata(t *testing.T, host string, cert *x509.Certificate, nameID bool) string {
	t.Helper()
	u := func(p string) url.URL { return url.URL{Scheme: "https", Host: host, Path: p} }
	sp := saml.ServiceProvider{EntityID: "https://" + host + "/saml", Key: spKey(), Certificate: cert,
		AcsURL: u("/saml/acs"), SloURL: u("/saml/slo"), MetadataURL: u("/saml/metadata"),
		SignatureMethod: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", AuthnNameIDFormat: saml.EmailAddressNameIDFormat,
		LogoutBindings: []string{saml.HTTPRedirectBinding}}
	ed := sp.Metadata()
	if !nameID {
		ed.SPSSODescriptors[0].NameIDFormats = nil
	}
	doc, err := xml.MarshalIndent(ed, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return xml.Header + string(doc)
}

// samlState describes what a refused request must not change: every
// fixture app's SAML settings, the SAML signing keys and the number of
// events other than denials (which the API logs).
func (w *world) samlState(t *testing.T, svc *samlidp.Service) string {
	t.Helper()
	var out strings.Builder
	err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for _, tn := range []tenant.Tenant{w.a, w.c1, w.c2, w.b} {
			app, err := svc.App(ctx, tx, tn.ID, w.fixture[tn.ID]["app"])
			fmt.Fprintf(&out, "%+v %v\n", app, err)
		}
		for _, q := range []string{`SELECT count(*) FROM saml_apps`, `SELECT count(*) FROM saml_idp_keys`, `SELECT count(*) FROM events WHERE outcome <> 'denied'`} {
			var n int
			if err := tx.QueryRow(ctx, q).Scan(&n); err != nil {
				return err
			}
			fmt.Fprintf(&out, "%s: %d\n", q, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// idpMetadata gets IdP metadata from path.
func (w *world) idpMetadata(t *testing.T, path, token string) saml.EntityDescriptor {
	t.Helper()
	status, h, body := w.do(t, http.MethodGet, path, token, "")
	var ed saml.EntityDescriptor
	if status != http.StatusOK || h.Get("Content-Type") != samlMetadataType || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("metadata: %d %s: %s", status, h.Get("Content-Type"), body)
	}
	if err := xml.Unmarshal([]byte(body), &ed); err != nil || len(ed.IDPSSODescriptors) != 1 {
		t.Fatalf("metadata %v: %s", err, body)
	}
	return ed
}

func signingKeys(ed saml.EntityDescriptor) int {
	n := 0
	for _, k := range ed.IDPSSODescriptors[0].KeyDescriptors {
		if k.Use == "signing" {
			n++
		}
	}
	return n
}

// TestSAMLAppsAPI sets, reads, replaces and removes an app's SAML
// settings, serves the IdP metadata for it, rotates the signing keys,
// and checks that each change is logged.
func TestSAMLAppsAPI(t *testing.T) {
	cert := spCert(t, "sp.acme.example")
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w, _ := newSAMLWorld(t, b)
			admin, reader := w.token[RoleTenantAdmin], w.token[RoleReadOnly]
			appID := w.fixture[w.a.ID]["app"]
			path := Prefix + "/tenants/" + w.a.ID + "/apps/" + appID + "/saml"
			site := "https://tenant-a.id.example.test/saml/" + appID

			status, _, body := w.do(t, http.MethodGet, path, reader, "")
			if status != http.StatusNotFound {
				t.Fatalf("settings before any: %d %s", status, body)
			}
			if status, _, body := w.do(t, http.MethodGet, path+"/metadata", reader, ""); status != http.StatusNotFound {
				t.Fatalf("metadata before any settings: %d %s", status, body)
			}

			full, _ := json.Marshal(map[string]any{
				"sp_entity_id": "https://sp.acme.example/saml",
				"acs_urls": []map[string]any{{"index": 1, "url": "https://sp.acme.example/saml/acs"},
					{"index": 2, "binding": saml.HTTPPostBinding, "url": "https://sp.acme.example/saml/acs2"}},
				"sp_signing_cert": certPEM(cert), "want_signed_requests": true, "name_id_format": "email",
				"attributes":    map[string]string{"mail": "user.email"},
				"idp_initiated": true, "slo_url": "https://sp.acme.example/saml/slo",
			})
			created := call[SAMLAppView](t, w, http.MethodPut, path, admin, string(full), http.StatusCreated)
			want := SAMLAppView{AppID: appID, SPEntityID: "https://sp.acme.example/saml",
				ACSURLs:       []SAMLACS{{1, saml.HTTPPostBinding, "https://sp.acme.example/saml/acs"}, {2, saml.HTTPPostBinding, "https://sp.acme.example/saml/acs2"}},
				SPSigningCert: certPEM(cert), WantSignedRequests: true, NameIDFormat: "email", Attributes: map[string]string{"mail": "user.email"},
				IdPInitiated: true, SLOURL: "https://sp.acme.example/saml/slo",
				EntityID: site + "/metadata", MetadataURL: site + "/metadata", SSOURL: site + "/sso", SLOURLIdP: site + "/slo",
				CreatedAt: w.clock.Now(), UpdatedAt: w.clock.Now()}
			if !equalJSON(t, created, want) {
				t.Fatalf("created %+v\nwant    %+v", created, want)
			}
			if got := call[SAMLAppView](t, w, http.MethodGet, path, reader, "", http.StatusOK); !equalJSON(t, got, want) {
				t.Fatalf("read %+v", got)
			}

			// A replacement clears what it leaves out and keeps the
			// creation time.
			w.clock.Advance(time.Minute)
			replaced := call[SAMLAppView](t, w, http.MethodPut, path, admin,
				`{"sp_entity_id":"https://sp.acme.example/saml2","acs_urls":[{"index":0,"url":"https://sp.acme.example/acs"}]}`, http.StatusOK)
			if replaced.SPEntityID != "https://sp.acme.example/saml2" || len(replaced.ACSURLs) != 1 || replaced.ACSURLs[0].Binding != saml.HTTPPostBinding ||
				replaced.SPSigningCert != "" || replaced.WantSignedRequests || replaced.NameIDFormat != "persistent" || len(replaced.Attributes) != 0 ||
				replaced.IdPInitiated || replaced.SLOURL != "" || !replaced.CreatedAt.Equal(want.CreatedAt) || !replaced.UpdatedAt.Equal(w.clock.Now()) ||
				replaced.SSOURL != site+"/sso" {
				t.Fatalf("replaced %+v", replaced)
			}

			ed := w.idpMetadata(t, path+"/metadata", reader)
			if ed.EntityID != replaced.EntityID || ed.IDPSSODescriptors[0].SingleSignOnServices[0].Location != replaced.SSOURL || signingKeys(ed) != 1 {
				t.Fatalf("metadata %+v", ed)
			}
			w.clock.Advance(time.Second)
			if status, _, body := w.do(t, http.MethodPost, Prefix+"/tenants/"+w.a.ID+"/saml/keys/rotate", admin, ""); status != http.StatusNoContent {
				t.Fatalf("rotate: %d %s", status, body)
			}
			if ed := w.idpMetadata(t, path+"/metadata", reader); signingKeys(ed) != 2 {
				t.Fatalf("after a rotation, %d signing keys published", signingKeys(ed))
			}

			w.clock.Advance(time.Second)
			if status, _, body := w.do(t, http.MethodDelete, path, admin, ""); status != http.StatusNoContent {
				t.Fatalf("delete: %d %s", status, body)
			}
			for _, p := range []string{path, path + "/metadata"} {
				if status, _, body := w.do(t, http.MethodGet, p, reader, ""); status != http.StatusNotFound {
					t.Fatalf("GET %s after delete: %d %s", p, status, body)
				}
			}
			if status, _, body := w.do(t, http.MethodDelete, path, admin, ""); status != http.StatusNotFound {
				t.Fatalf("delete again: %d %s", status, body)
			}
			if status, _, body := w.do(t, http.MethodGet, Prefix+"/tenants/"+w.a.ID+"/apps/"+appID, reader, ""); status != http.StatusOK {
				t.Fatalf("the app went with its SAML settings: %d %s", status, body)
			}

			if got, want := w.loggedTypes(t, "app.saml.*", "app"), []string{"app.saml.updated", "app.saml.updated", "app.saml.deleted"}; !slices.Equal(got, want) {
				t.Fatalf("logged %v, want %v", got, want)
			}
			if got := w.loggedTypes(t, "saml.keys.*", "tenant"); !slices.Equal(got, []string{"saml.keys.rotated"}) {
				t.Fatalf("logged %v", got)
			}
		})
	}
}

// TestSAMLAppsImport imports metadata made by crewjam's ServiceProvider,
// as the document itself and as JSON: the SP's fields replace the app's,
// Lintel's own stay.
func TestSAMLAppsImport(t *testing.T) {
	cert := spCert(t, "sp.acme.example")
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w, _ := newSAMLWorld(t, b)
			admin := w.token[RoleTenantAdmin]
			appID := w.fixture[w.a.ID]["app"]
			path := Prefix + "/tenants/" + w.a.ID + "/apps/" + appID + "/saml"

			status, _, body := w.send(t, http.MethodPost, path+"/import", admin, samlMetadataType, spMetadata(t, "sp.acme.example", cert, true))
			var got SAMLAppView
			if err := json.Unmarshal([]byte(body), &got); status != http.StatusCreated || err != nil {
				t.Fatalf("import: %d %s", status, body)
			}
			if got.SPEntityID != "https://sp.acme.example/saml" ||
				!slices.Equal(got.ACSURLs, []SAMLACS{{1, saml.HTTPPostBinding, "https://sp.acme.example/saml/acs"}}) ||
				got.SPSigningCert != certPEM(cert) || !got.WantSignedRequests || got.NameIDFormat != "email" ||
				got.SLOURL != "https://sp.acme.example/saml/slo" || got.IdPInitiated || len(got.Attributes) != 0 || got.SSOURL == "" {
				t.Fatalf("imported %+v", got)
			}

			// Lintel's own settings.
			w.clock.Advance(time.Second)
			set := `{"sp_entity_id":"https://sp.acme.example/saml","acs_urls":[{"index":1,"url":"https://sp.acme.example/saml/acs"}],` +
				`"name_id_format":"transient","attributes":{"groups":"groups"},"idp_initiated":true}`
			call[SAMLAppView](t, w, http.MethodPut, path, admin, set, http.StatusOK)

			// The SP moved: new host, new certificate.
			cases := []struct {
				name, ct, body string
				nameID         bool
				wantFormat     string
			}{
				{"as JSON, keeping the NameID format the metadata does not name", "application/json", "", false, "transient"},
				{"as the document, taking the NameID format it names", "application/xml", "", true, "email"},
			}
			for i, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					w.clock.Advance(time.Second)
					host := fmt.Sprintf("sp%d.acme.example", i)
					cert2 := spCert(t, host)
					doc := spMetadata(t, host, cert2, c.nameID)
					body := doc
					if c.ct == "application/json" {
						b, _ := json.Marshal(map[string]string{"metadata": doc})
						body = string(b)
					}
					status, _, resp := w.send(t, http.MethodPost, path+"/import", admin, c.ct, body)
					var got SAMLAppView
					if err := json.Unmarshal([]byte(resp), &got); status != http.StatusOK || err != nil {
						t.Fatalf("import: %d %s", status, resp)
					}
					if got.SPEntityID != "https://"+host+"/saml" || len(got.ACSURLs) != 1 || got.ACSURLs[0].URL != "https://"+host+"/saml/acs" ||
						got.SPSigningCert != certPEM(cert2) || got.SLOURL != "https://"+host+"/saml/slo" || got.NameIDFormat != c.wantFormat ||
						!got.IdPInitiated || got.Attributes["groups"] != "groups" || len(got.Attributes) != 1 {
						t.Fatalf("imported %+v", got)
					}
					if read := call[SAMLAppView](t, w, http.MethodGet, path, admin, "", http.StatusOK); !equalJSON(t, read, got) {
						t.Fatalf("read %+v, imported %+v", read, got)
					}
				})
			}
			if got, want := w.loggedTypes(t, "app.saml.*", "app"), []string{"app.saml.imported", "app.saml.updated", "app.saml.imported", "app.saml.imported"}; !slices.Equal(got, want) {
				t.Fatalf("logged %v, want %v", got, want)
			}
		})
	}
}

// TestSAMLAppsRefusals sends invalid settings and metadata, calls
// without the scope, about unknown apps and across tenants: each answers
// a problem naming what is wrong and changes nothing.
func TestSAMLAppsRefusals(t *testing.T) {
	cert := spCert(t, "sp.acme.example")
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w, svc := newSAMLWorld(t, b)
			admin, reader, helpDesk := w.token[RoleTenantAdmin], w.token[RoleReadOnly], w.token[RoleHelpDesk]
			appA := w.fixture[w.a.ID]["app"]
			pathA := Prefix + "/tenants/" + w.a.ID + "/apps/" + appA + "/saml"
			// A second app of A, whose SP entity ID the first cannot take,
			// and tenant B's admin.
			var adminB string
			err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				other, _, err := w.tenants.CreateApp(ctx, tx, w.a.ID, tenant.AppInput{Name: "Other", Type: "web", RedirectURIs: []string{"https://other.example.com/cb"}})
				if err != nil {
					return err
				}
				if _, err := svc.PutApp(ctx, tx, w.a.ID, other.ID, samlidp.AppInput{SPEntityID: "https://other.example/sp",
					ACS: []samlidp.ACS{{Index: 1, URL: "https://other.example/acs"}}}); err != nil {
					return err
				}
				_, adminB, err = w.tokens.Create(ctx, tx, TokenInput{TenantID: w.b.ID, Name: "b-admin", Role: RoleTenantAdmin, CreatedBy: "test"}, false)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			good := `{"sp_entity_id":"https://sp.acme.example/saml","acs_urls":[{"index":1,"url":"https://sp.acme.example/acs"}]}`
			call[SAMLAppView](t, w, http.MethodPut, pathA, admin, good, http.StatusCreated)
			// with returns good with one member changed or added.
			with := func(member, value string) string {
				var m map[string]json.RawMessage
				if err := json.Unmarshal([]byte(good), &m); err != nil {
					t.Fatal(err)
				}
				m[member] = json.RawMessage(value)
				out, _ := json.Marshal(m)
				return string(out)
			}
			metaJSON := func(doc string) string {
				b, _ := json.Marshal(map[string]string{"metadata": doc})
				return string(b)
			}
			pathB := Prefix + "/tenants/" + w.b.ID + "/apps/" + appA + "/saml"
			unknown := Prefix + "/tenants/" + w.a.ID + "/apps/app_nope0000000000000000000000/saml"
			const js = "application/json"
			cases := []struct {
				name, method, path, token, ct, body string
				status                              int
				where                               string
			}{
				{"an ACS URL that is not https", http.MethodPut, pathA, admin, js, with("acs_urls", `[{"index":1,"url":"http://sp.acme.example/acs"}]`), 422, "body.acs_urls[0].url"},
				{"two ACS with one index", http.MethodPut, pathA, admin, js, with("acs_urls", `[{"index":1,"url":"https://a.example/acs"},{"index":1,"url":"https://b.example/acs"}]`), 422, "body.acs_urls[1].index"},
				{"a binding other than HTTP-POST", http.MethodPut, pathA, admin, js, with("acs_urls", `[{"index":1,"binding":"`+saml.HTTPRedirectBinding+`","url":"https://a.example/acs"}]`), 422, "body.acs_urls[0].binding"},
				{"no ACS", http.MethodPut, pathA, admin, js, with("acs_urls", `[]`), 422, "body.acs_urls"},
				{"an unknown NameID format", http.MethodPut, pathA, admin, js, with("name_id_format", `"unspecified"`), 422, "body.name_id_format"},
				{"a certificate that is not one", http.MethodPut, pathA, admin, js, with("sp_signing_cert", `"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"`), 422, "body.sp_signing_cert"},
				{"signed requests without a certificate", http.MethodPut, pathA, admin, js, with("want_signed_requests", `true`), 422, "body.want_signed_requests"},
				{"an SLO URL that is not https", http.MethodPut, pathA, admin, js, with("slo_url", `"ftp://sp.acme.example/slo"`), 422, "body.slo_url"},
				{"an attribute without an expression", http.MethodPut, pathA, admin, js, with("attributes", `{"mail":" "}`), 422, "attributes"},
				{"another app's SP entity ID", http.MethodPut, pathA, admin, js, with("sp_entity_id", `"https://other.example/sp"`), 422, "body.sp_entity_id"},
				{"an unknown field", http.MethodPut, pathA, admin, js, with("colour", `"red"`), 422, "body.colour"},
				{"metadata that is not XML", http.MethodPost, pathA + "/import", admin, samlMetadataType, "not xml", 422, "body.metadata"},
				{"metadata of an IdP", http.MethodPost, pathA + "/import", admin, js, metaJSON(samlIdPMetadata(t)), 422, "body.metadata"},
				{"metadata whose ACS is not https", http.MethodPost, pathA + "/import", admin, js,
					metaJSON(strings.ReplaceAll(spMetadata(t, "sp.acme.example", cert, true), "https://sp.acme.example/saml/acs", "http://sp.acme.example/saml/acs")), 422, "body.metadata"},
				{"an import without metadata", http.MethodPost, pathA + "/import", admin, js, `{}`, 422, "body.metadata"},
				{"an import with an unknown field", http.MethodPost, pathA + "/import", admin, js, `{"metadata":"<x/>","url":"https://sp.example"}`, 422, "body.metadata"},
				{"an import of another type", http.MethodPost, pathA + "/import", admin, "text/plain", "hello", 415, ""},
				{"settings of an unknown app", http.MethodPut, unknown, admin, js, good, 404, ""},
				{"an import into an unknown app", http.MethodPost, unknown + "/import", admin, samlMetadataType, spMetadata(t, "sp.acme.example", cert, true), 404, ""},
				{"a read-only admin's settings", http.MethodPut, pathA, reader, js, good, 403, ""},
				{"a read-only admin's import", http.MethodPost, pathA + "/import", reader, samlMetadataType, spMetadata(t, "sp.acme.example", cert, true), 403, ""},
				{"a read-only admin's removal", http.MethodDelete, pathA, reader, js, "", 403, ""},
				{"a read-only admin's rotation", http.MethodPost, Prefix + "/tenants/" + w.a.ID + "/saml/keys/rotate", reader, js, "", 403, ""},
				{"a help-desk admin's settings", http.MethodPut, pathA, helpDesk, js, good, 403, ""},
				{"a help-desk admin's read", http.MethodGet, pathA, helpDesk, js, "", 403, ""},
				{"a help-desk admin's rotation", http.MethodPost, Prefix + "/tenants/" + w.a.ID + "/saml/keys/rotate", helpDesk, js, "", 403, ""},
				{"tenant B's admin reading A's app in A", http.MethodGet, pathA, adminB, js, "", 403, ""},
				{"tenant B's admin reading A's metadata in A", http.MethodGet, pathA + "/metadata", adminB, js, "", 403, ""},
				{"tenant B's admin reading A's app in B", http.MethodGet, pathB, adminB, js, "", 404, ""},
				{"tenant B's admin reading A's metadata in B", http.MethodGet, pathB + "/metadata", adminB, js, "", 404, ""},
				{"tenant B's admin setting A's app in B", http.MethodPut, pathB, adminB, js, with("sp_entity_id", `"https://b.example/sp"`), 404, ""},
				{"tenant B's admin removing A's app in B", http.MethodDelete, pathB, adminB, js, "", 404, ""},
				{"tenant B's admin rotating A's keys", http.MethodPost, Prefix + "/tenants/" + w.a.ID + "/saml/keys/rotate", adminB, js, "", 403, ""},
			}
			for _, c := range cases {
				t.Run("refuses "+c.name, func(t *testing.T) {
					before := w.samlState(t, svc)
					status, h, body := w.send(t, c.method, c.path, c.token, c.ct, c.body)
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
					if after := w.samlState(t, svc); after != before {
						t.Fatalf("state went from\n%s\nto\n%s", before, after)
					}
				})
			}
		})
	}
}

// TestSAMLAppsAuthorization walks the SAML routes for every role and
// relation, as TestAuthorizationMatrix does for the routes of the shared
// world (which has no SAML service), against cells written the same way.
func TestSAMLAppsAuthorization(t *testing.T) {
	const (
		read  = "AAAA AA-- ---- AA--"
		write = "AAAA AA-- ---- ----"
	)
	want := map[string]string{
		"get-app-saml": read, "get-app-saml-metadata": read,
		"put-app-saml": write, "import-app-saml": write, "delete-app-saml": write, "rotate-saml-keys": write,
	}
	w, _ := newSAMLWorld(t, storetest.SQLite())
	seen := 0
	for _, r := range w.api.Routes() {
		cells, ok := want[r.ID]
		if !ok {
			continue
		}
		seen++
		var got []string
		for _, role := range Roles {
			cell := ""
			for _, rel := range relations {
				path, body := requestFor(w, r, rel)
				status, _, resp := w.do(t, r.Method, path, w.token[role], body)
				switch {
				case status == http.StatusUnauthorized || status == http.StatusForbidden:
					cell += "-"
				case status >= 500:
					t.Errorf("%s as %s on %s: %d %s", r.ID, role, rel, status, resp)
					cell += "!"
				default:
					cell += "A"
				}
			}
			got = append(got, cell)
		}
		if g := strings.Join(got, " "); g != cells {
			t.Errorf("%s %s: got %s, want %s (roles %v; own, child+, child-, other)", r.Method, r.Path, g, cells, Roles)
		}
	}
	if seen != len(want) {
		t.Fatalf("%d of the %d SAML routes are registered", seen, len(want))
	}
}

// TestSAMLAppsOpenAPI validates the documents of an API with the SAML
// routes and checks what they say of the routes' bodies.
func TestSAMLAppsOpenAPI(t *testing.T) {
	w, _ := newSAMLWorld(t, storetest.SQLite())
	get := func(path string) []byte {
		status, h, body := w.do(t, http.MethodGet, path, "", "")
		if status != http.StatusOK || !strings.Contains(h.Get("Content-Type"), "json") {
			t.Fatalf("GET %s: %d %s", path, status, h.Get("Content-Type"))
		}
		return []byte(body)
	}
	doc30, doc31 := get(Prefix+"/openapi-3.0.json"), get(Prefix+"/openapi.json")
	d30, err := openapi3.NewLoader().LoadFromData(doc30)
	if err != nil {
		t.Fatal(err)
	}
	if err := d30.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	d31, err := libopenapi.NewDocument(doc31)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(d31)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("%s: %s", e.Message, e.Reason)
		}
	}
	base := Prefix + "/tenants/{tenant}/apps/{app}/saml"
	for name, doc := range map[string][]byte{"3.0": doc30, "3.1": doc31} {
		ops := operations(t, doc)
		for _, op := range []string{"GET " + base, "PUT " + base, "DELETE " + base, "POST " + base + "/import", "GET " + base + "/metadata",
			"POST " + Prefix + "/tenants/{tenant}/saml/keys/rotate"} {
			if !ops[op] {
				t.Errorf("%s: %s is not in the document", name, op)
			}
		}
	}
	imp := d30.Paths.Find(base + "/import").Post.RequestBody.Value.Content
	if imp.Get(samlMetadataType) == nil || imp.Get("application/json") == nil || imp.Get("application/json").Schema == nil {
		t.Fatalf("import takes %v", slices.Sorted(maps.Keys(imp)))
	}
	if md := d30.Paths.Find(base + "/metadata").Get.Responses.Status(http.StatusOK).Value.Content; md.Get(samlMetadataType) == nil || len(md) != 1 {
		t.Fatalf("metadata answers %v", md)
	}
	if put := d30.Paths.Find(base).Put.Responses; put.Status(http.StatusCreated) == nil || put.Status(http.StatusOK) == nil {
		t.Fatal("PUT does not document 200 and 201")
	}
}
