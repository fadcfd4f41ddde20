package edge

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/oidc/keyring"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestCertifiedRelyingParty drives Lintel with an independent relying
// party, coreos/go-oidc with golang.org/x/oauth2, over real HTTPS: code
// flow with PKCE, ID token and userinfo, refresh, a signing key rotation
// the client follows without errors, and revocation.
func TestCertifiedRelyingParty(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			clk := clock.NewFake(time.Now().UTC().Truncate(time.Second))
			w := newSiteWorld(t, b, clk)
			browser := w.browser(t)
			ctx := gooidc.ClientContext(context.Background(), w.srv.Client())
			issuer := w.srv.URL + "/oauth2/default"

			provider, err := gooidc.NewProvider(ctx, issuer)
			if err != nil {
				t.Fatalf("discovery: %v", err)
			}
			verifier := provider.Verifier(&gooidc.Config{ClientID: w.app.ID, Now: clk.Now})
			conf := oauth2.Config{ClientID: w.app.ID, ClientSecret: w.secret, Endpoint: provider.Endpoint(),
				RedirectURL: rpCallback, Scopes: []string{gooidc.ScopeOpenID, "profile", "email", gooidc.ScopeOfflineAccess}}

			// Code flow with PKCE, as the library builds it.
			pkceVerifier := oauth2.GenerateVerifier()
			authURL := conf.AuthCodeURL("st-rp", oauth2.S256ChallengeOption(pkceVerifier), gooidc.Nonce("n-rp"))
			final, _ := w.signIn(t, browser, authURL, alice, alicePass)
			cb, err := url.Parse(final)
			if err != nil || !strings.HasPrefix(final, rpCallback) || cb.Query().Get("state") != "st-rp" || cb.Query().Get("iss") != issuer {
				t.Fatalf("redirect %q", final)
			}
			tok, err := conf.Exchange(ctx, cb.Query().Get("code"), oauth2.VerifierOption(pkceVerifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			idTok := verifyID(ctx, t, verifier, tok, "n-rp")
			if idTok.Subject != w.userID {
				t.Fatalf("sub %q, want %q", idTok.Subject, w.userID)
			}
			if tok.RefreshToken == "" {
				t.Fatal("no refresh token for offline_access")
			}
			info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil || info.Subject != w.userID || info.Email != alice || !info.EmailVerified {
				t.Fatalf("userinfo %+v: %v", info, err)
			}
			firstKID := kidOf(t, tok.Extra("id_token").(string))

			// Refresh through the library (an expired token makes it refresh).
			tok.Expiry = time.Now().Add(-time.Minute)
			refreshed, err := conf.TokenSource(ctx, tok).Token()
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if refreshed.RefreshToken == "" || refreshed.RefreshToken == tok.RefreshToken {
				t.Fatal("the refresh token did not rotate")
			}
			verifyID(ctx, t, verifier, refreshed, "")

			// Rotation: the next key is published a lead ahead and then signs.
			keys, err := w.oidc.RotateNow(context.Background(), w.acme.ID, oidc.DefaultServer, false)
			if err != nil {
				t.Fatal(err)
			}
			clk.Advance(keyring.RotationLead + time.Minute)
			refreshed.Expiry = time.Now().Add(-time.Minute)
			rotated, err := conf.TokenSource(ctx, refreshed).Token()
			if err != nil {
				t.Fatalf("refresh after rotation: %v", err)
			}
			verifyID(ctx, t, verifier, rotated, "")
			if kid := kidOf(t, rotated.Extra("id_token").(string)); kid == firstKID || !hasKey(keys, kid) {
				t.Fatalf("after rotation the ID token is signed by %q (first %q, rotated %v)", kid, firstKID, keys)
			}
			if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(rotated)); err != nil {
				t.Fatalf("userinfo with a token of the new key: %v", err)
			}

			// Revocation of the refresh token ends the grant.
			var meta struct {
				Revocation string `json:"revocation_endpoint"`
			}
			if err := provider.Claims(&meta); err != nil || meta.Revocation == "" {
				t.Fatalf("revocation_endpoint: %v", err)
			}
			rev := url.Values{"token": {rotated.RefreshToken}, "token_type_hint": {"refresh_token"}}
			req, _ := http.NewRequest(http.MethodPost, meta.Revocation, strings.NewReader(rev.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(url.QueryEscape(w.app.ID), url.QueryEscape(w.secret))
			if status, _, body := do(t, w.srv.Client(), req); status != http.StatusOK {
				t.Fatalf("revoke: %d %s", status, body)
			}
			rotated.Expiry = time.Now().Add(-time.Minute)
			if _, err := conf.TokenSource(ctx, rotated).Token(); err == nil {
				t.Fatal("a revoked refresh token still refreshes")
			}
			if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(rotated)); err == nil {
				t.Fatal("an access token of a revoked grant still reads userinfo")
			}
		})
	}
}

// verifyID verifies the ID token of a token response with go-oidc,
// including at_hash, and its nonce when one is expected.
func verifyID(ctx context.Context, t *testing.T, v *gooidc.IDTokenVerifier, tok *oauth2.Token, nonce string) *gooidc.IDToken {
	t.Helper()
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		t.Fatal("no id_token")
	}
	id, err := v.Verify(ctx, raw)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	if err := id.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Fatalf("at_hash: %v", err)
	}
	if id.Nonce != nonce {
		t.Fatalf("nonce %q, want %q", id.Nonce, nonce)
	}
	return id
}

// kidOf returns the kid header of a JWT.
func kidOf(t *testing.T, raw string) string {
	t.Helper()
	var h struct {
		Kid string `json:"kid"`
	}
	if err := decodeSegment(strings.Split(raw, ".")[0], &h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}

func hasKey(keys []oidc.KeyInfo, kid string) bool {
	for _, k := range keys {
		if k.ID == kid {
			return true
		}
	}
	return false
}

// decodeSegment decodes one base64url JSON segment of a JWT.
func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
