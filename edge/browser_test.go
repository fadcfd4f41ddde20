package edge

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lintel-id/lintel/internal/browsertest"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// TestPasswordlessInBrowsers signs in by email in headless Chromium with
// JavaScript off, over TLS, with a relying party of its own on loopback
// that exchanges the code for tokens: first by the emailed code, then by
// the link opened in a second browser context, whose confirmation the
// first browser's page learns of by reloading itself (meta refresh) and
// approves.
func TestPasswordlessInBrowsers(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	rp := newBrowserRP(t, w)
	first := browsertest.Start(t, browsertest.Options{IgnoreCertificateErrors: true})
	second := browsertest.Isolated(t, first)

	run := func(ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	toPoll := func(start string) {
		t.Helper()
		run(first, chromedp.Navigate(start), chromedp.WaitVisible(chromedp.CSS("#f-login")),
			chromedp.SendKeys(chromedp.CSS("#f-login"), alice), chromedp.Click(chromedp.CSS(`button[value="next"]`)),
			chromedp.WaitVisible(chromedp.CSS(`button[value="email-code"]`)), chromedp.Click(chromedp.CSS(`button[value="email-code"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-step="poll"]`)))
	}
	result := func() string {
		t.Helper()
		run(first, chromedp.WaitVisible(chromedp.CSS("#result")))
		text, err := chromedp.Run(first, chromedp.Text(chromedp.CSS("#result")))
		if err != nil {
			t.Fatal(err)
		}
		return text
	}

	// By code.
	toPoll(rp.srv.URL + "/start")
	browsertest.Screenshot(t, first, "1-poll")
	code, _ := w.lastMail(t)
	run(first, chromedp.Click(chromedp.CSS(`button[value="enter-code"]`)), chromedp.WaitVisible(chromedp.CSS("#f-code")),
		chromedp.SendKeys(chromedp.CSS("#f-code"), code))
	browsertest.Screenshot(t, first, "2-code")
	run(first, chromedp.Click(chromedp.CSS(`button[value="verify"]`)))
	if got := result(); !strings.Contains(got, "sub="+w.userID) || !strings.Contains(got, "amr=otp") {
		t.Fatalf("relying party after the code: %q", got)
	}

	// By link, opened in the second browser and approved in the first.
	toPoll(rp.srv.URL + "/start?prompt=login")
	_, link := w.lastMail(t)
	run(second, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`[data-step="confirm-link"] button`)))
	browsertest.Screenshot(t, second, "3-link-confirm")
	run(second, chromedp.Click(chromedp.CSS(`[data-step="confirm-link"] button`)), chromedp.WaitVisible(chromedp.CSS(`[data-step="info"]`)))
	browsertest.Screenshot(t, second, "4-link-elsewhere")
	// No script runs: the first page reloads itself and shows the approval.
	run(first, chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)))
	browsertest.Screenshot(t, first, "5-approve")
	run(first, chromedp.Click(chromedp.CSS(`button[value="approve"]`)))
	if got := result(); !strings.Contains(got, "sub="+w.userID) || !strings.Contains(got, "amr=otp") {
		t.Fatalf("relying party after the link: %q", got)
	}
}

// browserRP is a relying party on loopback over TLS: /start sends the
// browser to Lintel with PKCE, /callback exchanges the code and shows the
// ID token's subject and amr in #result. /login is an initiate_login_uri:
// it starts the same sign-in for the login_hint a third party names.
type browserRP struct {
	srv *httptest.Server
	// app is the relying party's app at Lintel.
	app tenant.App
}

func newBrowserRP(t *testing.T, w *siteWorld) *browserRP {
	t.Helper()
	rp := &browserRP{srv: httptest.NewUnstartedServer(nil)}
	callback := "https://" + rp.srv.Listener.Addr().String() + "/callback"
	var secret string
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		rp.app, secret, err = w.tenants.CreateApp(ctx, tx, w.acme.ID, tenant.AppInput{Name: "Browser RP", Type: tenant.AppWeb, RedirectURIs: []string{callback}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := gooidc.ClientContext(context.Background(), w.srv.Client())
	provider, err := gooidc.NewProvider(ctx, w.srv.URL+"/oauth2/default")
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauth2.Config{ClientID: rp.app.ID, ClientSecret: secret, Endpoint: provider.Endpoint(), RedirectURL: callback, Scopes: []string{gooidc.ScopeOpenID}}
	verifier := provider.Verifier(&gooidc.Config{ClientID: rp.app.ID})
	var mu sync.Mutex
	verifiers := map[string]string{}
	mux := http.NewServeMux()
	start := func(rw http.ResponseWriter, r *http.Request, param, value string) {
		state, v := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
		mu.Lock()
		verifiers[state] = v
		mu.Unlock()
		opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(v)}
		if value != "" {
			opts = append(opts, oauth2.SetAuthURLParam(param, value))
		}
		http.Redirect(rw, r, cfg.AuthCodeURL(state, opts...), http.StatusFound)
	}
	mux.HandleFunc("GET /start", func(rw http.ResponseWriter, r *http.Request) {
		start(rw, r, "prompt", r.URL.Query().Get("prompt"))
	})
	mux.HandleFunc("GET /login", func(rw http.ResponseWriter, r *http.Request) {
		// A login initiated by a third party (OpenID Connect Core §4):
		// only for the issuer this relying party knows.
		if r.URL.Query().Get("iss") != w.srv.URL+"/oauth2/default" {
			http.Error(rw, "unknown issuer", http.StatusBadRequest)
			return
		}
		start(rw, r, "login_hint", r.URL.Query().Get("login_hint"))
	})
	mux.HandleFunc("GET /callback", func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		v, ok := verifiers[r.URL.Query().Get("state")]
		mu.Unlock()
		result := "no such state"
		if ok {
			result = exchange(ctx, cfg, verifier, r.URL.Query().Get("code"), v)
		}
		fmt.Fprintf(rw, `<!doctype html><title>RP</title><p id="result">%s</p>`, html.EscapeString(result))
	})
	rp.srv.Config.Handler = mux
	rp.srv.StartTLS()
	t.Cleanup(rp.srv.Close)
	return rp
}

// exchange redeems a code and describes the ID token, or the error.
func exchange(ctx context.Context, cfg oauth2.Config, v *gooidc.IDTokenVerifier, code, pkceVerifier string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(pkceVerifier))
	if err != nil {
		return "exchange: " + err.Error()
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		return "id token: " + err.Error()
	}
	var c struct {
		AMR []string `json:"amr"`
	}
	_ = idt.Claims(&c)
	return fmt.Sprintf("sub=%s amr=%s", idt.Subject, strings.Join(c.AMR, ","))
}
