package main

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"

	"github.com/lintel-id/lintel/server/engine"
)

// samlApp is an app of the demo tenant set up as a SAML service
// provider: crewjam's samlsp middleware on a loopback server, which
// protects /app and prints the session's subject and attributes.
type samlApp struct {
	m   *samlsp.Middleware
	srv *httptest.Server
}

func newSAMLApp(t *testing.T) *samlApp {
	t.Helper()
	key, cert := selfSigned(t, "Payroll SP")
	a := &samlApp{}
	mux := http.NewServeMux()
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	root, _ := url.Parse(a.srv.URL)
	var err error
	a.m, err = samlsp.New(samlsp.Options{URL: *root, Key: key, Certificate: cert, SignRequest: true, AllowIDPInitiated: true,
		DefaultRedirectURI: "/app", IDPMetadata: &saml.EntityDescriptor{},
		// Lintel answers logout requests by the Redirect binding.
		LogoutBindings: []string{saml.HTTPRedirectBinding}})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/saml/", a.m)
	mux.Handle("/app", a.m.RequireAccount(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := samlsp.SessionFromContext(r.Context()).(samlsp.JWTSessionClaims)
		_ = json.NewEncoder(w).Encode(map[string]any{"subject": s.Subject, "attributes": s.Attributes})
	})))
	return a
}

// TestSAMLIdentityProvider runs the binary as the SAML IdP of an app
// whose SP is crewjam's samlsp on loopback, through a browser (a cookie
// jar, every redirect followed by hand):
//   - the app's SAML settings come from the SP's metadata through the
//     management API, the SP reads the app's IdP metadata;
//   - SP-initiated sign-in (signed AuthnRequest, HTTP-Redirect) goes
//     through the hosted page (identify, password) and ends in a signed
//     Response the SP verifies, with the attributes the app's CEL
//     expressions map; the respond page works once;
//   - a second sign-in by the POST binding reuses the SSO session;
//   - single logout: the SP's signed LogoutRequest ends the session and
//     comes back as a LogoutResponse the SP verifies;
//   - IdP-initiated sign-in is refused until the app allows it.
func TestSAMLIdentityProvider(t *testing.T) {
	b := startBranded(t)
	sp := newSAMLApp(t)
	app := b.appB
	spMD, err := xml.Marshal(sp.m.ServiceProvider.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	samlAPI := b.api + "/apps/" + app + "/saml"
	call(t, http.MethodPost, samlAPI+"/import", b.admin, map[string]any{"metadata": string(spMD)}, http.StatusCreated)
	var settings map[string]any
	if err := json.Unmarshal(call(t, http.MethodGet, samlAPI, b.admin, nil, http.StatusOK), &settings); err != nil {
		t.Fatal(err)
	}
	settings["name_id_format"] = "email"
	settings["attributes"] = map[string]string{
		"mail":  "user.email",
		"uid":   "user.login",
		"realm": `app.name + " (" + request.grant_type + ")"`,
	}
	put := func(s map[string]any) {
		t.Helper()
		body := map[string]any{}
		for _, k := range []string{"sp_entity_id", "acs_urls", "sp_signing_cert", "want_signed_requests", "name_id_format", "attributes", "idp_initiated", "slo_url"} {
			if v, ok := s[k]; ok {
				body[k] = v
			}
		}
		call(t, http.MethodPut, samlAPI, b.admin, body, http.StatusOK)
	}
	put(settings)

	status, _, md := fetch(t, http.DefaultClient, mustRequest(t, b.base+"/saml/"+app+"/metadata"))
	var idp saml.EntityDescriptor
	if status != http.StatusOK || xml.Unmarshal([]byte(md), &idp) != nil || idp.EntityID != b.base+"/saml/"+app+"/metadata" {
		t.Fatalf("IdP metadata: %d %.500s", status, md)
	}
	sp.m.ServiceProvider.IDPMetadata = &idp

	c := browserClient(t)
	get := func(u string) (int, string, string) {
		t.Helper()
		status, h, body := fetch(t, c, mustRequest(t, u))
		loc := h.Get("Location")
		if strings.HasPrefix(loc, "/") {
			loc = b.base + loc
		}
		return status, loc, body
	}
	// post sends a form as the browser would from a page of origin.
	post := func(u, origin string, form url.Values) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		status, h, body := fetch(t, c, req)
		return status, h.Get("Location"), body
	}
	// respondForm checks the respond page and returns its form: the
	// fields it posts to the SP's ACS.
	respondForm := func(respondURL string) url.Values {
		t.Helper()
		resp, err := c.Do(mustRequest(t, respondURL))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page := string(raw)
		csp := resp.Header.Get("Content-Security-Policy")
		if resp.StatusCode != http.StatusOK || !strings.Contains(csp, "form-action 'self' "+sp.srv.URL) {
			t.Fatalf("respond page: %d, CSP %q\n%.2000s", resp.StatusCode, csp, page)
		}
		m := formAction.FindStringSubmatch(page)
		if m == nil || html.UnescapeString(m[1]) != sp.srv.URL+"/saml/acs" || !strings.Contains(page, "autopost.") {
			t.Fatalf("the respond page does not post to the ACS by itself:\n%.2000s", page)
		}
		form := url.Values{}
		for _, in := range formInput.FindAllStringSubmatch(page, -1) {
			form.Set(in[1], html.UnescapeString(in[2]))
		}
		if status, _, _ := get(respondURL); status != http.StatusNotFound {
			t.Errorf("the respond page opened twice: %d", status)
		}
		return form
	}
	// respond posts the respond page's form to the SP's ACS and returns
	// where the SP sends the browser.
	respond := func(respondURL string) string {
		t.Helper()
		status, loc, body := post(sp.srv.URL+"/saml/acs", b.base, respondForm(respondURL))
		if status != http.StatusFound {
			t.Fatalf("the SP refused the response: %d %s", status, body)
		}
		return loc
	}
	appPage := func() map[string]any {
		t.Helper()
		status, _, body := get(sp.srv.URL + "/app")
		var got map[string]any
		if status != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("the app: %d %s", status, body)
		}
		return got
	}
	signIn := func(signinURL string) string {
		t.Helper()
		status, _, page := get(signinURL)
		if status != http.StatusOK {
			t.Fatalf("sign-in page: %d", status)
		}
		pw := b.act(t, c, signinURL, page, engine.ActionNext, "login", b.login)
		form := url.Values{"action": {engine.ActionSignIn}, "password": {b.pass}}
		for _, m := range hiddenField.FindAllStringSubmatch(pw, -1) {
			form.Set(m[1], m[2])
		}
		status, loc, body := post(signinURL, b.base, form)
		if status != http.StatusSeeOther || !strings.HasPrefix(loc, b.base+"/saml/"+app+"/respond/") {
			t.Fatalf("password: %d to %q\n%.1000s", status, loc, body)
		}
		return loc
	}

	// SP-initiated, HTTP-Redirect binding.
	status, loc, _ := get(sp.srv.URL + "/app")
	if status != http.StatusFound || !strings.HasPrefix(loc, b.base+"/saml/"+app+"/sso?SAMLRequest=") {
		t.Fatalf("the SP did not send the browser to the IdP: %d %q", status, loc)
	}
	status, loc, _ = get(loc)
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, b.base+"/signin/") {
		t.Fatalf("SSO: %d to %q", status, loc)
	}
	if loc := respond(signIn(loc)); loc != "/app" && loc != sp.srv.URL+"/app" {
		t.Fatalf("the SP sent the browser to %q", loc)
	}
	got := appPage()
	attrs, _ := got["attributes"].(map[string]any)
	want := map[string]string{"mail": b.login, "uid": b.login, "realm": "Demo Shop (saml)"}
	for k, v := range want {
		if vs, _ := attrs[k].([]any); len(vs) != 1 || vs[0] != v {
			t.Errorf("attribute %s = %v, want [%s] (all: %v)", k, attrs[k], v, attrs)
		}
	}
	if got["subject"] != b.login {
		t.Errorf("NameID %v, want the email %s", got["subject"], b.login)
	}

	// The POST binding, with the SSO session: no step, straight back.
	ar, err := sp.m.ServiceProvider.MakeAuthenticationRequest(b.base+"/saml/"+app+"/sso", saml.HTTPPostBinding, saml.HTTPPostBinding)
	if err != nil {
		t.Fatal(err)
	}
	spPage := string(ar.Post("rs-post"))
	form := url.Values{}
	for _, in := range formInput.FindAllStringSubmatch(spPage, -1) {
		form.Set(in[1], html.UnescapeString(in[2]))
	}
	status, loc, body := post(b.base+"/saml/"+app+"/sso", sp.srv.URL, form)
	if status != http.StatusSeeOther || !strings.Contains(loc, "lintel_ticket=") {
		t.Fatalf("POST binding: %d to %q\n%.500s", status, loc, body)
	}
	status, loc, _ = get(b.base + loc)
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, b.base+"/saml/"+app+"/respond/") {
		t.Fatalf("the SSO session was not reused: %d to %q", status, loc)
	}
	acs := respondForm(loc)
	if acs.Get("RelayState") != "rs-post" {
		t.Errorf("RelayState %q", acs.Get("RelayState"))
	}
	acsReq, _ := http.NewRequest(http.MethodPost, sp.srv.URL+"/saml/acs", strings.NewReader(acs.Encode()))
	acsReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_ = acsReq.ParseForm() // the SP's handler does this before ParseResponse
	if _, err := sp.m.ServiceProvider.ParseResponse(acsReq, []string{ar.ID}); err != nil {
		var ire *saml.InvalidResponseError
		if errors.As(err, &ire) {
			err = ire.PrivateErr
		}
		t.Fatalf("the SP refused the POST binding's response: %v", err)
	}

	// Single logout, SP-initiated (HTTP-Redirect), signed both ways.
	logout, err := sp.m.ServiceProvider.MakeLogoutRequest(sp.m.ServiceProvider.GetSLOBindingLocation(saml.HTTPRedirectBinding), b.login)
	if err != nil {
		t.Fatal(err)
	}
	u, err := sp.m.ServiceProvider.RedirectLogoutRequestURL(logout, "bye")
	if err != nil {
		t.Fatal(err)
	}
	status, loc, _ = get(u.String())
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, sp.srv.URL+"/saml/slo?") {
		t.Fatalf("SLO: %d to %q", status, loc)
	}
	lr, _ := http.NewRequest(http.MethodGet, loc, nil)
	if _, err := sp.m.ServiceProvider.ParseLogoutResponse(lr, []string{logout.ID}); err != nil {
		t.Fatalf("the SP refused the LogoutResponse: %v", err)
	}
	// The session is over: a new request asks the person to sign in.
	u, err = sp.m.ServiceProvider.MakeRedirectAuthenticationRequest("again")
	if err != nil {
		t.Fatal(err)
	}
	if status, loc, _ := get(u.String()); status != http.StatusSeeOther || !strings.HasPrefix(loc, b.base+"/signin/") {
		t.Fatalf("after SLO the SSO endpoint answered %d to %q", status, loc)
	}
	// A LogoutRequest that is not the SP's is refused.
	if status, _, _ := get(b.base + "/saml/" + app + "/slo?SAMLRequest=bm90IHNhbWw%3D"); status != http.StatusBadRequest {
		t.Errorf("forged logout request: %d", status)
	}

	// IdP-initiated: refused until the app allows it.
	if status, _, _ := get(b.base + "/saml/" + app + "/sso?RelayState=%2Fapp"); status != http.StatusForbidden {
		t.Fatalf("IdP-initiated sign-in while off: %d", status)
	}
	settings["idp_initiated"] = true
	put(settings)
	status, loc, _ = get(b.base + "/saml/" + app + "/sso?RelayState=%2Fapp")
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, b.base+"/signin/") {
		t.Fatalf("IdP-initiated sign-in: %d to %q", status, loc)
	}
	c = browserClient(t)
	status, loc, _ = get(b.base + "/saml/" + app + "/sso?RelayState=%2Fapp")
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, b.base+"/signin/") {
		t.Fatalf("IdP-initiated sign-in: %d to %q", status, loc)
	}
	_ = respond(signIn(loc))
	if got := appPage(); got["subject"] != b.login {
		t.Errorf("IdP-initiated session at the SP: %v", got)
	}
}
