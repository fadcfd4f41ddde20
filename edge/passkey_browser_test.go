package edge

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lintel-id/lintel/internal/browsertest"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// The brand's names in the passkey test: Chromium maps each to a loopback
// server (--host-resolver-rules), on port 443 as the browser sees it, so
// that origins have no port, as real custom domains do.
const (
	brandHost   = "login.acme.test"      // acme's primary custom domain
	shopHost    = "login.acme-shop.test" // another registrable domain: a related origin
	brandApex   = "acme.test"            // the RP ID, where the related origins document is served
	brandIssuer = "https://" + brandHost + "/oauth2/default"
)

// TestPasskeyInBrowsers signs in with a passkey in headless Chromium with
// JavaScript on and the DevTools protocol's virtual authenticator (CTAP2,
// internal, resident keys, user verification, presence simulated), over
// HTTPS on acme's custom domains, which the browser resolves to the site's
// loopback listener (port 443 as the browser sees it, so origins have no
// port, as real custom domains do): alice signs in with her password and
// creates a passkey when the sign-on rule prompts her to; signs out; signs
// in by the passkey button (in a browser without passkey autofill); then
// by autofill (conditional mediation), touching nothing; and last on
// login.acme-shop.test, another registrable domain, where Chromium lets
// it use the RP ID acme.test only through the Related Origin Requests
// document at https://acme.test/.well-known/webauthn (another loopback
// server, proxying Lintel's, as a customer would): refused while that
// server does not serve it, accepted once it does. Every WebAuthn call
// the pages make is reported to the test with its outcome. Each step's
// screenshot is kept as a test artifact (go test -artifacts).
func TestPasskeyInBrowsers(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	w.activeDomains(t, brandHost, shopHost)
	apex := newWellKnownProxy(t, w, brandHost)
	rp := newBrandRP(t, w, brandHost, shopHost)
	w.setSignOn(t, rp.app.ID, policy.Rule{Name: "passkeys", Access: policy.AccessAllow,
		Authenticators: []string{policy.AuthPassword, policy.AuthPasskey}, Enroll: []string{policy.AuthPasskey}})

	site := w.srv.Listener.Addr().(*net.TCPAddr)
	browser := browsertest.Start(t, browsertest.Options{
		JavaScript: true, IgnoreCertificateErrors: true, Timeout: 2 * time.Minute,
		HostResolverRules: strings.Join([]string{
			fmt.Sprintf("MAP %s:443 127.0.0.1:%d", brandHost, site.Port),
			fmt.Sprintf("MAP %s:443 127.0.0.1:%d", shopHost, site.Port),
			fmt.Sprintf("MAP %s:443 %s", brandApex, apex.srv.Listener.Addr()),
		}, ", "),
	})
	if _, err := chromedp.Call(browser, webauthn.Enable, webauthn.EnableParams{EnableUI: new(false)}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	auth, err := chromedp.Call(browser, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
			Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true,
			HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		}})
	if err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	credentials := func(t *testing.T) []*webauthn.Credential {
		t.Helper()
		res, err := chromedp.Call(browser, webauthn.GetCredentials, webauthn.GetCredentialsParams(auth))
		if err != nil {
			t.Fatalf("WebAuthn.getCredentials: %v", err)
		}
		return res.Credentials
	}
	calls := watchCeremonies(t, browser)

	// step runs actions, waits for sel and keeps a screenshot as name.
	step := func(t *testing.T, name, sel string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		wait, cancel := context.WithTimeout(browser, 15*time.Second)
		defer cancel()
		if err := chromedp.Do(wait, append(actions, chromedp.WaitVisible(chromedp.CSS(sel)))...); err != nil {
			shot, cancel := context.WithTimeout(browser, 10*time.Second)
			defer cancel()
			loc, _ := chromedp.Run(shot, chromedp.Location())
			browsertest.Screenshot(t, shot, name+"-failed")
			t.Fatalf("%s: %v (at %s)\n%s", name, err, loc, w.errorLogs())
		}
		browsertest.Screenshot(t, wait, name)
	}
	click := func(value string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(`button[value="` + value + `"]`))
	}
	start := func(host string) chromedp.Action[chromedp.Void] {
		return chromedp.Navigate(rp.srv.URL + "/start?prompt=login&host=" + host)
	}
	result := func(t *testing.T) rpResult {
		t.Helper()
		text, err := chromedp.Run(browser, chromedp.Text(chromedp.CSS("#result")))
		if err != nil {
			t.Fatal(err)
		}
		var r rpResult
		if err := json.Unmarshal([]byte(text), &r); err != nil || r.Sub != w.userID {
			t.Fatalf("relying party: %s (%v), want alice (%s) signed in", text, err, w.userID)
		}
		return r
	}
	// signedInWithPasskey checks the tokens of a passkey sign-in from
	// issuer: a key verified by its owner, which counts as two factors,
	// phishing-resistant.
	signedInWithPasskey := func(t *testing.T, issuer string) {
		t.Helper()
		r := result(t)
		key := slices.Contains(r.AMR, "hwk") || slices.Contains(r.AMR, "swk")
		if r.Iss != issuer || !key || !slices.Contains(r.AMR, "user") || !slices.Contains(r.AMR, "mfa") || slices.Contains(r.AMR, "pwd") ||
			(r.ACR != engine.ACRPhishingResistant && r.ACR != engine.ACRPhishingResistantHardware) {
			t.Fatalf("relying party: %+v, want a passkey sign-in (hwk or swk, user, mfa; acr phr or phrh) from %s", r, issuer)
		}
	}

	t.Run("password, then a passkey created when prompted", func(t *testing.T) {
		calls.reset()
		step(t, "1-identify", `[data-step="identify"] #f-login`, start(brandHost))
		step(t, "2-password", "#f-password", chromedp.SendKeys(chromedp.CSS("#f-login"), alice), click("next"))
		step(t, "3-enroll-passkey", `[data-step="enroll-passkey"] button[value="enroll"]`,
			chromedp.SendKeys(chromedp.CSS("#f-password"), alicePass), click("sign-in"))
		step(t, "4-signed-in", "#result", click("enroll"))
		if r := result(t); r.Iss != brandIssuer || !slices.Equal(r.AMR, []string{"pwd"}) {
			t.Fatalf("relying party: %+v, want a password sign-in from %s", r, brandIssuer)
		}
		calls.await(t, ceremony{Kind: "create", Origin: "https://" + brandHost, Outcome: "resolved"})
		creds := credentials(t)
		if len(creds) != 1 || !creds[0].IsResidentCredential || creds[0].RpID != brandApex || string(creds[0].UserHandle) != w.userID {
			t.Fatalf("authenticator holds %+v, want one discoverable passkey of alice for %s", creds, brandApex)
		}
		if n := w.passkeyCount(t); n != 1 {
			t.Fatalf("%d passkeys stored for alice, want 1", n)
		}
	})

	t.Run("sign out", func(t *testing.T) {
		step(t, "1-confirm", "#logout", chromedp.Navigate(brandIssuer+"/v1/logout"))
		// The confirmation has a title too: wait for the page without a form.
		step(t, "2-signed-out", "main:not(:has(form)) h1", chromedp.Click(chromedp.CSS("#logout")))
		if n := w.liveSessions(t); n != 0 {
			t.Fatalf("%d live sessions after signing out", n)
		}
	})

	t.Run("passkey button", func(t *testing.T) {
		withoutAutofillIn(t, browser)
		calls.reset()
		step(t, "1-identify", `[data-step="identify"] button[value="passkey"]`, start(brandHost))
		step(t, "2-signed-in", "#result", click("passkey"))
		signedInWithPasskey(t, brandIssuer)
		calls.await(t, ceremony{Kind: "get", Origin: "https://" + brandHost, Autocomplete: "username webauthn", Outcome: "resolved"})
		calls.none(t, func(c ceremony) bool { return c.Mediation != "" })
	})

	t.Run("autofill", func(t *testing.T) {
		calls.reset()
		// Nothing is typed or clicked: the page's conditional request is
		// answered by the authenticator's one passkey for acme.test.
		step(t, "1-signed-in", "#result", start(brandHost))
		signedInWithPasskey(t, brandIssuer)
		calls.await(t, ceremony{Kind: "get", Mediation: "conditional", Origin: "https://" + brandHost, Autocomplete: "username webauthn", Outcome: "resolved"})
		calls.none(t, func(c ceremony) bool { return c.Mediation == "" })
	})

	t.Run("related origin", func(t *testing.T) {
		withoutAutofillIn(t, browser)
		status, _, body := get(t, apex.client, "https://"+brandApex+"/.well-known/webauthn")
		var doc struct {
			Origins []string `json:"origins"`
		}
		if err := json.Unmarshal([]byte(body), &doc); status != http.StatusOK || err != nil || !slices.Contains(doc.Origins, "https://"+shopHost) {
			t.Fatalf("https://%s/.well-known/webauthn: %d %s", brandApex, status, body)
		}
		shop := ceremony{Kind: "get", Origin: "https://" + shopHost, Autocomplete: "username webauthn"}

		// Without the document, acme.test is not login.acme-shop.test's.
		apex.off.Store(true)
		calls.reset()
		step(t, "1-identify", `[data-step="identify"] button[value="passkey"]`, start(shopHost))
		if err := chromedp.Do(browser, click("passkey")); err != nil {
			t.Fatal(err)
		}
		refused := shop
		refused.Outcome = "SecurityError"
		calls.await(t, refused)
		// The page posts the failure and says so.
		step(t, "2-refused", `[data-step="identify"] .lt-message-error`)

		apex.off.Store(false)
		before := apex.hits.Load()
		step(t, "3-signed-in", "#result", click("passkey"))
		signedInWithPasskey(t, "https://"+shopHost+"/oauth2/default")
		shop.Outcome = "resolved"
		calls.await(t, shop)
		if apex.hits.Load() == before {
			t.Fatalf("the browser did not fetch https://%s/.well-known/webauthn", brandApex)
		}
	})
}

// noAutofill hides conditional mediation from the page's scripts.
const noAutofill = `if (window.PublicKeyCredential) {
	PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);
}`

// reportCeremonies wraps navigator.credentials.create and get on every
// page to report each call, once it settles, to the test's
// passkeyCeremony binding: the kind, the mediation, the page's origin, the
// login field's autocomplete then, and "resolved" or the error's name.
const reportCeremonies = `(() => {
	const c = navigator.credentials;
	if (!c) {
		return;
	}
	for (const kind of ["create", "get"]) {
		const call = c[kind].bind(c);
		c[kind] = function (options) {
			const login = document.getElementById("f-login");
			const seen = {kind: kind, mediation: (options && options.mediation) || "", origin: location.origin,
				autocomplete: login ? login.getAttribute("autocomplete") || "" : ""};
			const p = call(options);
			const report = (outcome) => window.passkeyCeremony(Object.assign(seen, {outcome: outcome}));
			p.then(() => report("resolved"), (e) => report((e && e.name) || String(e)));
			return p;
		};
	}
})();`

// ceremony is a WebAuthn call a page made (see reportCeremonies).
type ceremony struct {
	Kind         string `json:"kind"`
	Mediation    string `json:"mediation"`
	Origin       string `json:"origin"`
	Autocomplete string `json:"autocomplete"`
	Outcome      string `json:"outcome"`
}

// ceremonies collects the WebAuthn calls of a browser's pages.
type ceremonies struct {
	mu   sync.Mutex
	seen []ceremony
	// more is closed (and replaced) when a call is reported.
	more chan struct{}
}

// watchCeremonies reports the WebAuthn calls of the pages ctx loads from
// now on.
func watchCeremonies(t *testing.T, ctx context.Context) *ceremonies {
	t.Helper()
	cs := &ceremonies{more: make(chan struct{})}
	err := chromedp.Do(ctx,
		chromedp.ExposeFunc("passkeyCeremony", func(_ context.Context, c ceremony) (chromedp.Void, error) {
			cs.mu.Lock()
			defer cs.mu.Unlock()
			cs.seen = append(cs.seen, c)
			close(cs.more)
			cs.more = make(chan struct{})
			return chromedp.Void{}, nil
		}),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: reportCeremonies})
			return err
		}))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// reset forgets the calls reported so far.
func (cs *ceremonies) reset() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.seen = nil
}

// await waits for a call like want to be reported (reports travel apart
// from the page's navigation, so one may arrive just after it).
func (cs *ceremonies) await(t *testing.T, want ceremony) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		cs.mu.Lock()
		seen, more := slices.Clone(cs.seen), cs.more
		cs.mu.Unlock()
		if slices.Contains(seen, want) {
			return
		}
		select {
		case <-more:
		case <-timeout:
			t.Fatalf("no WebAuthn call %+v; the pages made %+v", want, seen)
		}
	}
}

// none fails the test when a call reported matches bad.
func (cs *ceremonies) none(t *testing.T, bad func(ceremony) bool) {
	t.Helper()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if i := slices.IndexFunc(cs.seen, bad); i >= 0 {
		t.Fatalf("unexpected WebAuthn call %+v", cs.seen[i])
	}
}

// errorLogs are the world's log lines of level ERROR.
func (w *siteWorld) errorLogs() string {
	var out []string
	for l := range strings.Lines(w.logs.String()) {
		if strings.Contains(l, `"level":"ERROR"`) {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return strings.Join(out, "\n")
}

// activeDomains gives acme active custom domains, in this order (the
// first is the primary: its registrable domain is the RP ID).
func (w *siteWorld) activeDomains(t *testing.T, hosts ...string) {
	t.Helper()
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for _, h := range hosts {
			d, err := w.tenants.CreateDomain(ctx, tx, w.acme.ID, tenant.DomainInput{Hostname: h})
			if err != nil {
				return err
			}
			if _, err := w.tenants.SetDomainState(ctx, tx, d.ID, tenant.DomainActive, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// setSignOn sets the sign-on policy of an app of the world's tenant.
func (w *siteWorld) setSignOn(t *testing.T, appID string, rules ...policy.Rule) {
	t.Helper()
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := w.policies.PutSignOnPolicy(ctx, tx, w.acme.ID, appID, rules)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// passkeyCount counts alice's stored, verified passkeys.
func (w *siteWorld) passkeyCount(t *testing.T) int {
	t.Helper()
	n := 0
	err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		creds, err := w.dir.Credentials(ctx, tx, w.acme.ID, w.userID)
		for _, c := range creds {
			if c.Type == directory.CredentialWebAuthn && c.Verified {
				n++
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// liveSessions counts alice's live sessions.
func (w *siteWorld) liveSessions(t *testing.T) int {
	t.Helper()
	var n int
	err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		ss, err := w.engine.Sessions.List(ctx, tx, w.acme.ID, w.userID)
		n = len(ss)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// brandClient is an HTTP client that reaches the site world's listener
// for every host in hosts (on port 443), as DNS would send a custom
// domain to Lintel, and trusts its test certificate, whose name is
// example.com.
func (w *siteWorld) brandClient(hosts ...string) *http.Client {
	tr := w.srv.Client().Transport.(*http.Transport).Clone()
	site := w.srv.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || port != "443" || !slices.Contains(hosts, host) {
			return nil, fmt.Errorf("brand client: no route to %s", addr)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, site)
	}
	tr.TLSClientConfig.ServerName = "example.com"
	return &http.Client{Transport: tr}
}

// wellKnownProxy is the customer's server at the RP ID (https://acme.test
// as the browser sees it, on loopback): it proxies
// /.well-known/webauthn to Lintel and serves nothing else.
type wellKnownProxy struct {
	srv *httptest.Server
	// hits counts the documents served; while off, none is.
	hits atomic.Int64
	off  atomic.Bool
	// client reaches it as https://acme.test.
	client *http.Client
}

func newWellKnownProxy(t *testing.T, w *siteWorld, host string) *wellKnownProxy {
	t.Helper()
	p := &wellKnownProxy{}
	lintel := w.brandClient(host)
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/.well-known/webauthn" || p.off.Load() {
			http.NotFound(rw, r)
			return
		}
		resp, err := lintel.Get("https://" + host + "/.well-known/webauthn")
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		p.hits.Add(1)
		rw.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		rw.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(rw, resp.Body)
	}))
	p.srv.StartTLS()
	t.Cleanup(p.srv.Close)
	tr := p.srv.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, p.srv.Listener.Addr().String())
	}
	tr.TLSClientConfig.ServerName = "example.com"
	p.client = &http.Client{Transport: tr}
	return p
}

// brandRP is a relying party on loopback over TLS that signs in through
// Lintel on its custom domains: /start?host=… sends the browser to the
// issuer on that host with PKCE, /callback exchanges the code and shows
// the verified ID token's iss, sub, amr and acr as JSON in #result.
type brandRP struct {
	srv *httptest.Server
	app tenant.App
}

// rpResult is what brandRP's callback shows.
type rpResult struct {
	Iss   string   `json:"iss"`
	Sub   string   `json:"sub"`
	AMR   []string `json:"amr"`
	ACR   string   `json:"acr"`
	Error string   `json:"error,omitempty"`
}

func newBrandRP(t *testing.T, w *siteWorld, hosts ...string) *brandRP {
	t.Helper()
	rp := &brandRP{srv: httptest.NewUnstartedServer(nil)}
	callback := "https://" + rp.srv.Listener.Addr().String() + "/callback"
	var secret string
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		rp.app, secret, err = w.tenants.CreateApp(ctx, tx, w.acme.ID, tenant.AppInput{Name: "Acme Shop", Type: tenant.AppWeb, RedirectURIs: []string{callback}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := gooidc.ClientContext(context.Background(), w.brandClient(hosts...))
	type issuer struct {
		cfg      oauth2.Config
		verifier *gooidc.IDTokenVerifier
	}
	issuers := map[string]issuer{}
	for _, h := range hosts {
		provider, err := gooidc.NewProvider(ctx, "https://"+h+"/oauth2/default")
		if err != nil {
			t.Fatal(err)
		}
		issuers[h] = issuer{
			cfg:      oauth2.Config{ClientID: rp.app.ID, ClientSecret: secret, Endpoint: provider.Endpoint(), RedirectURL: callback, Scopes: []string{gooidc.ScopeOpenID}},
			verifier: provider.Verifier(&gooidc.Config{ClientID: rp.app.ID}),
		}
	}
	type pending struct{ host, verifier string }
	var mu sync.Mutex
	states := map[string]pending{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /start", func(rw http.ResponseWriter, r *http.Request) {
		host := r.URL.Query().Get("host")
		iss, ok := issuers[host]
		if !ok {
			http.Error(rw, "unknown host", http.StatusBadRequest)
			return
		}
		state, v := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
		mu.Lock()
		states[state] = pending{host, v}
		mu.Unlock()
		opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(v)}
		if p := r.URL.Query().Get("prompt"); p != "" {
			opts = append(opts, oauth2.SetAuthURLParam("prompt", p))
		}
		http.Redirect(rw, r, iss.cfg.AuthCodeURL(state, opts...), http.StatusFound)
	})
	mux.HandleFunc("GET /callback", func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		p, ok := states[r.URL.Query().Get("state")]
		delete(states, r.URL.Query().Get("state"))
		mu.Unlock()
		res := rpResult{Error: "no such state"}
		if ok {
			iss := issuers[p.host]
			res = describeIDToken(ctx, iss.cfg, iss.verifier, r.URL.Query().Get("code"), p.verifier)
		}
		b, _ := json.Marshal(res)
		fmt.Fprintf(rw, `<!doctype html><title>RP</title><p id="result">%s</p>`, html.EscapeString(string(b)))
	})
	rp.srv.Config.Handler = mux
	rp.srv.StartTLS()
	t.Cleanup(rp.srv.Close)
	return rp
}

// describeIDToken redeems a code and describes the verified ID token, or
// the error.
func describeIDToken(ctx context.Context, cfg oauth2.Config, v *gooidc.IDTokenVerifier, code, pkceVerifier string) rpResult {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(pkceVerifier))
	if err != nil {
		return rpResult{Error: "exchange: " + err.Error()}
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		return rpResult{Error: "id token: " + err.Error()}
	}
	var c struct {
		AMR []string `json:"amr"`
		ACR string   `json:"acr"`
	}
	if err := idt.Claims(&c); err != nil {
		return rpResult{Error: "claims: " + err.Error()}
	}
	return rpResult{Iss: idt.Issuer, Sub: idt.Subject, AMR: c.AMR, ACR: c.ACR}
}
