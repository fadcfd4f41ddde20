package oidc_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// revokeCase is one revocation request (RFC 7009) by caller about a token
// of tok, tokens of app (both "web" when empty) for offlineScope.
type revokeCase struct {
	name        string
	app, caller string
	token       func(t *testing.T, w *world, tok issued) string
	// edit changes the request after its credentials are added.
	edit   func(w *world, form url.Values, h http.Header)
	status int
	want   oidc.Error
	// after checks what the answer left behind.
	after func(t *testing.T, w *world, tok issued)
}

var revokeCases = []revokeCase{
	{name: "revokes an access token", token: accessOf, status: 200,
		after: func(t *testing.T, w *world, tok issued) {
			checkAnswer(t, w.bearer(w.iss, tok.access), 401, oidc.ErrInvalidToken)
			if w.active(t, w.iss, "web", tok.access) {
				t.Error("the revoked access token introspects active")
			}
			// An access token is revoked by itself (Provider.Revoke).
			checkAlive(t, w, "web", issued{access: w.refreshed(t, "web", tok.refresh, "").access})
		}},
	{name: "revokes a refresh token with its grant", token: refreshOf, status: 200,
		after: func(t *testing.T, w *world, tok issued) { checkDead(t, w, "web", tok) }},
	{name: "revokes a refresh token whatever the token_type_hint", token: refreshOf, status: 200,
		edit: func(_ *world, f url.Values, _ http.Header) { f.Set("token_type_hint", "access_token") },
		after: func(t *testing.T, w *world, tok issued) {
			checkAnswer(t, w.refresh(w.iss, "web", tok.refresh, ""), 400, oidc.ErrInvalidGrant)
		}},
	{name: "revokes every refresh token of the family", status: 200,
		token: func(t *testing.T, w *world, tok issued) string {
			return w.refreshed(t, "web", tok.refresh, "").refresh
		},
		after: func(t *testing.T, w *world, tok issued) { checkDead(t, w, "web", issued{access: tok.access}) }},
	{name: "lets a public client revoke its own refresh token with client_id alone", app: "spa", caller: "spa", token: refreshOf, status: 200,
		after: func(t *testing.T, w *world, tok issued) {
			checkAnswer(t, w.refresh(w.iss, "spa", tok.refresh, ""), 400, oidc.ErrInvalidGrant)
			checkAnswer(t, w.bearer(w.iss, tok.access), 401, oidc.ErrInvalidToken)
		}},
	{name: "lets a public client revoke its own access token", app: "spa", caller: "spa", token: accessOf, status: 200,
		after: func(t *testing.T, w *world, tok issued) {
			checkAnswer(t, w.bearer(w.iss, tok.access), 401, oidc.ErrInvalidToken)
		}},
	{name: "answers 200 for a token revoked before", token: refreshOf, status: 200,
		edit: func(w *world, f url.Values, _ http.Header) {
			again := url.Values{"token": {f.Get("token")}}
			w.revoke(w.iss, again, w.authAs("web", again))
		}},
	{name: "answers 200 for an unknown refresh token", token: constant(oidc.RefreshTokenPrefix + strings.Repeat("A", 43)), status: 200},
	{name: "answers 200 for garbage", token: constant("garbage"), status: 200},
	{name: "answers 200 for three garbage segments", token: constant("a.b.c"), status: 200},
	{name: "answers 200 for an expired access token", status: 200,
		token: func(_ *testing.T, w *world, tok issued) string {
			w.clk.Advance(oidc.AccessTokenLifetime)
			return tok.access
		}},

	{name: "refuses to revoke another client's access token", token: accessOf, caller: "post", status: 400, want: oidc.ErrUnauthorizedClient,
		after: func(t *testing.T, w *world, tok issued) { checkAlive(t, w, "web", tok) }},
	{name: "refuses to revoke another client's refresh token", token: refreshOf, caller: "post", status: 400, want: oidc.ErrUnauthorizedClient,
		after: func(t *testing.T, w *world, tok issued) { checkAlive(t, w, "web", tok) }},
	{name: "refuses a public client revoking a confidential client's refresh token", token: refreshOf, caller: "spa",
		status: 400, want: oidc.ErrUnauthorizedClient,
		after: func(t *testing.T, w *world, tok issued) { checkAlive(t, w, "web", tok) }},
	{name: "refuses a request without a token", token: accessOf, status: 400, want: oidc.ErrInvalidRequest,
		edit: func(_ *world, f url.Values, _ http.Header) { f.Del("token") }},
	{name: "refuses a request without client authentication", token: refreshOf, status: 401, want: oidc.ErrInvalidClient,
		edit:  func(_ *world, _ url.Values, h http.Header) { h.Del("Authorization") },
		after: func(t *testing.T, w *world, tok issued) { checkAlive(t, w, "web", tok) }},
	{name: "refuses a wrong client secret", token: refreshOf, status: 401, want: oidc.ErrInvalidClient,
		edit: func(w *world, _ url.Values, h http.Header) {
			h.Set("Authorization", basic(w.apps["web"].ID, "lsec_wrong"))
		},
		after: func(t *testing.T, w *world, tok issued) { checkAlive(t, w, "web", tok) }},
	{name: "refuses a confidential client naming itself without its secret", token: refreshOf, status: 401, want: oidc.ErrInvalidClient,
		edit: func(w *world, f url.Values, h http.Header) {
			h.Del("Authorization")
			f.Set("client_id", w.apps["web"].ID)
		},
		after: func(t *testing.T, w *world, tok issued) { checkAlive(t, w, "web", tok) }},
	{name: "refuses a client of another tenant", token: refreshOf, caller: "foreign", status: 401, want: oidc.ErrInvalidClient,
		after: func(t *testing.T, w *world, tok issued) { checkAlive(t, w, "web", tok) }},
}

func TestRevoke(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			for _, tc := range revokeCases {
				t.Run(tc.name, func(t *testing.T) {
					app, caller := tc.app, tc.caller
					if app == "" {
						app = "web"
					}
					if caller == "" {
						caller = "web"
					}
					tok := w.issue(t, w.iss, app, offlineScope)
					form := url.Values{"token": {tc.token(t, w, tok)}}
					h := w.authAs(caller, form)
					if tc.edit != nil {
						tc.edit(w, form, h)
					}
					rec := w.revoke(w.iss, form, h)
					checkAnswer(t, rec, tc.status, tc.want)
					if tc.status == http.StatusOK && rec.Body.Len() > 0 {
						t.Errorf("a revocation answers a body: %s", rec.Body)
					}
					if tc.after != nil && rec.Code == tc.status {
						tc.after(t, w, tok)
					}
				})
			}
		})
	}
}
