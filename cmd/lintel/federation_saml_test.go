package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/xml"
	"html"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"

	"github.com/lintel-id/lintel/edge"
	"github.com/lintel-id/lintel/server/engine"
)

// samlIdP is a SAML identity provider on loopback (crewjam's own), which
// signs everyone in as one employee and knows one service provider.
type samlIdP struct {
	idp *saml.IdentityProvider
	srv *httptest.Server
	sp  *saml.EntityDescriptor
}

func (p *samlIdP) GetServiceProvider(_ *http.Request, id string) (*saml.EntityDescriptor, error) {
	if p.sp == nil || p.sp.EntityID != id {
		return nil, os.ErrNotExist
	}
	return p.sp, nil
}

func (p *samlIdP) GetSession(http.ResponseWriter, *http.Request, *saml.IdpAuthnRequest) *saml.Session {
	now := time.Now()
	return &saml.Session{ID: "idp-session-1", CreateTime: now, ExpireTime: now.Add(time.Hour), Index: "1",
		NameID: "emp-4711", NameIDFormat: string(saml.PersistentNameIDFormat),
		UserEmail: "ida@corp.example", UserGivenName: "Ida", UserSurname: "Noddack"}
}

func newSAMLIdP(t *testing.T) *samlIdP {
	t.Helper()
	key, cert := selfSigned(t, "Corp IdP")
	p := &samlIdP{}
	p.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.idp.ServeSSO(w, r) }))
	t.Cleanup(p.srv.Close)
	base, _ := url.Parse(p.srv.URL)
	p.idp = &saml.IdentityProvider{Key: key, Certificate: cert, Logger: log.New(io.Discard, "", 0),
		MetadataURL: *base.JoinPath("metadata"), SSOURL: *base.JoinPath("sso"),
		ServiceProviderProvider: p, SessionProvider: p, WantAuthnRequestsSigned: true}
	return p
}

// selfSigned returns an RSA key and a self-signed certificate for it,
// valid for a day, as SAML parties use to sign.
func selfSigned(t *testing.T, cn string) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

var (
	formAction = regexp.MustCompile(`<form[^>]*action="([^"]+)"`)
	formInput  = regexp.MustCompile(`<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"`)
)

// TestSignInThroughSAML runs the binary as the SAML service provider of
// a crewjam identity provider on loopback, which knows the tenant's SP
// from its metadata endpoint and requires signed AuthnRequests. A
// person presses the IdP's button; the hand-over page goes to the IdP
// with a signed AuthnRequest (HTTP-Redirect) and RelayState = the
// flow's state; the IdP's signed assertion comes back as a POST to the
// ACS, and the person lands at the app with an account made just in
// time and linked. The same response posted again is refused, and so
// is one without RelayState (IdP-initiated sign-in is off).
func TestSignInThroughSAML(t *testing.T) {
	b := startBranded(t)
	p := newSAMLIdP(t)
	status, _, md := fetch(t, http.DefaultClient, mustRequest(t, b.base+edge.SAMLMetadataPath))
	var sp saml.EntityDescriptor
	if status != http.StatusOK || xml.Unmarshal([]byte(md), &sp) != nil || sp.EntityID != b.base+edge.SAMLMetadataPath {
		t.Fatalf("SP metadata: %d %.500s", status, md)
	}
	p.sp = &sp
	idpMD, err := xml.Marshal(p.idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	body := call(t, http.MethodPost, b.api+"/idps", b.admin, map[string]any{
		"name": "Corp SAML", "kind": "saml", "enabled": true,
		"config": map[string]any{"saml_metadata": string(idpMD), "saml_email_verified": true},
	}, http.StatusCreated)
	var idp struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &idp); err != nil || idp.ID == "" {
		t.Fatalf("create the SAML IdP: %s %v", body, err)
	}

	jar, _ := cookiejar.New(nil)
	tr := p.srv.Client().Transport
	c := &http.Client{Jar: jar, Transport: tr, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page, identify := b.signInPage(t, c, b.appA)
	form := url.Values{"action": {"idp:" + idp.ID}}
	for _, m := range hiddenField.FindAllStringSubmatch(identify, -1) {
		form.Set(m[1], m[2])
	}
	req, _ := http.NewRequest(http.MethodPost, page, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	status, h, resp := fetch(t, c, req)
	if status != http.StatusSeeOther {
		t.Fatalf("the IdP's button: %d\n%.2000s", status, resp)
	}
	at, idpPage := followTo(t, c, b.base+h.Get("Location"), "")
	if !strings.HasPrefix(at, p.srv.URL) {
		t.Fatalf("not sent to the IdP: %s\n%.2000s", at, idpPage)
	}
	m := formAction.FindStringSubmatch(idpPage)
	if m == nil || html.UnescapeString(m[1]) != b.base+engine.ACSPath {
		t.Fatalf("the IdP's answer posts to %v, not the ACS:\n%.2000s", m, idpPage)
	}
	post := url.Values{}
	for _, in := range formInput.FindAllStringSubmatch(idpPage, -1) {
		post.Set(in[1], html.UnescapeString(in[2]))
	}
	if post.Get("SAMLResponse") == "" || post.Get("RelayState") == "" {
		t.Fatalf("no SAMLResponse and RelayState in the IdP's form: %v", post)
	}
	acs := func(values url.Values) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, b.base+engine.ACSPath, strings.NewReader(values.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "null") // a cross-site form POST from the IdP's page
		status, h, _ := fetch(t, c, req)
		return status, h.Get("Location")
	}
	status, loc := acs(post)
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, engine.ReturnPrefix) {
		t.Fatalf("ACS: %d to %q", status, loc)
	}
	if end, page := followTo(t, c, b.base+loc, b.base+"/demo/callback"); !strings.HasPrefix(end, b.base+"/demo/callback?code=") {
		t.Fatalf("the SAML sign-in ended at %s:\n%.2000s", end, page)
	}
	id, given := b.userByLogin(t, "ida@corp.example")
	if id == "" || given != "Ida" {
		t.Fatalf("no account from the assertion (%q, given name %q)", id, given)
	}
	if got := b.identities(t, id); len(got) != 1 || got[0] != idp.ID {
		t.Fatalf("linked identities: %v", got)
	}
	if status, _ := acs(post); status != http.StatusBadRequest {
		t.Errorf("the same response posted again: %d", status)
	}
	unsolicited := url.Values{"SAMLResponse": {post.Get("SAMLResponse")}}
	if status, _ := acs(unsolicited); status != http.StatusBadRequest {
		t.Errorf("a response without RelayState (IdP-initiated is off): %d", status)
	}
}
