package edge

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestHostedPagesWithAnIndependentRelyingParty signs in through the hosted
// pages over TLS, posting forms as a browser without JavaScript, while
// coreos/go-oidc and x/oauth2 play the client: discovery, PKCE, code
// exchange, ID token verification by JWKS, userinfo. Then SSO skips the
// password, prompt=login asks again, and logout ends the session.
func TestHostedPagesWithAnIndependentRelyingParty(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newSiteWorld(t, b, clock.System())
			ctx := gooidc.ClientContext(context.Background(), w.srv.Client())
			issuer := w.srv.URL + "/oauth2/default"
			provider, err := gooidc.NewProvider(ctx, issuer)
			if err != nil {
				t.Fatalf("discovery: %v", err)
			}
			rp := oauth2.Config{ClientID: w.app.ID, ClientSecret: w.secret, Endpoint: provider.Endpoint(), RedirectURL: rpCallback, Scopes: []string{gooidc.ScopeOpenID, "profile", "email"}}
			verifier := provider.Verifier(&gooidc.Config{ClientID: w.app.ID})
			browser := w.browser(t)

			signIn := func(t *testing.T, extra ...oauth2.AuthCodeOption) (string, []string) {
				v := oauth2.GenerateVerifier()
				opts := append([]oauth2.AuthCodeOption{gooidc.Nonce("nonce-1"), oauth2.S256ChallengeOption(v)}, extra...)
				final, visited := w.signIn(t, browser, rp.AuthCodeURL("state-1", opts...), alice, alicePass)
				cb, err := url.Parse(final)
				if err != nil || !strings.HasPrefix(final, rpCallback+"?") {
					t.Fatalf("ended at %q, want the client's callback", final)
				}
				q := cb.Query()
				if q.Get("state") != "state-1" || q.Get("iss") != issuer || q.Get("code") == "" {
					t.Fatalf("callback query %v", q)
				}
				tok, err := rp.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
				if err != nil {
					t.Fatalf("exchange: %v", err)
				}
				idt, err := verifier.Verify(ctx, tok.Extra("id_token").(string))
				if err != nil {
					t.Fatalf("verify ID token: %v", err)
				}
				if idt.Subject != w.userID || idt.Nonce != "nonce-1" {
					t.Fatalf("ID token sub %q nonce %q", idt.Subject, idt.Nonce)
				}
				info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
				if err != nil || info.Email != alice || info.Subject != w.userID {
					t.Fatalf("userinfo %+v, %v", info, err)
				}
				return final, visited
			}

			_, visited := signIn(t)
			if len(visited) != 2 {
				t.Fatalf("first sign-in showed %d pages, want identify and password", len(visited))
			}
			if _, visited = signIn(t); len(visited) != 0 {
				t.Fatalf("SSO showed %d pages, want none", len(visited))
			}
			if _, visited = signIn(t, oauth2.SetAuthURLParam("prompt", "login")); len(visited) != 2 {
				t.Fatalf("prompt=login showed %d pages, want the password again", len(visited))
			}

			// Logout: confirm, then the next authorize asks again.
			logout := w.srv.URL + "/oauth2/default/v1/logout?" + url.Values{"client_id": {w.app.ID}, "post_logout_redirect_uri": {"https://rp.example.test/bye"}}.Encode()
			status, h, body := get(t, browser, logout)
			if status != http.StatusOK || !strings.Contains(h.Get("Content-Security-Policy"), "form-action 'self' https://rp.example.test") {
				t.Fatalf("logout page: %d %q", status, h.Get("Content-Security-Policy"))
			}
			status, h, _ = postForm(t, browser, logout, formFields(body), "Origin", w.srv.URL)
			if status != http.StatusSeeOther || h.Get("Location") != "https://rp.example.test/bye" {
				t.Fatalf("logout: %d to %q", status, h.Get("Location"))
			}
			if _, visited = signIn(t); len(visited) != 2 {
				t.Fatalf("after logout %d pages, want sign-in again", len(visited))
			}
		})
	}
}

// TestUnregisteredRedirectURIIsNeverRedirectedTo checks that requests whose
// client or redirect URI are not proven get a page, not a redirect.
func TestUnregisteredRedirectURIIsNeverRedirectedTo(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	_, challenge := pkce("a")
	c := w.browser(t)
	for _, tc := range []struct{ name, url string }{
		{"unregistered redirect URI", w.authorizeURL(challenge, "redirect_uri", "https://evil.example/steal")},
		{"unknown client", w.authorizeURL(challenge, "client_id", "app_unknown")},
		{"no redirect URI", strings.Replace(w.authorizeURL(challenge), "redirect_uri=", "x=", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := get(t, c, tc.url)
			if status != http.StatusBadRequest || h.Get("Location") != "" {
				t.Fatalf("%d with Location %q", status, h.Get("Location"))
			}
			if !strings.Contains(body, `<html lang="en" dir="ltr">`) || strings.Contains(body, "evil.example") {
				t.Fatalf("not a branded error page:\n%s", body)
			}
		})
	}
	// After client and redirect URI are proven, errors go back to the client.
	status, h, _ := get(t, c, w.authorizeURL(challenge, "code_challenge_method", "plain"))
	if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), rpCallback+"?") || !strings.Contains(h.Get("Location"), "error=") {
		t.Fatalf("plain PKCE: %d to %q", status, h.Get("Location"))
	}
}

// TestUnknownHostGetsAnEmpty404 probes hosts Lintel does not serve.
func TestUnknownHostGetsAnEmpty404(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	c := w.browser(t)
	for _, host := range []string{"unknown.example", "nope." + "127.0.0.1", "acme.example.com"} {
		req, _ := http.NewRequest(http.MethodGet, w.srv.URL+"/oauth2/default/.well-known/openid-configuration", nil)
		req.Host = host
		status, _, body := do(t, c, req)
		if status != http.StatusNotFound || body != "" {
			t.Errorf("host %s: %d %q", host, status, body)
		}
	}
}
