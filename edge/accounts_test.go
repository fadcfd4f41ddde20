package edge

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/terms"
)

// Helpers of the tests of registration, progressive profiling, terms and
// email change: the world's policies and documents, its accounts, and
// what the relying party gets.

// setEnrollment sets the enrollment policy of an app of the world's
// tenant.
func (w *siteWorld) setEnrollment(t *testing.T, appID string, p policy.Enrollment) {
	t.Helper()
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := w.policies.PutEnrollmentPolicy(ctx, tx, w.acme.ID, appID, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// publishTerms publishes a version of the tenant's required terms of
// service.
func (w *siteWorld) publishTerms(t *testing.T, version string) terms.Document {
	t.Helper()
	var d terms.Document
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		d, err = w.engine.Terms.Publish(ctx, tx, w.acme.ID, terms.DocumentInput{
			Kind: terms.KindTerms, Version: version, Title: "Terms of Service", URL: "https://acme.example/terms/" + version, Required: true,
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// acceptances returns the terms a user accepted.
func (w *siteWorld) acceptances(t *testing.T, userID string) []terms.Acceptance {
	t.Helper()
	var acc []terms.Acceptance
	err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		acc, err = w.engine.Terms.Acceptances(ctx, tx, w.acme.ID, userID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

// user reads the account whose login is login.
func (w *siteWorld) user(t *testing.T, login string) directory.User {
	t.Helper()
	var u directory.User
	err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		u, err = w.dir.UserByLogin(ctx, tx, w.acme.ID, login)
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", login, err)
	}
	return u
}

// wantNoUser fails when login has an account.
func (w *siteWorld) wantNoUser(t *testing.T, login string) {
	t.Helper()
	err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := w.dir.UserByLogin(ctx, tx, w.acme.ID, login)
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("%s: %v, want no account", login, err)
	}
}

// passwordSignsInAs reports whether login and pw sign in, in a browser of
// their own.
func (w *siteWorld) passwordSignsInAs(t *testing.T, login, pw string) bool {
	t.Helper()
	c := w.browser(t)
	_, challenge := pkce("pw")
	_, h, _ := get(t, c, w.authorizeURL(challenge))
	page := w.srv.URL + h.Get("Location")
	w.post(t, c, page, engine.ActionNext, "login", login)
	return strings.HasPrefix(w.post(t, c, page, engine.ActionSignIn, "password", pw), rpCallback)
}

// invalidField matches the input of a field marked invalid.
func invalidField(name string) *regexp.Regexp {
	return regexp.MustCompile(`<input id="f-` + regexp.QuoteMeta(name) + `"[^>]*aria-invalid="true"`)
}

// idToken exchanges the code in the client's callback URL and returns the
// verified ID token, its amr, and the tokens.
func (rp *rpClient) idToken(t *testing.T, callback, verifier string) (*gooidc.IDToken, []string, *oauth2.Token) {
	t.Helper()
	if !strings.HasPrefix(callback, rpCallback+"?") {
		t.Fatalf("ended at %q, want the client's callback", callback)
	}
	u, _ := url.Parse(callback)
	tok, err := rp.cfg.Exchange(rp.ctx, u.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	idt, err := rp.verifier.Verify(rp.ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var claims struct {
		AMR []string `json:"amr"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	return idt, claims.AMR, tok
}

// userInfo reads the userinfo endpoint with tok.
func (rp *rpClient) userInfo(t *testing.T, tok *oauth2.Token) *gooidc.UserInfo {
	t.Helper()
	provider, err := gooidc.NewProvider(rp.ctx, strings.TrimSuffix(rp.cfg.Endpoint.AuthURL, "/v1/authorize"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	return info
}
