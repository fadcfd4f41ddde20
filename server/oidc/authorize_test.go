package oidc_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// authorizeCase is one authorization request: app names the client whose
// valid request edit changes; want is the refusal (zero for acceptance).
type authorizeCase struct {
	name     string
	app      string
	edit     func(w *world, q url.Values)
	want     oidc.Error
	redirect bool
}

func set(k, v string) func(*world, url.Values) {
	return func(_ *world, q url.Values) { q.Set(k, v) }
}

func del(k string) func(*world, url.Values) {
	return func(_ *world, q url.Values) { q.Del(k) }
}

func add(k, v string) func(*world, url.Values) {
	return func(_ *world, q url.Values) { q.Add(k, v) }
}

var authorizeCases = []authorizeCase{
	// Accepted.
	{name: "accepts a valid request of a confidential client", app: "web"},
	{name: "accepts a valid request of a public SPA client", app: "spa"},
	{name: "accepts a registered redirect_uri with a query", app: "web", edit: set("redirect_uri", "https://app.example.com/cb?tab=1")},
	{name: "accepts a native loopback redirect on any port", app: "native", edit: set("redirect_uri", "http://127.0.0.1:51234/callback")},
	{name: "accepts a native loopback redirect without a port", app: "native", edit: set("redirect_uri", "http://127.0.0.1/callback")},
	{name: "accepts a native [::1] redirect on another port", app: "native", edit: set("redirect_uri", "http://[::1]:9000/cb")},
	{name: "accepts a native localhost redirect on any port", app: "native", edit: set("redirect_uri", "http://localhost:3000/cb")},
	{name: "accepts a native custom-scheme redirect", app: "native", edit: set("redirect_uri", "com.example.app:/oauth")},
	{name: "accepts prompt login with consent", app: "web", edit: set("prompt", "login consent")},
	{name: "accepts prompt none alone", app: "web", edit: set("prompt", "none")},
	{name: "accepts max_age 0", app: "web", edit: set("max_age", "0")},
	{name: "accepts response_mode query", app: "web", edit: set("response_mode", "query")},
	{name: "accepts a request without state or nonce", app: "web", edit: func(_ *world, q url.Values) { q.Del("state"); q.Del("nonce") }},
	{name: "treats empty parameters as absent", app: "web", edit: func(_ *world, q url.Values) { q.Set("prompt", ""); q.Set("request", "") }},
	{name: "ignores unknown parameters", app: "web", edit: set("foo", "bar")},

	// Refused before the client and redirect URI are proven: never redirected.
	{name: "refuses a missing client_id", app: "web", edit: del("client_id"), want: oidc.ErrInvalidRequest},
	{name: "refuses an unknown client_id", app: "web", edit: set("client_id", "app_01jd000000000000000000000z"), want: oidc.ErrInvalidClient},
	{name: "refuses an overlong client_id", app: "web", edit: set("client_id", strings.Repeat("a", 300)), want: oidc.ErrInvalidClient},
	{name: "refuses a client of another tenant", app: "web",
		edit: func(w *world, q url.Values) { q.Set("client_id", w.apps["foreign"].ID) }, want: oidc.ErrInvalidClient},
	{name: "refuses a repeated client_id", app: "web", edit: func(w *world, q url.Values) { q.Add("client_id", w.apps["web"].ID) }, want: oidc.ErrInvalidRequest},
	{name: "refuses a missing redirect_uri", app: "web", edit: del("redirect_uri"), want: oidc.ErrInvalidRequest},
	{name: "refuses an unregistered redirect_uri", app: "web", edit: set("redirect_uri", "https://evil.example/callback"), want: oidc.ErrInvalidRequest},
	{name: "refuses a redirect_uri with a trailing slash", app: "web", edit: set("redirect_uri", "https://app.example.com/callback/"), want: oidc.ErrInvalidRequest},
	{name: "refuses a redirect_uri differing in case", app: "web", edit: set("redirect_uri", "https://APP.example.com/callback"), want: oidc.ErrInvalidRequest},
	{name: "refuses a redirect_uri with an extra query", app: "web", edit: set("redirect_uri", "https://app.example.com/callback?x=1"), want: oidc.ErrInvalidRequest},
	{name: "refuses a redirect_uri with a fragment", app: "web", edit: set("redirect_uri", "https://app.example.com/callback#x"), want: oidc.ErrInvalidRequest},
	{name: "refuses a redirect_uri on another port for a web app", app: "web", edit: set("redirect_uri", "https://app.example.com:8443/callback"), want: oidc.ErrInvalidRequest},
	{name: "refuses a repeated redirect_uri", app: "web", edit: add("redirect_uri", "https://app.example.com/callback"), want: oidc.ErrInvalidRequest},
	{name: "refuses a loopback redirect on another port for an SPA", app: "spa", edit: set("redirect_uri", "http://127.0.0.1:9999/cb"), want: oidc.ErrInvalidRequest},
	{name: "refuses a native loopback redirect with another path", app: "native", edit: set("redirect_uri", "http://127.0.0.1:5000/other"), want: oidc.ErrInvalidRequest},
	{name: "refuses a native loopback redirect on another loopback host", app: "native", edit: set("redirect_uri", "http://localhost:5000/callback"), want: oidc.ErrInvalidRequest},
	{name: "refuses a native loopback redirect with user information", app: "native", edit: set("redirect_uri", "http://evil@127.0.0.1:5000/callback"), want: oidc.ErrInvalidRequest},
	{name: "refuses a native loopback redirect on port 0", app: "native", edit: set("redirect_uri", "http://127.0.0.1:0/callback"), want: oidc.ErrInvalidRequest},
	{name: "refuses a native loopback redirect on port 65536", app: "native", edit: set("redirect_uri", "http://127.0.0.1:65536/callback"), want: oidc.ErrInvalidRequest},
	{name: "refuses a native loopback redirect with a signed port", app: "native", edit: set("redirect_uri", "http://127.0.0.1:+80/callback"), want: oidc.ErrInvalidRequest},
	{name: "refuses a native loopback redirect with an empty port", app: "native", edit: set("redirect_uri", "http://127.0.0.1:/callback"), want: oidc.ErrInvalidRequest},
	{name: "refuses a native loopback redirect over https on another port", app: "native", edit: set("redirect_uri", "https://127.0.0.1:5000/callback"), want: oidc.ErrInvalidRequest},
	{name: "refuses a native custom scheme with another path", app: "native", edit: set("redirect_uri", "com.example.app:/other"), want: oidc.ErrInvalidRequest},
	{name: "refuses a service app, which has no redirect URIs", app: "service",
		edit: set("redirect_uri", "https://app.example.com/callback"), want: oidc.ErrInvalidRequest},

	// Refused once proven: redirected to the client.
	{name: "refuses a missing response_type", app: "web", edit: del("response_type"), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses response_type token", app: "web", edit: set("response_type", "token"), want: oidc.ErrUnsupportedResponseType, redirect: true},
	{name: "refuses response_type code id_token", app: "web", edit: set("response_type", "code id_token"), want: oidc.ErrUnsupportedResponseType, redirect: true},
	{name: "refuses response_mode fragment", app: "web", edit: set("response_mode", "fragment"), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses response_mode form_post", app: "web", edit: set("response_mode", "form_post"), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses a missing code_challenge", app: "web", edit: del("code_challenge"), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses a missing code_challenge for a public client", app: "spa", edit: del("code_challenge"), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses plain PKCE", app: "web", edit: set("code_challenge_method", "plain"), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses a missing code_challenge_method", app: "web", edit: del("code_challenge_method"), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses a lowercase code_challenge_method", app: "web", edit: set("code_challenge_method", "s256"), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses a code_challenge of 42 characters", app: "web", edit: set("code_challenge", strings.Repeat("a", 42)), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses a code_challenge of 129 characters", app: "web", edit: set("code_challenge", strings.Repeat("a", 129)), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses a code_challenge with invalid characters", app: "web", edit: set("code_challenge", strings.Repeat("a", 42)+"="), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses a missing scope", app: "web", edit: del("scope"), want: oidc.ErrInvalidScope, redirect: true},
	{name: "refuses a scope without openid", app: "web", edit: set("scope", "profile email"), want: oidc.ErrInvalidScope, redirect: true},
	{name: "refuses an unknown scope", app: "web", edit: set("scope", "openid admin"), want: oidc.ErrInvalidScope, redirect: true},
	{name: "refuses a scope with double spaces", app: "web", edit: set("scope", "openid  email"), want: oidc.ErrInvalidScope, redirect: true},
	{name: "refuses prompt none with login", app: "web", edit: set("prompt", "none login"), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses prompt none with consent", app: "web", edit: set("prompt", "consent none"), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses an unknown prompt", app: "web", edit: set("prompt", "create"), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses a repeated prompt value", app: "web", edit: set("prompt", "login login"), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses a request object", app: "web", edit: set("request", "eyJhbGciOiJub25lIn0.e30."), want: oidc.ErrRequestNotSupported, redirect: true},
	{name: "refuses request_uri", app: "web", edit: set("request_uri", "https://app.example.com/req"), want: oidc.ErrRequestURINotSupported, redirect: true},
	{name: "refuses a repeated scope", app: "web", edit: add("scope", "openid"), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses a repeated state", app: "web", edit: add("state", "other"), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses a negative max_age", app: "web", edit: set("max_age", "-1"), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses a non-numeric max_age", app: "web", edit: set("max_age", "1h"), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses an overlong nonce", app: "web", edit: set("nonce", strings.Repeat("n", 513)), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses an overlong state", app: "web", edit: set("state", strings.Repeat("s", 2049)), want: oidc.ErrInvalidRequest, redirect: true},
	{name: "refuses a client not registered for the code flow", app: "device", want: oidc.ErrUnauthorizedClient, redirect: true},
}

func TestValidateAuthorize(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			for _, tc := range authorizeCases {
				t.Run(tc.name, func(t *testing.T) {
					q := w.authQuery(tc.app)
					if tc.edit != nil {
						tc.edit(w, q)
					}
					req, app, aerr := w.p.ValidateAuthorize(context.Background(), w.iss, q)
					if tc.want.Code == "" {
						if aerr != nil {
							t.Fatalf("refused: %v (redirect %v)", aerr, aerr.Redirect)
						}
						checkAccepted(t, w, tc.app, q, req, app.ID)
						return
					}
					if aerr == nil {
						t.Fatalf("accepted %v, want %s", q, tc.want.Code)
					}
					if !errors.Is(aerr, tc.want) {
						t.Errorf("error %v, want %s", aerr, tc.want.Code)
					}
					if aerr.Redirect != tc.redirect {
						t.Errorf("redirect = %v, want %v", aerr.Redirect, tc.redirect)
					}
					if aerr.Redirect {
						if aerr.Request.RedirectURI != q.Get("redirect_uri") || aerr.Request.ClientID != q.Get("client_id") {
							t.Errorf("redirectable error without its client and redirect URI: %+v", aerr.Request)
						}
						if len(q["state"]) == 1 && len(q.Get("state")) <= 2048 && aerr.Request.State != q.Get("state") {
							t.Errorf("state %q not kept for the redirect", q.Get("state"))
						}
					}
				})
			}
		})
	}
}

// checkAccepted checks what ValidateAuthorize returns for a request it
// accepts.
func checkAccepted(t *testing.T, w *world, appName string, q url.Values, req oidc.AuthRequest, appID string) {
	t.Helper()
	want := oidc.AuthRequest{
		ClientID: w.apps[appName].ID, RedirectURI: q.Get("redirect_uri"), ResponseType: "code", ResponseMode: "query",
		Scope: q.Get("scope"), State: q.Get("state"), Nonce: q.Get("nonce"),
		CodeChallenge: q.Get("code_challenge"), CodeChallengeMethod: "S256", Prompt: q.Get("prompt"),
	}
	got := req
	got.MaxAge = nil
	if got != want {
		t.Errorf("request\n got %+v\nwant %+v", got, want)
	}
	if appID != w.apps[appName].ID {
		t.Errorf("app %s, want %s", appID, w.apps[appName].ID)
	}
	if q.Get("max_age") != "" && req.MaxAge == nil {
		t.Errorf("max_age %s not kept", q.Get("max_age"))
	}
}

func TestValidateAuthorizeNormalisesScope(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	q := w.authQuery("web")
	q.Set("scope", "email openid email profile")
	req, _, aerr := w.p.ValidateAuthorize(context.Background(), w.iss, q)
	if aerr != nil {
		t.Fatal(aerr)
	}
	if req.Scope != "email openid profile" {
		t.Errorf("scope %q", req.Scope)
	}
}

func TestValidateAuthorizeRefusesAnUnknownServer(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	iss := w.iss
	iss.Server = "custom"
	_, _, aerr := w.p.ValidateAuthorize(context.Background(), iss, w.authQuery("web"))
	if aerr == nil || aerr.Redirect || !errors.Is(aerr, oidc.ErrInvalidRequest) {
		t.Fatalf("got %v, want a non-redirectable invalid_request", aerr)
	}
}

func TestRedirects(t *testing.T) {
	iss := oidc.Issuer{TenantID: "ten_1", Server: oidc.DefaultServer, URL: "https://login.acme.test/oauth2/default"}
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"sends code, iss and state", oidc.SuccessRedirect(iss, oidc.AuthRequest{RedirectURI: "https://app.example.com/cb", State: "a b&c"}, "CODE"),
			"https://app.example.com/cb?code=CODE&iss=https%3A%2F%2Flogin.acme.test%2Foauth2%2Fdefault&state=a+b%26c"},
		{"keeps the registered query", oidc.SuccessRedirect(iss, oidc.AuthRequest{RedirectURI: "https://app.example.com/cb?tab=1"}, "CODE"),
			"https://app.example.com/cb?tab=1&code=CODE&iss=https%3A%2F%2Flogin.acme.test%2Foauth2%2Fdefault"},
		{"sends error, description, iss and state", oidc.ErrorRedirect(iss, oidc.AuthRequest{RedirectURI: "com.example.app:/oauth", State: "s"},
			oidc.ErrAccessDenied.WithDescription("the user declined")),
			"com.example.app:/oauth?error=access_denied&error_description=the+user+declined&iss=https%3A%2F%2Flogin.acme.test%2Foauth2%2Fdefault&state=s"},
		{"leaves out an empty description and state", oidc.ErrorRedirect(iss, oidc.AuthRequest{RedirectURI: "https://app.example.com/cb"}, oidc.ErrLoginRequired),
			"https://app.example.com/cb?error=login_required&iss=https%3A%2F%2Flogin.acme.test%2Foauth2%2Fdefault"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got  %s\nwant %s", tc.got, tc.want)
			}
		})
	}
}

func TestErrorMatchesByCode(t *testing.T) {
	e := oidc.ErrInvalidGrant.WithDescription("code expired").WithStatus(418)
	if !errors.Is(e, oidc.ErrInvalidGrant) || errors.Is(e, oidc.ErrInvalidRequest) {
		t.Errorf("errors.Is by code failed for %v", e)
	}
	if oidc.ErrInvalidGrant.Description != "" || oidc.ErrInvalidGrant.Status != 400 {
		t.Error("refining an error changed the original")
	}
}
