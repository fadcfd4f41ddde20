package samlidp

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// t0 is when the tests happen.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// base is the tenant's site; nothing dials it.
const base = "https://login.acme.test"

// world is one fresh database with a tenant, an app with SAML settings
// and a crewjam ServiceProvider that knows our metadata.
type world struct {
	st     store.Store
	clk    *clock.Fake
	svc    *Service
	sec    *secrets.Service
	tenant string
	app    string
	sp     *saml.ServiceProvider
}

// testKeys are RSA keys made once for the whole run (slow to make).
var testKeys = sync.OnceValue(func() []*rsa.PrivateKey {
	var ks []*rsa.PrivateKey
	for range 2 {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		ks = append(ks, k)
	}
	return ks
})

// testCert returns key i and a self-signed certificate for it.
func testCert(t testing.TB, i int) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key := testKeys()[i]
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 1)), Subject: pkix.Name{CommonName: "Test SP"},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

// eachWorld runs fn on a fresh world of every dialect.
func eachWorld(t *testing.T, fn func(t *testing.T, w *world)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, newWorld(t, b))
		})
	}
}

func newWorld(t testing.TB, b storetest.Backend) *world {
	t.Helper()
	w := &world{clk: clock.NewFake(t0)}
	w.st = b.New(t)(t)
	kek, err := secrets.GenerateKEK(t0)
	if err != nil {
		t.Fatal(err)
	}
	if w.sec, err = secrets.New(context.Background(), w.st, secrets.Keyring{Current: kek}, w.clk); err != nil {
		t.Fatal(err)
	}
	if w.svc, err = New(Deps{Secrets: w.sec, Clock: w.clk}); err != nil {
		t.Fatal(err)
	}
	tenants := tenantsOf(w)
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		ten, err := tenants.CreateTenant(ctx, tx, tenant.TenantInput{Slug: "acme", Name: "Acme"})
		if err != nil {
			return err
		}
		w.tenant = ten.ID
		app, _, err := tenants.CreateApp(ctx, tx, ten.ID, appInput("Wiki"))
		w.app = app.ID
		return err
	})
	key, cert := testCert(t, 0)
	w.sp = &saml.ServiceProvider{
		EntityID:        "https://wiki.example.test/saml/metadata",
		Key:             key,
		Certificate:     cert,
		MetadataURL:     mustURL("https://wiki.example.test/saml/metadata"),
		AcsURL:          mustURL("https://wiki.example.test/saml/acs"),
		SloURL:          mustURL("https://wiki.example.test/saml/slo"),
		Clock:           dsig.NewFakeClockAt(t0),
		SignatureMethod: dsig.RSASHA256SignatureMethod,
		LogoutBindings:  []string{saml.HTTPRedirectBinding},
	}
	in, err := ImportSPMetadata(w.spMetadata(t))
	if err != nil {
		t.Fatal(err)
	}
	in.Attributes = map[string]string{"mail": "user.email", "groups": "groups"}
	w.put(t, in)
	return w
}

// put stores the app's settings and refreshes the SP's copy of our
// metadata.
func (w *world) put(t testing.TB, in AppInput) {
	t.Helper()
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		_, err := w.svc.PutApp(ctx, tx, w.tenant, w.app, in)
		return err
	})
	w.refresh(t)
}

// refresh gives the SP our current metadata.
func (w *world) refresh(t testing.TB) {
	t.Helper()
	doc := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) ([]byte, error) {
		return w.svc.Metadata(ctx, tx, w.tenant, w.app, base)
	})
	ed, err := samlsp.ParseMetadata(doc)
	if err != nil {
		t.Fatalf("our metadata: %v\n%s", err, doc)
	}
	w.sp.IDPMetadata = ed
}

// spMetadata is the SP's metadata document.
func (w *world) spMetadata(t testing.TB) []byte {
	t.Helper()
	doc, err := xml.Marshal(w.sp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// must runs fn in a transaction and fails the test on an error.
func (w *world) must(t testing.TB, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := w.st.Tx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// parse hands r to ParseAuthnRequest.
func (w *world) parse(t testing.TB, r *http.Request) (Request, error) {
	t.Helper()
	var req Request
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		req, err = w.svc.ParseAuthnRequest(ctx, tx, w.tenant, w.app, base, r)
		return err
	})
	return req, err
}

// respond signs a response to req for sub.
func (w *world) respond(t testing.TB, req Request, sub Subject) Response {
	t.Helper()
	return storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (Response, error) {
		return w.svc.Respond(ctx, tx, req, sub)
	})
}

// deliver posts resp to the SP as the browser would and returns what it
// accepts.
func (w *world) deliver(t testing.TB, resp Response, requestIDs ...string) (*saml.Assertion, error) {
	t.Helper()
	form := url.Values{}
	for k, v := range resp.Fields {
		form.Set(k, v)
	}
	r := httptest.NewRequest(http.MethodPost, resp.URL, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := r.ParseForm(); err != nil {
		t.Fatal(err)
	}
	return w.sp.ParseResponse(r, requestIDs)
}

// redirectRequest is an SP-initiated AuthnRequest with the Redirect
// binding, signed when the SP signs, and its ID.
func (w *world) redirectRequest(t testing.TB, edit func(*saml.AuthnRequest)) (*http.Request, string) {
	t.Helper()
	ar, err := w.sp.MakeAuthenticationRequest(ssoURL(base, w.app), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(ar)
	}
	u, err := ar.Redirect("state-1", w.sp)
	if err != nil {
		t.Fatal(err)
	}
	return httptest.NewRequest(http.MethodGet, u.String(), nil), ar.ID
}

// postRequest is an SP-initiated AuthnRequest with the POST binding.
func (w *world) postRequest(t testing.TB) (*http.Request, string) {
	t.Helper()
	ar, err := w.sp.MakeAuthenticationRequest(ssoURL(base, w.app), saml.HTTPPostBinding, saml.HTTPPostBinding)
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	doc.SetRoot(ar.Element())
	buf, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(buf)}, "RelayState": {"state-1"}}
	r := httptest.NewRequest(http.MethodPost, ssoURL(base, w.app), strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r, ar.ID
}

// tenantsOf is a tenant service over the world's secrets and clock.
func tenantsOf(w *world) *tenant.Service {
	return tenant.New(w.sec, w.clk, tenant.Options{PublicHost: "id.example.com"})
}

// appInput is a web app named name.
func appInput(name string) tenant.AppInput {
	return tenant.AppInput{Name: name, Type: tenant.AppWeb, RedirectURIs: []string{"https://wiki.example.test/cb"}}
}
