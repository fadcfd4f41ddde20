package oidc_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// introspectCase is one introspection request (RFC 7662). token picks the
// token to ask about from tok, tokens of "web" for offlineScope, and may
// change the world first.
type introspectCase struct {
	name  string
	token func(t *testing.T, w *world, tok issued) string
	// caller is the client that asks ("web" when empty); edit changes
	// the request after its credentials are added.
	caller string
	edit   func(w *world, form url.Values, h http.Header)
	status int
	want   oidc.Error
	active bool
	// check checks an active answer.
	check func(t *testing.T, w *world, tok issued, body map[string]any)
}

func accessOf(_ *testing.T, _ *world, tok issued) string  { return tok.access }
func refreshOf(_ *testing.T, _ *world, tok issued) string { return tok.refresh }

// constant returns a fixed token.
func constant(s string) func(*testing.T, *world, issued) string {
	return func(*testing.T, *world, issued) string { return s }
}

// wantClaims checks members of an introspection answer.
func wantClaims(t *testing.T, body map[string]any, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if body[k] != v {
			t.Errorf("%s = %v, want %v", k, body[k], v)
		}
	}
}

var introspectCases = []introspectCase{
	{name: "describes an active access token", token: accessOf, status: 200, active: true,
		check: func(t *testing.T, w *world, _ issued, body map[string]any) {
			now := float64(w.clk.Now().Unix())
			wantClaims(t, body, map[string]any{"scope": offlineScope, "client_id": w.apps["web"].ID, "sub": userID,
				"iss": w.iss.URL, "aud": w.iss.URL, "token_type": "Bearer", "iat": now,
				"exp": now + oidc.AccessTokenLifetime.Seconds()})
			if s, _ := body["jti"].(string); s == "" {
				t.Error("no jti")
			}
		}},
	{name: "describes an access token to a resource server of the tenant", token: accessOf, caller: "post", status: 200, active: true,
		check: func(t *testing.T, w *world, _ issued, body map[string]any) {
			wantClaims(t, body, map[string]any{"client_id": w.apps["web"].ID, "sub": userID})
		}},
	{name: "describes a client credentials access token", status: 200, active: true,
		token: func(t *testing.T, w *world, _ issued) string {
			return w.clientToken(t, w.iss, "service", "")
		},
		check: func(t *testing.T, w *world, _ issued, body map[string]any) {
			id := w.apps["service"].ID
			wantClaims(t, body, map[string]any{"client_id": id, "sub": id, "token_type": "Bearer"})
		}},
	{name: "describes an access token whatever the token_type_hint", token: accessOf, status: 200, active: true,
		edit: func(_ *world, f url.Values, _ http.Header) { f.Set("token_type_hint", "refresh_token") }},
	{name: "answers inactive for an expired access token", status: 200,
		token: func(_ *testing.T, w *world, tok issued) string {
			w.clk.Advance(oidc.AccessTokenLifetime)
			return tok.access
		}},
	{name: "answers inactive for a revoked access token", status: 200,
		token: func(t *testing.T, w *world, tok issued) string {
			form := url.Values{"token": {tok.access}}
			checkAnswer(t, w.revoke(w.iss, form, w.authAs("web", form)), 200, oidc.Error{})
			return tok.access
		}},
	{name: "answers inactive for an access token whose grant was revoked", status: 200,
		token: func(t *testing.T, w *world, tok issued) string {
			form := url.Values{"token": {tok.refresh}}
			checkAnswer(t, w.revoke(w.iss, form, w.authAs("web", form)), 200, oidc.Error{})
			return tok.access
		}},
	{name: "answers inactive for an access token of another tenant", status: 200,
		token: func(t *testing.T, w *world, _ issued) string { return w.issue(t, w.other, "web", "openid").access }},
	{name: "answers inactive for an access token signed by an unknown key", status: 200,
		token: func(t *testing.T, w *world, tok issued) string { return forged(t, w, tok.access) }},
	{name: "answers inactive for an ID token", status: 200,
		token: func(_ *testing.T, _ *world, tok issued) string { return tok.id }},
	{name: "describes a refresh token to its own client", token: refreshOf, status: 200, active: true,
		check: func(t *testing.T, w *world, _ issued, body map[string]any) {
			now := float64(w.clk.Now().Unix())
			wantClaims(t, body, map[string]any{"scope": offlineScope, "client_id": w.apps["web"].ID, "sub": userID,
				"iss": w.iss.URL, "token_type": "refresh_token", "iat": now,
				"exp": now + oidc.DefaultRefreshIdle.Seconds()})
		}},
	{name: "answers inactive for a refresh token asked about by another client", token: refreshOf, caller: "post", status: 200},
	{name: "answers inactive for a used refresh token", status: 200,
		token: func(t *testing.T, w *world, tok issued) string {
			w.refreshed(t, "web", tok.refresh, "")
			return tok.refresh
		}},
	{name: "answers inactive for a refresh token unused for its idle lifetime", status: 200,
		token: func(_ *testing.T, w *world, tok issued) string {
			w.clk.Advance(oidc.DefaultRefreshIdle)
			return tok.refresh
		}},
	{name: "answers inactive for a refresh token of another tenant", status: 200,
		token: func(t *testing.T, w *world, _ issued) string {
			return w.issue(t, w.other, "web", "openid offline_access").refresh
		}},
	{name: "answers inactive for an unknown token", token: constant("garbage"), status: 200},
	{name: "answers inactive for three garbage segments", token: constant("a.b.c"), status: 200},

	{name: "authenticates a resource server by private_key_jwt", token: accessOf, caller: "jwt-es", status: 200, active: true},
	{name: "refuses a public client", token: accessOf, caller: "spa", status: 401, want: oidc.ErrInvalidClient},
	{name: "refuses a client of another tenant", token: accessOf, caller: "foreign", status: 401, want: oidc.ErrInvalidClient},
	{name: "refuses a wrong client secret", token: accessOf, status: 401, want: oidc.ErrInvalidClient,
		edit: func(w *world, _ url.Values, h http.Header) {
			h.Set("Authorization", basic(w.apps["web"].ID, "lsec_wrong"))
		}},
	{name: "refuses a request without client authentication", token: accessOf, status: 401, want: oidc.ErrInvalidClient,
		edit: func(_ *world, _ url.Values, h http.Header) { h.Del("Authorization") }},
	{name: "refuses a request without a token", token: accessOf, status: 400, want: oidc.ErrInvalidRequest,
		edit: func(_ *world, f url.Values, _ http.Header) { f.Del("token") }},
	{name: "refuses a repeated token parameter", token: accessOf, status: 400, want: oidc.ErrInvalidRequest,
		edit: func(_ *world, f url.Values, _ http.Header) { f.Add("token", "again") }},
	{name: "refuses a JSON body", token: accessOf, status: 400, want: oidc.ErrInvalidRequest,
		edit: func(_ *world, _ url.Values, h http.Header) { h.Set("Content-Type", "application/json") }},
}

func TestIntrospect(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			w.addKeyApps(t)
			for _, tc := range introspectCases {
				t.Run(tc.name, func(t *testing.T) {
					tok := w.issue(t, w.iss, "web", offlineScope)
					form := url.Values{"token": {tc.token(t, w, tok)}}
					caller := tc.caller
					if caller == "" {
						caller = "web"
					}
					h := w.asAt(t, w.iss, caller, form)
					if tc.edit != nil {
						tc.edit(w, form, h)
					}
					rec := w.introspect(w.iss, form, h)
					checkAnswer(t, rec, tc.status, tc.want)
					if tc.status != http.StatusOK || rec.Code != http.StatusOK {
						return
					}
					body := decode(t, rec)
					if body["active"] != tc.active {
						t.Fatalf("active %v, want %v: %v", body["active"], tc.active, body)
					}
					if !tc.active && len(body) != 1 {
						t.Errorf("an inactive token is described: %v", body)
					}
					if tc.check != nil {
						tc.check(t, w, tok, body)
					}
				})
			}
		})
	}
}

func TestIntrospectAndRevokeRefuseOtherMethods(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	for name, h := range map[string]http.Handler{"introspect": w.p.Introspect(), "revoke": w.p.Revoke()} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, w.iss.URL+"/v1/"+name+"?token=x", nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r.WithContext(oidc.WithIssuer(r.Context(), w.iss)))
			if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "POST" {
				t.Errorf("GET answered %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
			}
		})
	}
}

// clientToken gets an access token for app by the client credentials
// grant at iss, failing the test unless it succeeds.
func (w *world) clientToken(t *testing.T, iss oidc.Issuer, app, scope string) string {
	t.Helper()
	form, h := clientCredentials(app, scope)(t, w)
	rec := w.post(iss, form, h)
	if rec.Code != http.StatusOK {
		t.Fatalf("client credentials: %d %s", rec.Code, rec.Body)
	}
	return tokensOf(decode(t, rec)).access
}
