package edge

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/store/storetest"
)

var dataAttr = regexp.MustCompile(`data-([a-z-]+)="([^"]*)"`)

// demoWidgetPage opens /demo/widget (with query) and returns its
// demo-widget.js data- attributes.
func demoWidgetPage(t *testing.T, w *siteWorld, c *http.Client, query string) (map[string]string, http.Header) {
	t.Helper()
	status, h, body := get(t, c, w.srv.URL+"/demo/widget"+query)
	if status != http.StatusOK {
		t.Fatalf("GET /demo/widget: %d %s", status, body)
	}
	_, script, ok := strings.Cut(body, `src="/assets/demo-widget.`)
	if !ok || !strings.Contains(body, `<div id="signin"></div>`) || !strings.Contains(body, `<script src="/widget/lintel.js" nonce="`) {
		t.Fatalf("the widget page lacks the widget:\n%s", body)
	}
	script, _, _ = strings.Cut(script, ">")
	data := map[string]string{}
	for _, m := range dataAttr.FindAllStringSubmatch(script, -1) {
		data[m[1]] = html.UnescapeString(m[2])
	}
	return data, h
}

// widgetCode signs alice in through the flow API as the widget does, for
// the demo app and its registered callback, and returns the code and the
// PKCE verifier.
func widgetCode(t *testing.T, w *siteWorld, nonce string) (code, verifier string) {
	t.Helper()
	c := w.browser(t) // a fresh browser: no session, every sign-in asks
	verifier, challenge := pkce("w")
	start := wire.StartRequest{ClientID: w.demoApp.ID, RedirectURI: w.srv.URL + "/demo/callback", Scope: "openid profile email",
		State: "st", Nonce: nonce, CodeChallenge: challenge, CodeChallengeMethod: "S256"}
	// The page is on the site itself: a browser sends the site's Origin
	// with its POSTs and none with its GETs.
	req, err := http.NewRequest(http.MethodPost, w.srv.URL+"/api/v1/flows", bytes.NewReader(start.AppendJSON(nil)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", w.srv.URL)
	status, h, body := do(t, c, req)
	if status != http.StatusCreated {
		t.Fatalf("start: %d %s", status, body)
	}
	flow, err := wire.ParseFlow([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	secret, next := h.Get(FlowSecretHeader), w.srv.URL+"/api/v1/flows/"+flow.ID
	if status, _, body := get(t, c, next, FlowSecretHeader, secret, "Accept", "application/json"); status != http.StatusOK {
		t.Fatalf("the flow read without Origin, as a same-origin GET: %d %s", status, body)
	}
	jsonRequest(t, c, http.MethodPost, next, secret, wire.ContinueRequest{Action: engine.ActionNext, Values: []wire.Param{{Name: "login", Value: alice}}}.AppendJSON(nil))
	_, _, body = jsonRequest(t, c, http.MethodPost, next, secret, wire.ContinueRequest{Action: engine.ActionSignIn, Values: []wire.Param{{Name: "password", Value: alicePass}}}.AppendJSON(nil))
	done, err := wire.ParseFlow([]byte(body))
	if err != nil || done.Step != wire.StepDone {
		t.Fatalf("sign-in did not end: %v %s", err, body)
	}
	cb, _ := url.Parse(done.Redirect)
	return cb.Query().Get("code"), verifier
}

// TestDemoWidgetSignsInWithoutRedirect checks the demo's widget page over
// HTTP: the home page links to it; it carries the widget's configuration
// for demo-widget.js (the demo app, its registered callback, the page's
// language and CSRF token); only it may compile WebAssembly, still with no
// eval and nothing inline; and its callback, given the widget's code, PKCE
// verifier and nonce with the CSRF token, signs alice in to the demo
// (204, then /demo shows her claims), refusing a wrong nonce, a request
// without the token and one from another origin.
func TestDemoWidgetSignsInWithoutRedirect(t *testing.T) {
	w := newDemoWorld(t, storetest.SQLite(), clock.System())
	c := w.browser(t)

	status, h, body := get(t, c, w.srv.URL+"/demo")
	if status != http.StatusOK || !strings.Contains(body, `<a href="/demo/widget" id="demo-widget">Sign in with the embedded widget</a>`) {
		t.Fatalf("GET /demo: %d, no link to the widget page:\n%s", status, body)
	}
	if csp := h.Get("Content-Security-Policy"); strings.Contains(csp, "wasm") {
		t.Errorf("the demo's home page may compile WebAssembly: %s", csp)
	}

	data, h := demoWidgetPage(t, w, c, "")
	csp := h.Get("Content-Security-Policy")
	scripts, _, _ := strings.Cut(csp[strings.Index(csp, "script-src"):], ";")
	if want := "'strict-dynamic' 'wasm-unsafe-eval'"; !strings.HasSuffix(scripts, want) || strings.Contains(csp, "'unsafe-eval'") || strings.Contains(csp, "'unsafe-inline'") {
		t.Errorf("the widget page's CSP %q: want script-src ending %s, no 'unsafe-eval', no 'unsafe-inline'", csp, want)
	}
	want := map[string]string{"issuer": w.srv.URL + "/oauth2/default", "client-id": w.demoApp.ID, "redirect-uri": w.srv.URL + "/demo/callback", "locale": "en"}
	for k, v := range want {
		if data[k] != v {
			t.Errorf("data-%s = %q, want %q", k, data[k], v)
		}
	}
	if data["csrf"] == "" || data["failed"] == "" {
		t.Errorf("the widget page lacks its CSRF token or failure text: %v", data)
	}
	if ar, _ := demoWidgetPage(t, w, w.browser(t), "?ui_locales=ar"); ar["locale"] != "ar" {
		t.Errorf("the Arabic page mounts the widget in %q", ar["locale"])
	}

	callback := func(in demoWidgetResult, header ...string) (int, http.Header) {
		t.Helper()
		b, _ := json.Marshal(in)
		req, err := http.NewRequest(http.MethodPost, w.srv.URL+"/demo/widget/callback", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", w.srv.URL)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		status, h, _ := do(t, c, req)
		return status, h
	}
	signedIn := func() bool {
		_, _, body := get(t, c, w.srv.URL+"/demo")
		return strings.Contains(body, `id="claims"`) && strings.Contains(body, alice)
	}

	code, verifier := widgetCode(t, w, "n-1")
	if status, _ := callback(demoWidgetResult{Code: code, CodeVerifier: verifier, Nonce: "n-1"}); status != http.StatusForbidden {
		t.Errorf("callback without the CSRF token: %d, want 403", status)
	}
	if status, _ := callback(demoWidgetResult{Code: code, CodeVerifier: verifier, Nonce: "n-1"}, csrfHeader, data["csrf"], "Origin", "https://evil.example"); status != http.StatusForbidden {
		t.Errorf("callback from another origin: %d, want 403", status)
	}
	if status, _ := callback(demoWidgetResult{Code: code, CodeVerifier: verifier, Nonce: "n-other"}, csrfHeader, data["csrf"]); status != http.StatusBadRequest {
		t.Errorf("callback with another nonce: %d, want 400", status)
	}
	if signedIn() {
		t.Fatal("refused callbacks signed alice in to the demo")
	}

	code, verifier = widgetCode(t, w, "n-2")
	status, h = callback(demoWidgetResult{Code: code, CodeVerifier: verifier, Nonce: "n-2"}, csrfHeader, data["csrf"])
	if status != http.StatusNoContent || !strings.Contains(strings.Join(h.Values("Set-Cookie"), "\n"), "lintel-demo=") {
		t.Fatalf("callback: %d, cookies %q", status, h.Values("Set-Cookie"))
	}
	if !signedIn() {
		t.Fatal("/demo does not show alice's claims after the widget's sign-in")
	}
	if status, _ := callback(demoWidgetResult{Code: code, CodeVerifier: verifier, Nonce: "n-2"}, csrfHeader, data["csrf"]); status != http.StatusBadRequest {
		t.Errorf("replayed code: %d, want 400", status)
	}
}
