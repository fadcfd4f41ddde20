package main

import (
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lintel-id/lintel/internal/browsertest"
	"github.com/lintel-id/lintel/internal/idptest"
)

// TestBrowserSignsInWithAppleFormPost runs the binary with an Apple
// emulator on another site (https://127.0.0.1 against
// http://localhost) and signs in at the demo in Chromium through the
// "Continue with Apple" button. Apple answers with response_mode=
// form_post: a cross-site POST to the callback, which carries none of
// the site's SameSite=Lax cookies. The flow is found by its state alone,
// and the sign-in finishes in the browser that holds the flow cookie
// (the top-level GET after the callback): the person lands signed in at
// the app, with the name Apple sends only on the first authorization.
func TestBrowserSignsInWithAppleFormPost(t *testing.T) {
	emu := idptest.New(t, idptest.Apple, idptest.Options{})
	emu.SetUser(idptest.User{Subject: "001234.5678abcd.0042", Email: "ann@privaterelay.appleid.com", EmailVerified: true,
		GivenName: "Ann", FamilyName: "Appleseed", PrivateEmail: true})
	// The binary trusts the emulator's certificate, and nothing else.
	roots := filepath.Join(t.TempDir(), "roots.pem")
	if err := os.WriteFile(roots, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: emu.Certificate.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	b := startBranded(t, "SSL_CERT_FILE="+roots, "LINTEL_EGRESS_ALLOW=127.0.0.0/8,::1/128")
	body := call(t, http.MethodPost, b.api+"/idps", b.admin, map[string]any{
		"name": "Apple", "kind": "apple", "enabled": true, "client_secret": emu.Secret,
		"config": map[string]any{"issuer": emu.Issuer, "authorization_url": emu.AuthorizationURL, "token_url": emu.TokenURL, "jwks_url": emu.JWKSURL,
			"client_id": emu.ClientID, "apple_team_id": emu.AppleTeamID, "apple_key_id": emu.AppleKeyID},
	}, http.StatusCreated)
	var idp struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &idp); err != nil || idp.ID == "" {
		t.Fatalf("create the Apple IdP: %s %v", body, err)
	}

	ctx := browsertest.Start(t, browsertest.Options{JavaScript: true, IgnoreCertificateErrors: true})
	if err := chromedp.Do(ctx, chromedp.Navigate(b.base+"/demo"), chromedp.WaitReady(chromedp.CSS("#demo-sign-in")),
		chromedp.Click(chromedp.CSS("#demo-sign-in")), chromedp.WaitReady(chromedp.CSS(`button[part="idp-button"][data-kind="apple"]`))); err != nil {
		t.Fatalf("to the identify page: %v", err)
	}
	browsertest.Screenshot(t, ctx, "1-identify-with-apple")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[part="idp-button"][data-kind="apple"]`)),
		chromedp.WaitReady(chromedp.CSS("#claims"))); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
		t.Fatalf("through Apple back to the app: %v (at %s)\n%.3000s", err, loc, html)
	}
	browsertest.Screenshot(t, ctx, "2-signed-in")
	claims, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("#claims")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(claims, "<dt>amr</dt>") || !strings.Contains(claims, "fed") {
		t.Errorf("the app's claims do not tell a federated sign-in:\n%s", claims)
	}
	id, given := b.userByLogin(t, "ann@privaterelay.appleid.com")
	if id == "" || given != "Ann" {
		t.Fatalf("no account from Apple's first authorization (%q, given name %q)", id, given)
	}
	if got := b.identities(t, id); len(got) != 1 || got[0] != idp.ID {
		t.Fatalf("the account's linked identities: %v", got)
	}
}
