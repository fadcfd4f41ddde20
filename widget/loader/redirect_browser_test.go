//go:build !js

package loader_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lintel-id/lintel/internal/browsertest"
)

// redirected waits in ctx's tab for the redirect page's outcome and
// checks what every outcome leaves: no response in the address bar and
// no transaction in sessionStorage.
func redirected(t *testing.T, ctx context.Context) string {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#done"))); err != nil {
		t.Fatal(err)
	}
	page, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		Done, Loc string
		Left      int
	}](`({done: document.getElementById("done").textContent, loc: location.href,
		left: Object.keys(sessionStorage).filter(function (k) { return k.indexOf("lintel.tx.") === 0; }).length})`))
	if err != nil {
		t.Fatal(err)
	}
	if u, err := url.Parse(page.Loc); err != nil || u.Path != "/cb" || u.RawQuery != "" || page.Left != 0 {
		t.Fatalf("after %q: location %s, %d transactions left", page.Done, page.Loc, page.Left)
	}
	return page.Done
}

// TestHandleRedirectRedeemsTheHandedOverCode runs a sign-in through an
// identity provider from the widget to the app's redirect URI in
// Chromium: the hand-over saves the transaction, the site sends the
// browser back to /cb with a code and the state, and the page there
// redeems the code with Lintel.handleRedirect's verifier, which /token
// checks against the challenge the flow started with. Loading the same
// response again is refused: a transaction is used once.
func TestHandleRedirectRedeemsTheHandedOverCode(t *testing.T) {
	t.Parallel()
	b, err := buildWidget()
	if err != nil {
		t.Fatal(err)
	}
	browser := browsertest.Start(t, browsertest.Options{JavaScript: true})
	for _, c := range modes(t) {
		t.Run(c.name, func(t *testing.T) {
			site := &handoverSite{t: t, wasm: c.wasm, goroot: b.goroot}
			srv := httptest.NewServer(site)
			defer srv.Close()
			site.origin = srv.URL
			site.back = func(state string) url.Values {
				return url.Values{"code": {"c0de"}, "state": {state}, "iss": {srv.URL}}
			}
			ctx := browsertest.Isolated(t, browser)
			if err := chooseProvider(ctx, srv.URL, c.mode); err != nil {
				t.Fatal(err)
			}
			if done := redirected(t, ctx); done != "ok" {
				t.Fatalf("redeemed: %q, token requests %q", done, site.tokens)
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(site.redirected)); err != nil {
				t.Fatal(err)
			}
			if done := redirected(t, ctx); done != "error unknown_state" {
				t.Fatalf("the same response again: %q", done)
			}
			site.mu.Lock()
			defer site.mu.Unlock()
			if len(site.tokens) != 1 || site.tokens[0] != "ok" || len(site.posted) != 1 {
				t.Fatalf("token requests %q, hand-overs %q", site.tokens, site.posted)
			}
		})
	}
}

// TestHandleRedirectRefuses sends the browser back from a server-rendered
// widget's hand-over with responses handleRedirect must not redeem: each
// calls onError, makes no token request and leaves nothing stored.
func TestHandleRedirectRefuses(t *testing.T) {
	t.Parallel()
	browser := browsertest.Start(t, browsertest.Options{JavaScript: true})
	for _, c := range []struct {
		name string
		back func(origin, state string) url.Values
		age  string // JavaScript run on the provider's page, before going back
		want string
	}{
		{name: "refuses a state it saved nothing for",
			back: func(origin, _ string) url.Values {
				return url.Values{"code": {"c0de"}, "state": {"forged"}, "iss": {origin}}
			},
			want: "error unknown_state"},
		{name: "reports a declined sign-in",
			back: func(origin, state string) url.Values {
				return url.Values{"error": {"access_denied"}, "state": {state}, "iss": {origin}}
			},
			want: "error access_denied"},
		{name: "refuses another issuer",
			back: func(_, state string) url.Values {
				return url.Values{"code": {"c0de"}, "state": {state}, "iss": {"https://mix-up.example"}}
			},
			want: "error issuer_mismatch"},
		{name: "refuses a response without iss",
			back: func(_, state string) url.Values {
				return url.Values{"code": {"c0de"}, "state": {state}}
			},
			want: "error issuer_mismatch"},
		{name: "refuses a transaction older than 10 minutes",
			// The hand-over shows the provider; its page shares the
			// site's origin, so it can age the saved transaction (no
			// clock to inject into the browser, and no sleeping).
			age: `(function () {
				var k = Object.keys(sessionStorage)[0], t = JSON.parse(sessionStorage.getItem(k));
				t.created -= 10 * 60 * 1000 + 1000;
				sessionStorage.setItem(k, JSON.stringify(t));
			})()`,
			back: func(origin, state string) url.Values {
				return url.Values{"code": {"c0de"}, "state": {state}, "iss": {origin}}
			},
			want: "error transaction_expired"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // each in its own browser context
			site := &handoverSite{t: t}
			srv := httptest.NewServer(site)
			defer srv.Close()
			site.origin = srv.URL
			if c.age == "" {
				site.back = func(state string) url.Values { return c.back(srv.URL, state) }
			}
			ctx := browsertest.Isolated(t, browser)
			if err := chooseProvider(ctx, srv.URL, "html"); err != nil {
				t.Fatal(err)
			}
			if c.age != "" {
				if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#provider")), chromedp.Evaluate[chromedp.Void](c.age)); err != nil {
					t.Fatal(err)
				}
				site.mu.Lock()
				back := srv.URL + "/cb?" + c.back(srv.URL, site.state).Encode()
				site.mu.Unlock()
				if err := chromedp.Do(ctx, chromedp.Navigate(back)); err != nil {
					t.Fatal(err)
				}
			}
			if done := redirected(t, ctx); done != c.want {
				t.Fatalf("got %q, want %q", done, c.want)
			}
			site.mu.Lock()
			defer site.mu.Unlock()
			if len(site.tokens) != 0 || len(site.posted) != 1 || site.posted[0] != "POST ? flow_secret=s3cret" {
				t.Fatalf("token requests %q, hand-overs %q", site.tokens, site.posted)
			}
		})
	}
}
