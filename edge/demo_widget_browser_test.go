package edge

import (
	"context"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/lintel-id/lintel/internal/browsertest"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// cspWatch keeps the page's CSP violations in sessionStorage, which
// outlives the navigation to /demo at the end of the sign-in. DevTools
// adds it to every document, outside the page's CSP.
const cspWatch = `addEventListener("securitypolicyviolation", (e) => {
  sessionStorage.setItem("csp", (sessionStorage.getItem("csp") || "") + e.violatedDirective + " " + e.blockedURI + "\n");
}, true);`

// TestDemoWidgetInBrowser opens the demo app as `lintel serve --demo`
// serves it, in headless Chromium on plain HTTP at 127.0.0.1 (a secure
// context), follows the home page's link to /demo/widget, waits for the
// widget's WebAssembly to take over, signs alice in with her password
// inside the widget's shadow root, and lands on /demo with her claims,
// without a CSP violation.
func TestDemoWidgetInBrowser(t *testing.T) {
	assets := buildWidget(t)
	w := buildSiteWorld(t, storetest.SQLite(), clock.System(), worldOptions{demo: true, config: func(c *Config) { c.Widget = assets }})
	browser := browsertest.Start(t, browsertest.Options{JavaScript: true, Timeout: 2 * time.Minute})
	if _, err := chromedp.Call(browser, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatch}); err != nil {
		t.Fatal(err)
	}
	run := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(browser, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			shot, cancel := context.WithTimeout(browser, 10*time.Second)
			defer cancel()
			browsertest.Screenshot(t, shot, "demo-widget-"+name+"-failed")
			html, _ := chromedp.Run(shot, chromedp.Evaluate[string](`(() => { const s = document.querySelector("#signin"); return s && s.shadowRoot ? s.shadowRoot.innerHTML : document.body.innerHTML; })()`))
			loc, _ := chromedp.Run(shot, chromedp.Location())
			t.Fatalf("%s: %v (at %s)\n%s\n%s", name, err, loc, html, w.errorLogs())
		}
	}
	inWidget := func(sel string) chromedp.JSPath { return chromedp.JSPath(shadow(sel)) }

	run("home", chromedp.Navigate(w.srv.URL+"/demo"), chromedp.Click(chromedp.CSS("#demo-widget")),
		chromedp.WaitVisible(chromedp.CSS(`#signin[data-lintel-mode="wasm"]`)),
		chromedp.WaitVisible(inWidget(`[data-step="identify"]`)))
	if loc, _ := chromedp.Run(browser, chromedp.Location()); loc != w.srv.URL+"/demo/widget" {
		t.Fatalf("the link went to %s", loc)
	}
	run("password", chromedp.SendKeys(inWidget("#f-login"), alice), chromedp.Click(inWidget(`button[value="next"]`)),
		chromedp.WaitVisible(inWidget(`[data-step="challenge-password"]`)))
	run("sign in", chromedp.SendKeys(inWidget("#f-password"), alicePass), chromedp.Click(inWidget(`button[value="sign-in"]`)),
		chromedp.WaitVisible(chromedp.CSS("#claims")))
	loc, _ := chromedp.Run(browser, chromedp.Location())
	claims, err := chromedp.Run(browser, chromedp.Text(chromedp.CSS("#claims")))
	if err != nil || loc != w.srv.URL+"/demo" || !strings.Contains(claims, alice) || !strings.Contains(claims, w.userID) {
		t.Errorf("at %s the claims do not show alice (%v): %q", loc, err, claims)
	}
	if v, err := chromedp.Run(browser, chromedp.Evaluate[string](`sessionStorage.getItem("csp") || ""`)); err != nil || v != "" {
		t.Errorf("CSP violations on the demo's pages (%v): %q", err, v)
	}
}
