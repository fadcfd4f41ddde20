package edge

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	otptotp "github.com/pquerna/otp/totp"

	"github.com/lintel-id/lintel/internal/browsertest"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// flowRequest is one request to the flow API as Lintel saw it.
type flowRequest struct {
	Method, Path, Accept, Origin string
}

// flowLog records the flow API requests of a site world.
type flowLog struct {
	mu   sync.Mutex
	seen []flowRequest
}

func (l *flowLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v1/") {
			l.mu.Lock()
			l.seen = append(l.seen, flowRequest{r.Method, r.URL.Path, r.Header.Get("Accept"), r.Header.Get("Origin")})
			l.mu.Unlock()
		}
		h.ServeHTTP(rw, r)
	})
}

// since returns the requests after the first n.
func (l *flowLog) since(n int) []flowRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.seen[min(n, len(l.seen)):])
}

func (l *flowLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.seen)
}

// TestWidgetInBrowsers embeds the widget in a shop's page on another host
// (https://shop.acme-test.com, same site as Lintel's
// https://login.acme-test.com) under a strict Content-Security-Policy, in
// headless Chromium: passwordless email, password, registration with
// progressive profiling and passkeys (on the same site, and on another
// site through Related Origin Requests), each ending with tokens the
// shop's backend verifies with go-oidc, with no CSP violation. It checks
// that after the WebAssembly takes over only JSON is asked of the flow
// API, that with the WebAssembly blocked the email sign-in still
// completes on server-rendered fragments, that hostile host CSS changes
// nothing inside the widget and the widget nothing outside it, and keeps
// screenshots of every step in English and Arabic, in the default theme
// and with two design tokens overridden.
func TestWidgetInBrowsers(t *testing.T) {
	assets := buildWidget(t)
	log := &flowLog{}
	w := buildSiteWorld(t, storetest.SQLite(), clock.System(), worldOptions{
		config:  func(c *Config) { c.Widget = assets },
		handler: log.wrap,
	})
	w.activeDomains(t, widgetLogin)
	apex := newWellKnownProxy(t, w, widgetLogin)
	host := newWidgetHost(t, w)
	w.setEnrollment(t, host.app.ID, policy.Enrollment{Registration: true, EmailVerification: policy.VerifyBefore,
		Attributes:  []policy.EnrollAttribute{{Name: "family_name", Required: true}},
		Progressive: []policy.ProgressiveAttribute{{Name: "given_name"}}})
	// Alice has the name the progressive profile asks new people for.
	if err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := w.dir.UpdateUser(ctx, tx, w.acme.ID, w.userID, directory.UserUpdate{GivenName: new("Alice")}, events.Ref{})
		return err
	}); err != nil {
		t.Fatal(err)
	}

	site := w.srv.Listener.Addr().(*net.TCPAddr)
	shop := host.srv.Listener.Addr().(*net.TCPAddr)
	browser := browsertest.Start(t, browsertest.Options{
		JavaScript: true, IgnoreCertificateErrors: true, Timeout: 4 * time.Minute,
		HostResolverRules: strings.Join([]string{
			fmt.Sprintf("MAP %s:443 127.0.0.1:%d", widgetLogin, site.Port),
			fmt.Sprintf("MAP %s:443 127.0.0.1:%d", widgetShop, shop.Port),
			fmt.Sprintf("MAP %s:443 127.0.0.1:%d", widgetStore, shop.Port),
			fmt.Sprintf("MAP %s:443 %s", widgetApex, apex.srv.Listener.Addr()),
		}, ", "),
	})
	if _, err := chromedp.Call(browser, webauthn.Enable, webauthn.EnableParams{EnableUI: new(false)}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	if _, err := chromedp.Call(browser, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
			Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true,
			HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		}}); err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	calls := watchCeremonies(t, browser)
	var consoleMu sync.Mutex
	var console []string
	if err := chromedp.Listen(browser, func(ev any) {
		var line string
		switch ev := ev.(type) {
		case *cdpruntime.EventConsoleAPICalled:
			for _, a := range ev.Args {
				line += " " + string(a.Value) + a.Description
			}
			line = string(ev.Type) + ":" + line
		case *cdpruntime.EventExceptionThrown:
			line = "exception: " + ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				line += " " + ev.ExceptionDetails.Exception.Description
			}
		default:
			return
		}
		consoleMu.Lock()
		console = append(console, line)
		consoleMu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(browser, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}

	run := func(t *testing.T, name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(browser, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			shot, cancel := context.WithTimeout(browser, 10*time.Second)
			defer cancel()
			browsertest.Screenshot(t, shot, name+"-failed")
			html, _ := chromedp.Run(shot, chromedp.Evaluate[string](`(() => { const s = document.querySelector("#signin"); return s && s.shadowRoot ? s.shadowRoot.innerHTML : "no widget"; })()`))
			res, _ := chromedp.Run(shot, chromedp.Evaluate[string](`document.getElementById("result") ? document.getElementById("result").textContent : ""`))
			loc, _ := chromedp.Run(shot, chromedp.Location())
			consoleMu.Lock()
			lines := strings.Join(console, "\n")
			consoleMu.Unlock()
			t.Fatalf("%s: %v (at %s)\nwidget: %s\nresult: %s\nconsole:\n%s\n%s", name, err, loc, html, res, lines, w.errorLogs())
		}
	}
	// shot keeps a picture of the widget alone.
	shot := func(t *testing.T, name string) {
		t.Helper()
		png, err := chromedp.Run(browser, chromedp.Screenshot(chromedp.CSS("#signin")))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(t.ArtifactDir(), name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// open loads the shop's page; every sign-in asks again (prompt=login):
	// the same-site widget shares Lintel's session cookie.
	open := func(origin string, query ...string) chromedp.Action[chromedp.Void] {
		return chromedp.Navigate("https://" + origin + "/?prompt=login&client_id=" + host.app.ID + strings.Join(query, ""))
	}
	onStep := func(kind string) chromedp.Action[chromedp.Void] {
		return chromedp.WaitVisible(chromedp.JSPath(shadow(`[data-step="` + kind + `"]`)))
	}
	mode := func(m string) chromedp.Action[chromedp.Void] {
		return poll(`document.querySelector("#signin").dataset.lintelMode === "` + m + `"`)
	}
	typeIn := func(field, text string) chromedp.Action[chromedp.Void] {
		return chromedp.SendKeys(chromedp.JSPath(shadow("#f-"+field)), text)
	}
	click := func(value string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.JSPath(shadow(`button[value="` + value + `"]`)))
	}
	result := func(t *testing.T) rpResult {
		t.Helper()
		run(t, "result", chromedp.WaitVisible(chromedp.CSS(`#result[data-done="true"]`)))
		text, err := chromedp.Run(browser, chromedp.Text(chromedp.CSS("#result")))
		if err != nil {
			t.Fatal(err)
		}
		var r rpResult
		if err := json.Unmarshal([]byte(text), &r); err != nil || r.Error != "" {
			t.Fatalf("shop: %s (%v)", text, err)
		}
		return r
	}
	signedIn := func(t *testing.T, userID string, amr ...string) rpResult {
		t.Helper()
		r := result(t)
		if r.Iss != widgetIssuer || r.Sub != userID {
			t.Fatalf("shop got %+v, want %s signed in at %s", r, userID, widgetIssuer)
		}
		for _, a := range amr {
			if !slices.Contains(r.AMR, a) {
				t.Fatalf("shop got amr %v, want %v in it", r.AMR, a)
			}
		}
		return r
	}
	// onlyJSON checks that the widget asked the flow API for nothing but
	// JSON since request n (after the WebAssembly took over).
	onlyJSON := func(t *testing.T, n int) {
		t.Helper()
		reqs := log.since(n)
		if len(reqs) == 0 {
			t.Fatal("no flow API request after the takeover")
		}
		for _, r := range reqs {
			if r.Method != http.MethodOptions && r.Accept != "application/json" {
				t.Fatalf("after the takeover the widget asked %s %s for %q; all: %+v", r.Method, r.Path, r.Accept, reqs)
			}
		}
	}
	noViolations := func(t *testing.T) {
		t.Helper()
		if v := host.violations(); len(v) > 0 {
			t.Fatalf("CSP violations on the shop's page: %q", v)
		}
	}
	t.Cleanup(func() { noViolations(t) })

	t.Run("password", func(t *testing.T) {
		run(t, "identify", open(widgetShop), onStep("identify"), mode("wasm"))
		shot(t, "1-identify")
		n := log.len()
		run(t, "password", typeIn("login", alice), click("next"), onStep("challenge-password"))
		shot(t, "2-password")
		run(t, "wrong password", typeIn("password", "not it"), click("sign-in"), chromedp.WaitVisible(chromedp.JSPath(shadow(`.lt-message-error`))))
		shot(t, "3-password-wrong")
		run(t, "sign in", typeIn("password", alicePass), click("sign-in"))
		signedIn(t, w.userID, "pwd")
		onlyJSON(t, n)
		noViolations(t)
	})

	t.Run("passwordless email", func(t *testing.T) {
		run(t, "identify", open(widgetShop), onStep("identify"), mode("wasm"))
		n := log.len()
		run(t, "poll", typeIn("login", alice), click("next"), onStep("challenge-password"), click("email-code"), onStep("poll"))
		shot(t, "1-poll")
		code, _ := w.lastMailTo(t, alice)
		run(t, "code", click("enter-code"), onStep("challenge-email"), typeIn("code", code))
		shot(t, "2-code")
		run(t, "verify", click("verify"))
		signedIn(t, w.userID, "otp")
		onlyJSON(t, n)
	})

	t.Run("registration with progressive profiling", func(t *testing.T) {
		run(t, "identify", open(widgetShop), onStep("identify"), mode("wasm"))
		n := log.len()
		run(t, "register", click("register"), onStep("register"))
		shot(t, "1-register")
		run(t, "refused", typeIn("email", "grace at example"), click("create-account"), chromedp.WaitVisible(chromedp.JSPath(shadow(`[aria-invalid="true"]`))))
		shot(t, "2-register-refused")
		run(t, "poll", chromedp.SetValue(chromedp.JSPath(shadow("#f-email")), grace), typeIn("family_name", "Hopper"),
			typeIn("new_password", gracePass), click("create-account"), onStep("poll"))
		code, _ := w.lastMailTo(t, grace)
		run(t, "code", click("enter-code"), onStep("challenge-email"), typeIn("code", code), click("verify"), onStep("profile"))
		shot(t, "3-profile")
		run(t, "profile", typeIn("given_name", "Grace"), click("save"))
		r := result(t)
		u := w.user(t, grace)
		if r.Sub != u.ID || !slices.Contains(r.AMR, "otp") {
			t.Fatalf("shop got %+v, want grace (%s) signed in by code", r, u.ID)
		}
		if u.FamilyName != "Hopper" || u.GivenName != "Grace" || !u.EmailVerified {
			t.Fatalf("registered %+v", u)
		}
		onlyJSON(t, n)
	})

	t.Run("passkey on the same site", func(t *testing.T) {
		w.setSignOn(t, host.app.ID, policy.Rule{Name: "passkeys", Access: policy.AccessAllow,
			Authenticators: []string{policy.AuthPassword, policy.AuthPasskey}, Enroll: []string{policy.AuthPasskey}})
		calls.reset()
		run(t, "identify", open(widgetShop), onStep("identify"), mode("wasm"))
		run(t, "enroll", typeIn("login", alice), click("next"), onStep("challenge-password"),
			typeIn("password", alicePass), click("sign-in"), onStep("enroll-passkey"))
		shot(t, "1-enroll-passkey")
		run(t, "create", click("enroll"))
		signedIn(t, w.userID, "pwd")
		calls.await(t, ceremony{Kind: "create", Origin: "https://" + widgetShop, Outcome: "resolved"})

		withoutAutofillIn(t, browser)
		calls.reset()
		run(t, "identify again", open(widgetShop), onStep("identify"), mode("wasm"))
		run(t, "passkey", click("passkey"))
		signedIn(t, w.userID, "user", "mfa")
		calls.await(t, ceremony{Kind: "get", Origin: "https://" + widgetShop, Outcome: "resolved"})
	})

	t.Run("passkey on another site through related origins", func(t *testing.T) {
		withoutAutofillIn(t, browser)
		calls.reset()
		before := apex.hits.Load()
		run(t, "identify", open(widgetStore), onStep("identify"), mode("wasm"))
		run(t, "passkey", click("passkey"))
		signedIn(t, w.userID, "user", "mfa")
		calls.await(t, ceremony{Kind: "get", Origin: "https://" + widgetStore, Outcome: "resolved"})
		if apex.hits.Load() == before {
			t.Fatal("Chromium never fetched the related origins document")
		}
		// Back to the tenant's default sign-on policy.
		if err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			return w.policies.DeleteSignOnPolicy(ctx, tx, w.acme.ID, host.app.ID)
		}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a single-page app redeems its own code", func(t *testing.T) {
		run(t, "identify", chromedp.Navigate("https://"+widgetShop+"/?prompt=login&spa&client_id="+host.spa.ID), onStep("identify"), mode("wasm"))
		run(t, "password", typeIn("login", alice), click("next"), onStep("challenge-password"),
			typeIn("password", alicePass), click("sign-in"))
		signedIn(t, w.userID, "pwd")
	})

	t.Run("under Trusted Types", func(t *testing.T) {
		run(t, "identify", open(widgetShop, "&tt"), onStep("identify"), mode("wasm"))
		run(t, "password", typeIn("login", alice), click("next"), onStep("challenge-password"),
			typeIn("password", alicePass), click("sign-in"))
		signedIn(t, w.userID, "pwd")
		noViolations(t)
	})

	t.Run("wasm blocked", func(t *testing.T) {
		if _, err := chromedp.Call(browser, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: []*network.BlockPattern{{URLPattern: "*://*:*/*.wasm", Block: true}}}); err != nil {
			t.Fatal(err)
		}
		defer func() {
			_, _ = chromedp.Call(browser, network.SetBlockedURLs, network.SetBlockedURLsParams{})
		}()
		n := log.len()
		run(t, "identify", open(widgetShop), onStep("identify"))
		run(t, "poll", typeIn("login", alice), click("next"), onStep("challenge-password"), click("email-code"), onStep("poll"))
		code, _ := w.lastMailTo(t, alice)
		run(t, "code", click("enter-code"), onStep("challenge-email"), typeIn("code", code), click("verify"))
		signedIn(t, w.userID, "otp")
		m, err := chromedp.Run(browser, chromedp.Evaluate[string](`document.querySelector("#signin").dataset.lintelMode`))
		if err != nil || m != "html" {
			t.Fatalf("mode %q (%v), want html with the WebAssembly blocked", m, err)
		}
		html := 0
		for _, r := range log.since(n) {
			if r.Accept == "text/html" {
				html++
			}
		}
		if html < 4 {
			t.Fatalf("%d fragment requests; the sign-in should have run on fragments: %+v", html, log.since(n))
		}
	})

	t.Run("host CSS changes nothing inside and the widget nothing outside", func(t *testing.T) {
		const look = `(() => {
			const root = document.querySelector("#signin").shadowRoot;
			const out = {};
			for (const sel of [".lt-title", "label", "input", ".lt-primary", ".lt-secondary"]) {
				const el = root.querySelector(sel);
				if (!el) { out[sel] = "missing"; continue; }
				const s = getComputedStyle(el);
				out[sel] = [s.color, s.fontFamily, s.letterSpacing, s.display, s.backgroundColor, s.visibility].join("|");
			}
			return JSON.stringify(out);
		})()`
		const hostLook = `(() => {
			const out = {sheets: document.styleSheets.length, adopted: document.adoptedStyleSheets.length, head: document.head.children.length};
			for (const id of ["shop-title", "shop-text", "shop-search", "result"]) {
				const s = getComputedStyle(document.getElementById(id));
				out[id] = [s.color, s.fontFamily, s.fontSize, s.display, s.margin, s.backgroundColor].join("|");
			}
			return JSON.stringify(out);
		})()`
		read := func(t *testing.T, expr string) string {
			t.Helper()
			v, err := chromedp.Run(browser, chromedp.Evaluate[string](expr))
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		run(t, "plain", open(widgetShop), onStep("identify"), mode("wasm"))
		plain := read(t, look)
		run(t, "hostile", open(widgetShop, "&hostile"), onStep("identify"), mode("wasm"),
			poll(`getComputedStyle(document.getElementById("shop-text")).color === "rgb(255, 0, 0)"`))
		shot(t, "hostile-css")
		if hostile := read(t, look); hostile != plain || strings.Contains(plain, "missing") {
			t.Fatalf("host CSS reached the widget:\nplain   %s\nhostile %s", plain, hostile)
		}
		run(t, "not mounted", open(widgetShop, "&nomount"), chromedp.WaitVisible(chromedp.CSS("#shop-search")))
		before := read(t, hostLook)
		run(t, "mounted", chromedp.Evaluate[chromedp.Void]("mountWidget()"), onStep("identify"), mode("wasm"))
		if after := read(t, hostLook); after != before {
			t.Fatalf("the widget changed the host page:\nbefore %s\nafter  %s", before, after)
		}
	})

	t.Run("accessibility", func(t *testing.T) {
		// The widget's markup is the hosted pages'; axe checks it inside
		// the shop's page, shadow root included, in both directions.
		for _, locale := range []string{"en", "ar"} {
			run(t, "identify", open(widgetShop, "&axe&locale="+locale), onStep("identify"), mode("wasm"))
			browsertest.AxeClean(t, browser)
			run(t, "refused", click("register"), onStep("register"), click("create-account"),
				chromedp.WaitVisible(chromedp.JSPath(shadow(`[aria-invalid="true"]`))))
			browsertest.AxeClean(t, browser)
		}
	})

	t.Run("screenshots", func(t *testing.T) {
		for _, locale := range []string{"en", "ar"} {
			for _, theme := range []string{"default", "theme"} {
				q := "&locale=" + locale
				if theme == "theme" {
					q += "&theme"
				}
				name := locale + "-" + theme + "-"
				run(t, "identify", open(widgetShop, q), onStep("identify"), mode("wasm"))
				if locale == "ar" {
					dir, _ := chromedp.Run(browser, chromedp.Evaluate[string](shadow(".lt-widget")+".getAttribute('dir')"))
					if dir != "rtl" {
						t.Fatalf("Arabic widget dir %q", dir)
					}
				}
				shot(t, name+"1-identify")
				run(t, "register", click("register"), onStep("register"))
				shot(t, name+"2-register")
				run(t, "refused", click("create-account"), chromedp.WaitVisible(chromedp.JSPath(shadow(`[aria-invalid="true"]`))))
				shot(t, name+"3-register-refused")
				// Emailed codes are rate-limited per person: alice signs in
				// in English, grace (registered above) in Arabic.
				login := alice
				if locale == "ar" {
					login = grace
				}
				run(t, "password", open(widgetShop, q), onStep("identify"), mode("wasm"), typeIn("login", login), click("next"), onStep("challenge-password"))
				shot(t, name+"4-password")
				run(t, "poll", click("email-code"), onStep("poll"))
				shot(t, name+"5-poll")
				run(t, "code", click("enter-code"), onStep("challenge-email"))
				shot(t, name+"6-code")
			}
		}
	})

	t.Run("an authenticator app enrolled on a step drawn from JSON", func(t *testing.T) {
		w.setSignOn(t, host.app.ID, policy.Rule{Name: "app", Access: policy.AccessAllow,
			Authenticators: []string{policy.AuthPassword, policy.AuthTOTP}, Enroll: []string{policy.AuthTOTP}})
		run(t, "identify", open(widgetShop), onStep("identify"), mode("wasm"))
		n := log.len()
		run(t, "enroll", typeIn("login", alice), click("next"), onStep("challenge-password"),
			typeIn("password", alicePass), click("sign-in"), onStep("enroll-totp"),
			chromedp.WaitVisible(chromedp.JSPath(shadow(".lt-qr-code svg path"))))
		shot(t, "enroll-totp")
		key, err := chromedp.Run(browser, chromedp.Evaluate[string](shadow(".lt-key")+".textContent"))
		if err != nil {
			t.Fatal(err)
		}
		code, err := otptotp.GenerateCode(strings.ReplaceAll(key, " ", ""), time.Now())
		if err != nil {
			t.Fatalf("key %q: %v", key, err)
		}
		run(t, "verify", typeIn("code", code), click("verify"),
			poll(`document.getElementById("result").dataset.done === "true" || !!`+shadow(`[data-step="enroll-recovery_code"]`)))
		if done, _ := chromedp.Run(browser, chromedp.Evaluate[bool](`document.getElementById("result").dataset.done === "true"`)); !done {
			shot(t, "recovery-codes")
			run(t, "codes", chromedp.Click(chromedp.JSPath(shadow(".lt-primary"))))
		}
		// Enrolling proves the app works but is no sign-in factor: the
		// session's amr stays the password's (as with passkeys).
		signedIn(t, w.userID, "pwd")
		onlyJSON(t, n)
		if err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			return w.policies.DeleteSignOnPolicy(ctx, tx, w.acme.ID, host.app.ID)
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// poll waits until the expression is true in the page.
func poll(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second))(ctx, t)
		return chromedp.Void{}, err
	}
}

// withoutAutofillIn makes the browser report that it has no passkey
// autofill (PublicKeyCredential.isConditionalMediationAvailable false) on
// the pages ctx loads until t ends, so that the identify step waits for
// its button: Chromium's virtual authenticator answers a conditional
// request at once, without a person picking the passkey.
func withoutAutofillIn(t *testing.T, ctx context.Context) {
	t.Helper()
	res, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: noAutofill})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = chromedp.Call(ctx, cdppage.RemoveScriptToEvaluateOnNewDocument, cdppage.RemoveScriptToEvaluateOnNewDocumentParams(res))
	})
}
