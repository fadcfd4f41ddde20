package federation

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"html"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// samlT0 is when the SAML tests happen; the IdP's clock stays there.
var samlT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// samlBase is the site the tenant signs in on. Nothing dials it: the test
// plays the browser and hands the IdP's form to the Service.
const samlBase = "https://login.acme.test"

// samlWorld is one fresh database with a tenant, a Service over real
// secrets, tenant and directory services, and a crewjam IdentityProvider
// on loopback (TLS) that knows the tenant's SP from its metadata.
type samlWorld struct {
	st     store.Store
	open   storetest.Opener
	kek    secrets.KEK
	clk    *clock.Fake
	svc    *Service
	tenant string
	idp    IdP // stored, enabled, IdP-initiated sign-in off

	idpKey  *rsa.PrivateKey
	idpCert *x509.Certificate
	cidp    *saml.IdentityProvider
	srv     *httptest.Server
	// spMeta is the tenant's SP metadata as the IdP has it; spPlain is
	// the same without the encryption key, so the IdP sends plaintext
	// assertions a test can tamper with.
	spMeta, spPlain *saml.EntityDescriptor

	// What the IdP does for the next sign-in (reset by each case).
	encrypt bool
	session func(*saml.Session)
	edit    func(*saml.Assertion)
	status  *saml.StatusError
}

// eachSAMLWorld runs fn on a fresh world of every dialect.
func eachSAMLWorld(t *testing.T, fn func(t *testing.T, w *samlWorld)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, newSAMLWorld(t, b)) })
	}
}

func newSAMLWorld(t testing.TB, b storetest.Backend) *samlWorld {
	t.Helper()
	w := &samlWorld{open: b.New(t), clk: clock.NewFake(samlT0)}
	w.st = w.open(t)
	var err error
	if w.kek, err = secrets.GenerateKEK(samlT0); err != nil {
		t.Fatal(err)
	}
	w.svc = w.node(t, w.st)

	w.idpKey, w.idpCert = samlTestKey(t, 0, "Test IdP")
	mux := http.NewServeMux()
	mux.HandleFunc("/sso", func(rw http.ResponseWriter, r *http.Request) { w.cidp.ServeSSO(rw, r) })
	mux.HandleFunc("/start", func(rw http.ResponseWriter, r *http.Request) {
		w.cidp.ServeIDPInitiated(rw, r, samlBase+samlMetadataPath, "")
	})
	w.srv = httptest.NewTLSServer(mux)
	t.Cleanup(w.srv.Close)
	w.cidp = &saml.IdentityProvider{
		Key:                     w.idpKey,
		Certificate:             w.idpCert,
		Logger:                  log.New(io.Discard, "", 0),
		MetadataURL:             mustURL(t, w.srv.URL+"/metadata"),
		SSOURL:                  mustURL(t, w.srv.URL+"/sso"),
		ServiceProviderProvider: w,
		SessionProvider:         w,
		AssertionMaker:          w,
		NameIDFormats:           []saml.NameIDFormat{saml.PersistentNameIDFormat},
		Clock:                   dsig.NewFakeClockAt(samlT0),
		WantAuthnRequestsSigned: true,
	}
	md, err := xml.Marshal(w.cidp.Metadata())
	if err != nil {
		t.Fatal(err)
	}

	w.must(t, func(ctx context.Context, tx store.Tx) error {
		ten, err := w.svc.d.Tenants.CreateTenant(ctx, tx, tenant.TenantInput{Slug: "acme", Name: "Acme"})
		if err != nil {
			return err
		}
		w.tenant = ten.ID
		// A key pair made ahead saves the tenant's first use from making
		// one (slow); TestSAMLSPMetadata makes one for real.
		spKey, spCert := samlTestKey(t, 1, "Test SP")
		pkcs8, err := x509.MarshalPKCS8PrivateKey(spKey)
		if err != nil {
			return err
		}
		sealed, err := w.svc.d.Secrets.Seal(samlKeyBinding(ten.ID), pkcs8)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO saml_sp_keys (tenant_id, certificate, key_sealed, created_at) VALUES (?, ?, ?, ?)`,
			ten.ID, spCert.Raw, sealed, samlT0); err != nil {
			return err
		}
		w.idp, err = w.svc.CreateIdP(ctx, tx, ten.ID, IdPInput{Name: "Acme SSO", Kind: KindSAML, Enabled: true,
			Config: Config{SAMLMetadata: string(md)}})
		return err
	})
	w.spMeta = w.spMetadata(t)
	plain := *w.spMeta
	plain.SPSSODescriptors = []saml.SPSSODescriptor{w.spMeta.SPSSODescriptors[0]}
	var keys []saml.KeyDescriptor
	for _, k := range plain.SPSSODescriptors[0].KeyDescriptors {
		if k.Use != "encryption" {
			keys = append(keys, k)
		}
	}
	plain.SPSSODescriptors[0].KeyDescriptors = keys
	w.spPlain = &plain
	return w
}

// node returns a Service over st sharing the world's key-encryption key
// and clock, as another node of a cluster would be.
func (w *samlWorld) node(t testing.TB, st store.Store) *Service {
	t.Helper()
	sec, err := secrets.New(context.Background(), st, secrets.Keyring{Current: w.kek}, w.clk)
	if err != nil {
		t.Fatal(err)
	}
	httpc := egress.New(egress.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}).Client()
	svc, err := New(Deps{Secrets: sec, Directory: directory.New(w.clk, events.New(st, sec, w.clk), sec),
		Tenants: tenant.New(sec, w.clk, tenant.Options{PublicHost: "id.example.com"}), HTTP: httpc, Clock: w.clk,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// must runs fn in a transaction and fails the test on an error.
func (w *samlWorld) must(t testing.TB, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := w.st.Tx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// newTenant creates a tenant (without an SP key pair yet).
func (w *samlWorld) newTenant(t testing.TB, slug string) string {
	t.Helper()
	var id string
	w.must(t, func(ctx context.Context, tx store.Tx) error {
		ten, err := w.svc.d.Tenants.CreateTenant(ctx, tx, tenant.TenantInput{Slug: slug, Name: slug})
		id = ten.ID
		return err
	})
	return id
}

// spMetadataDoc returns the tenant's SP metadata document.
func (w *samlWorld) spMetadataDoc(t testing.TB) []byte {
	t.Helper()
	return storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) ([]byte, error) {
		return w.svc.SPMetadata(ctx, tx, w.tenant, samlBase)
	})
}

// spMetadata returns the tenant's SP metadata, parsed by crewjam.
func (w *samlWorld) spMetadata(t testing.TB) *saml.EntityDescriptor {
	t.Helper()
	doc := w.spMetadataDoc(t)
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(doc, &ed); err != nil {
		t.Fatalf("SP metadata does not parse: %v\n%s", err, doc)
	}
	return &ed
}

// reset sets the IdP back to its defaults for the next sign-in.
func (w *samlWorld) reset() {
	w.encrypt, w.session, w.edit, w.status = false, nil, nil, nil
	w.clk.Set(samlT0)
}

// GetServiceProvider gives the IdP the tenant's SP metadata.
func (w *samlWorld) GetServiceProvider(_ *http.Request, id string) (*saml.EntityDescriptor, error) {
	switch {
	case id != samlBase+samlMetadataPath:
		return nil, os.ErrNotExist
	case w.encrypt:
		return w.spMeta, nil
	default:
		return w.spPlain, nil
	}
}

// GetSession signs Ada in at the IdP without asking.
func (w *samlWorld) GetSession(http.ResponseWriter, *http.Request, *saml.IdpAuthnRequest) *saml.Session {
	s := &saml.Session{ID: "idp-session", CreateTime: samlT0, ExpireTime: samlT0.Add(time.Hour), Index: "sess-1",
		NameID: "u-1234", NameIDFormat: string(saml.PersistentNameIDFormat), UserEmail: "Ada@Example.com",
		UserGivenName: "Ada", UserSurname: "Lovelace", Groups: []string{"staff", "admins"}}
	if w.session != nil {
		w.session(s)
	}
	return s
}

// MakeAssertion makes crewjam's assertion, then applies the case's edit
// before the IdP signs it; or refuses with the case's status.
func (w *samlWorld) MakeAssertion(req *saml.IdpAuthnRequest, s *saml.Session) error {
	if w.status != nil {
		return w.status
	}
	if err := (saml.DefaultAssertionMaker{}).MakeAssertion(req, s); err != nil {
		return err
	}
	if w.edit != nil {
		w.edit(req.Assertion)
	}
	return nil
}

// authorize starts a sign-in as the engine would and plays the browser:
// it follows the redirect to the IdP and returns the pending state and
// the form the IdP posts back to the ACS.
func (w *samlWorld) authorize(t *testing.T) (Pending, url.Values) {
	t.Helper()
	var to string
	var pend Pending
	w.must(t, func(ctx context.Context, tx store.Tx) (err error) {
		to, pend, err = w.svc.AuthURL(ctx, tx, w.idp, AuthParams{Callback: samlBase + samlACSPath, Base: samlBase, State: "state-123"})
		return err
	})
	if !strings.HasPrefix(to, w.srv.URL+"/sso?") {
		t.Fatalf("AuthURL = %q, want the IdP's SSO service", to)
	}
	return pend, w.browse(t, to)
}

// browse GETs u at the IdP and returns the HTTP-POST form it answers.
func (w *samlWorld) browse(t testing.TB, u string) url.Values {
	t.Helper()
	resp, err := w.srv.Client().Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("IdP answered %s: %s", resp.Status, body)
	}
	form := url.Values{}
	for _, name := range []string{"SAMLResponse", "RelayState"} {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindSubmatch(body)
		if m == nil {
			t.Fatalf("IdP form has no %s: %s", name, body)
		}
		form.Set(name, html.UnescapeString(string(m[1])))
	}
	if action := regexp.MustCompile(`action="([^"]*)"`).FindSubmatch(body); action == nil || html.UnescapeString(string(action[1])) != samlBase+samlACSPath {
		t.Fatalf("IdP form does not post to the ACS: %s", body)
	}
	return form
}

// exchange posts form to the ACS for pend, in a transaction that commits
// whatever happens.
func (w *samlWorld) exchange(t *testing.T, svc *Service, pend Pending, form url.Values) (Assertion, error) {
	t.Helper()
	var a Assertion
	err := storetest.Commit(t, w.st, func(ctx context.Context, tx store.Tx) (err error) {
		a, err = svc.Exchange(ctx, tx, w.idp, pend, form)
		return err
	})
	return a, err
}

// rewrite returns form with its SAMLResponse decoded, changed by fn and
// encoded again.
func rewrite(t *testing.T, form url.Values, fn func(resp *etree.Element)) url.Values {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(form.Get("SAMLResponse"))
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	fn(doc.Root())
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	form = url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(out)}, "RelayState": form["RelayState"]}
	return form
}

// child returns el's only child element named tag (any namespace).
func child(t *testing.T, el *etree.Element, tag string) *etree.Element {
	t.Helper()
	var found []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == tag {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s has %d %s children, want 1", el.Tag, len(found), tag)
	}
	return found[0]
}

// unsign removes el's Signature.
func unsign(t *testing.T, el *etree.Element) {
	t.Helper()
	el.RemoveChild(child(t, el, "Signature"))
}

// sign signs el (enveloped, exclusive c14n, RSA-SHA256) with key and
// cert, replacing any Signature it has, and puts the Signature after the
// Issuer as the SAML schema wants.
func sign(t *testing.T, el *etree.Element, key *rsa.PrivateKey, cert *x509.Certificate) {
	t.Helper()
	for _, c := range el.ChildElements() {
		if c.Tag == "Signature" {
			el.RemoveChild(c)
		}
	}
	ctx, err := dsig.NewSigningContext(key, [][]byte{cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		t.Fatal(err)
	}
	sig, err := ctx.ConstructSignature(el, true)
	if err != nil {
		t.Fatal(err)
	}
	el.InsertChildAt(child(t, el, "Issuer").Index()+1, sig)
}

// samlTestKeys are made once per test binary: making RSA keys is slow.
var samlTestKeys = sync.OnceValues(func() ([]*rsa.PrivateKey, error) {
	keys := make([]*rsa.PrivateKey, 3)
	for i := range keys {
		var err error
		if keys[i], err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return nil, err
		}
	}
	return keys, nil
})

// samlTestKey returns the i-th test key (0 the IdP's, 1 the SP's, 2 an
// attacker's) and a self-signed certificate for it valid around samlT0.
func samlTestKey(t testing.TB, i int, cn string) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	keys, err := samlTestKeys()
	if err != nil {
		t.Fatal(err)
	}
	key := keys[i]
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: samlT0.Add(-time.Hour), NotAfter: samlT0.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature}
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

func mustURL(t testing.TB, s string) url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return *u
}
