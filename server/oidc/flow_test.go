package oidc_test

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// idTokenClaims are the ID token claims beyond those go-oidc reads.
type idTokenClaims struct {
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name"`
	Locale        string   `json:"locale"`
	UpdatedAt     int64    `json:"updated_at"`
	AZP           string   `json:"azp"`
	AMR           []string `json:"amr"`
	ACR           string   `json:"acr"`
	AuthTime      int64    `json:"auth_time"`
}

// accessTokenClaims are the claims of a JWT access token (RFC 9068).
type accessTokenClaims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience any    `json:"aud"`
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
	JTI      string `json:"jti"`
	IssuedAt int64  `json:"iat"`
	Expiry   int64  `json:"exp"`
	AuthTime int64  `json:"auth_time"`
}

// TestCodeFlow runs the authorization code flow end to end against an
// independent relying party (golang.org/x/oauth2 for the exchange,
// coreos/go-oidc for discovery, the JWK set, ID token and userinfo).
func TestCodeFlow(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			srv := w.serve(t)
			ctx := gooidc.ClientContext(context.Background(), srv.Client())
			ctx = context.WithValue(ctx, oauth2.HTTPClient, srv.Client())
			provider, err := gooidc.NewProvider(ctx, w.iss.URL)
			if err != nil {
				t.Fatalf("discovery: %v", err)
			}
			for _, tc := range []struct {
				name, app, redirect string
				style               oauth2.AuthStyle
			}{
				{name: "confidential client with client_secret_basic", app: "web", style: oauth2.AuthStyleInHeader},
				{name: "confidential client with client_secret_post", app: "post", style: oauth2.AuthStyleInParams},
				{name: "public SPA client without a secret", app: "spa", style: oauth2.AuthStyleInParams},
				{name: "native client on a loopback port", app: "native", redirect: "http://127.0.0.1:49152/callback", style: oauth2.AuthStyleInParams},
			} {
				t.Run(tc.name, func(t *testing.T) {
					app := w.apps[tc.app]
					q := w.authQuery(tc.app)
					if tc.redirect != "" {
						q.Set("redirect_uri", tc.redirect)
					}
					req, code := w.code(t, w.iss, q)
					loc, err := url.Parse(oidc.SuccessRedirect(w.iss, req, code))
					if err != nil {
						t.Fatal(err)
					}
					back := loc.Query()
					if back.Get("code") != code || back.Get("state") != q.Get("state") || back.Get("iss") != w.iss.URL {
						t.Fatalf("redirect %s lacks code, state or iss", loc)
					}

					conf := oauth2.Config{ClientID: app.ID, ClientSecret: app.secret, RedirectURL: req.RedirectURI,
						Endpoint: oauth2.Endpoint{AuthURL: provider.Endpoint().AuthURL, TokenURL: provider.Endpoint().TokenURL, AuthStyle: tc.style}}
					tok, err := conf.Exchange(ctx, back.Get("code"), oauth2.VerifierOption(verifier))
					if err != nil {
						t.Fatalf("exchange: %v", err)
					}
					if tok.TokenType != "Bearer" || tok.Extra("scope") != "openid profile email" || tok.Extra("expires_in") != 3600.0 {
						t.Errorf("token response: type %q scope %v expires_in %v", tok.TokenType, tok.Extra("scope"), tok.Extra("expires_in"))
					}

					rawID, _ := tok.Extra("id_token").(string)
					idt, err := provider.Verifier(&gooidc.Config{ClientID: app.ID, Now: w.clk.Now}).Verify(ctx, rawID)
					if err != nil {
						t.Fatalf("ID token: %v", err)
					}
					checkIDToken(t, w, idt, rawID, tok.AccessToken, q.Get("nonce"), app.ID)
					checkAccessToken(t, ctx, w, tok.AccessToken, app.ID)

					ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
					if err != nil {
						t.Fatalf("userinfo: %v", err)
					}
					if ui.Subject != userID || ui.Email != "ada@example.com" || !ui.EmailVerified {
						t.Errorf("userinfo %+v", ui)
					}
				})
			}
		})
	}
}

func checkIDToken(t *testing.T, w *world, idt *gooidc.IDToken, raw, accessToken, nonce, clientID string) {
	t.Helper()
	if idt.Subject != userID || idt.Nonce != nonce || idt.Issuer != w.iss.URL {
		t.Errorf("ID token sub %q nonce %q iss %q", idt.Subject, idt.Nonce, idt.Issuer)
	}
	if err := idt.VerifyAccessToken(accessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	if got := idt.Expiry.Sub(idt.IssuedAt); got != oidc.IDTokenLifetime {
		t.Errorf("ID token lives %v", got)
	}
	var c idTokenClaims
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	want := idTokenClaims{Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace", Locale: "en-GB",
		UpdatedAt: t0.Add(-24 * 3600e9).Unix(), AZP: clientID, AMR: []string{"pwd", "otp"}, ACR: "urn:lintel:acr:mfa",
		AuthTime: t0.Add(-60e9).Unix()}
	if c.Email != want.Email || c.EmailVerified != want.EmailVerified || c.Name != want.Name || c.Locale != want.Locale ||
		c.UpdatedAt != want.UpdatedAt || c.AZP != want.AZP || !slices.Equal(c.AMR, want.AMR) || c.ACR != want.ACR || c.AuthTime != want.AuthTime {
		t.Errorf("ID token claims\n got %+v\nwant %+v", c, want)
	}
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("ID token is not RS256: %v", err)
	}
	if jws.Signatures[0].Header.KeyID == "" {
		t.Error("ID token without kid")
	}
}

func checkAccessToken(t *testing.T, ctx context.Context, w *world, raw, clientID string) {
	t.Helper()
	payload, err := gooidc.NewRemoteKeySet(ctx, w.iss.URL+oidc.PathKeys).VerifySignature(ctx, raw)
	if err != nil {
		t.Fatalf("access token signature: %v", err)
	}
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("access token is not ES256: %v", err)
	}
	if typ := jws.Signatures[0].Header.ExtraHeaders["typ"]; typ != "at+jwt" {
		t.Errorf("access token typ %v, want at+jwt", typ)
	}
	var c accessTokenClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	aud, _ := json.Marshal(c.Audience)
	if c.Issuer != w.iss.URL || c.Subject != userID || c.ClientID != clientID || c.Scope != "openid profile email" ||
		c.JTI == "" || c.Expiry-c.IssuedAt != 3600 || c.AuthTime != t0.Add(-60e9).Unix() ||
		(string(aud) != `["`+w.iss.URL+`"]` && string(aud) != `"`+w.iss.URL+`"`) {
		t.Errorf("access token claims %+v (aud %s)", c, aud)
	}
}
