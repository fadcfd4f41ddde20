package edge

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lintel-id/lintel/internal/browsertest"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// a11yDemo is what the accessibility pass needs for the demo client's
// pages, which `lintel serve --demo` serves: a world of its own that
// serves the demo (over plain HTTP, as the demo client speaks it).
type a11yDemo struct {
	w *siteWorld
}

func newA11yDemo(t *testing.T) a11yDemo {
	t.Helper()
	return a11yDemo{w: newDemoWorld(t, storetest.SQLite(), clock.System())}
}

// walk checks the demo's pages in a browser context of its own, whose
// browser asks for lang (the demo's pages have nothing else to go by):
// the home page signed out, the claims of alice's ID token after she
// signs in through the hosted pages, the page she lands on when she
// signs out, and the page that signs in with the embedded widget.
func (d a11yDemo) walk(t *testing.T, browser context.Context, lang string,
	check func(context.Context, string, a11yWant),
	do func(context.Context, ...chromedp.Action[chromedp.Void]),
	next func(context.Context, string, ...chromedp.Action[chromedp.Void]),
) {
	t.Helper()
	w := d.w
	c := browsertest.Isolated(t, browser)
	do(c, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		return tg.Call(ctx, "Network.setExtraHTTPHeaders", map[string]any{"headers": map[string]string{"Accept-Language": lang}}, nil)
	}))

	do(c, chromedp.Navigate(w.srv.URL+"/demo"), chromedp.WaitVisible(chromedp.CSS("#demo-sign-in")))
	check(c, "demo", a11yWant{})
	next(c, "#f-login", chromedp.Click(chromedp.CSS("#demo-sign-in")))
	next(c, "#f-password", chromedp.SendKeys(chromedp.CSS("#f-login"), alice), chromedp.Click(chromedp.CSS(`button[value="next"]`)))
	next(c, "#claims", chromedp.SendKeys(chromedp.CSS("#f-password"), alicePass), chromedp.Click(chromedp.CSS(`button[value="sign-in"]`)))
	claims, err := chromedp.Run(c, chromedp.Evaluate[string](`document.getElementById("claims").textContent`))
	if err != nil || !strings.Contains(claims, alice) {
		t.Errorf("the claims do not show %s (%v): %q", alice, err, claims)
	}
	check(c, "demo-claims", a11yWant{})
	next(c, "#logout", chromedp.Click(chromedp.CSS("#demo-sign-out")))
	next(c, "#demo-sign-in", chromedp.Click(chromedp.CSS("#logout")))
	check(c, "demo-signed-out", a11yWant{})
	// The same app signing in with the embedded widget (its steps
	// server-rendered here: this world has no WebAssembly).
	next(c, `#signin[data-lintel-step="identify"]`, chromedp.Click(chromedp.CSS("#demo-widget")))
	check(c, "demo-widget", a11yWant{})
}
