package oidc_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// checkBearer checks a userinfo error (RFC 6750 §3): the status, the
// error code and a Bearer challenge that names it, or a bare challenge
// without error when code is "".
func checkBearer(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
	challenge := rec.Header().Get("WWW-Authenticate")
	if !strings.HasPrefix(challenge, "Bearer realm=") {
		t.Fatalf("challenge %q, want Bearer", challenge)
	}
	if code == "" {
		if strings.Contains(challenge, "error=") {
			t.Errorf("challenge %q, want a bare challenge", challenge)
		}
		return
	}
	if !strings.Contains(challenge, `error="`+code+`"`) {
		t.Errorf("challenge %q, want error %s", challenge, code)
	}
	if got := decode(t, rec)["error"]; got != code {
		t.Errorf("error %v, want %s", got, code)
	}
	if code == oidc.ErrInsufficientScope.Code && !strings.Contains(challenge, `scope="openid"`) {
		t.Errorf("challenge %q does not name the scope needed", challenge)
	}
}

func TestUserInfoBearerErrors(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			for _, tc := range []struct {
				name string
				// auth returns the Authorization header, from tokens of
				// "web" for offlineScope.
				auth   func(t *testing.T, w *world, tok issued) string
				status int
				code   string // "" for a bare challenge
			}{
				{name: "challenges a request without a token with a bare challenge", status: 401,
					auth: func(*testing.T, *world, issued) string { return "" }},
				{name: "refuses a malformed token", status: 401, code: "invalid_token",
					auth: func(*testing.T, *world, issued) string { return "Bearer not-a-jwt" }},
				{name: "refuses three garbage segments", status: 401, code: "invalid_token",
					auth: func(*testing.T, *world, issued) string { return "Bearer bm9wZQ.bm9wZQ.bm9wZQ" }},
				{name: "refuses a refresh token", status: 401, code: "invalid_token",
					auth: func(_ *testing.T, _ *world, tok issued) string { return "Bearer " + tok.refresh }},
				{name: "refuses another authentication scheme", status: 400, code: "invalid_request",
					auth: func(*testing.T, *world, issued) string { return basic("a", "b") }},
				{name: "refuses a client credentials token, which lacks openid", status: 403, code: "insufficient_scope",
					auth: func(t *testing.T, w *world, _ issued) string {
						return "Bearer " + w.clientToken(t, w.iss, "service", "")
					}},
				{name: "refuses an access token narrowed without openid", status: 403, code: "insufficient_scope",
					auth: func(t *testing.T, w *world, tok issued) string {
						return "Bearer " + w.refreshed(t, "web", tok.refresh, "offline_access").access
					}},
				{name: "refuses a revoked access token lacking openid as invalid", status: 401, code: "invalid_token",
					auth: func(t *testing.T, w *world, _ issued) string {
						at := w.clientToken(t, w.iss, "service", "")
						form := url.Values{"token": {at}}
						checkAnswer(t, w.revoke(w.iss, form, w.authAs("service", form)), 200, oidc.Error{})
						return "Bearer " + at
					}},
				{name: "refuses a revoked access token", status: 401, code: "invalid_token",
					auth: func(t *testing.T, w *world, tok issued) string {
						form := url.Values{"token": {tok.access}}
						checkAnswer(t, w.revoke(w.iss, form, w.authAs("web", form)), 200, oidc.Error{})
						return "Bearer " + tok.access
					}},
				{name: "refuses an access token of a revoked grant", status: 401, code: "invalid_token",
					auth: func(t *testing.T, w *world, tok issued) string {
						w.tx(t, func(ctx context.Context, tx store.Tx) error {
							_, err := w.p.RevokeGrants(ctx, tx, w.iss.TenantID, userID, "", oidc.RevokedByAdmin)
							return err
						})
						return "Bearer " + tok.access
					}},
				{name: "refuses the access token of a user who was removed", status: 401, code: "invalid_token",
					auth: func(t *testing.T, w *world, tok issued) string {
						w.users.remove(w.iss.TenantID, userID)
						t.Cleanup(func() { w.users.put(w.iss.TenantID, userID, oidc.Claims{Subject: userID, Email: "ada@example.com"}) })
						return "Bearer " + tok.access
					}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					tok := w.issue(t, w.iss, "web", offlineScope)
					rec := w.userinfo(w.iss, "GET", tc.auth(t, w, tok), nil)
					checkBearer(t, rec, tc.status, tc.code)
					if rec.Header().Get("Cache-Control") != "no-store" {
						t.Error("the answer may be cached")
					}
				})
			}
		})
	}
}
