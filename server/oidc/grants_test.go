package oidc_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// offlineScope is the scope of the grants refresh tests start from.
const offlineScope = "openid profile offline_access"

// issued are the tokens of one token response ("" for those it lacks).
type issued struct{ access, refresh, id string }

// issue redeems a code of app at iss for scope and returns its tokens.
func (w *world) issue(t *testing.T, iss oidc.Issuer, app, scope string) issued {
	t.Helper()
	return tokensOf(w.tokens(t, iss, app, scope))
}

// tokensOf reads the tokens of a decoded token response.
func tokensOf(body map[string]any) issued {
	s := func(k string) string { v, _ := body[k].(string); return v }
	return issued{access: s("access_token"), refresh: s("refresh_token"), id: s("id_token")}
}

// refreshed refreshes token for app at acme and returns the new tokens,
// failing the test unless it succeeds.
func (w *world) refreshed(t *testing.T, app, token, scope string) issued {
	t.Helper()
	rec := w.refresh(w.iss, app, token, scope)
	if rec.Code != http.StatusOK {
		t.Fatalf("refresh: %d %s", rec.Code, rec.Body)
	}
	return tokensOf(decode(t, rec))
}

// introspection asks iss's introspection endpoint about token as app and
// returns the answer, failing the test unless it is a 200.
func (w *world) introspection(t *testing.T, iss oidc.Issuer, app, token string) map[string]any {
	t.Helper()
	form := url.Values{"token": {token}}
	rec := w.introspect(iss, form, w.authAs(app, form))
	if rec.Code != http.StatusOK {
		t.Fatalf("introspect: %d %s", rec.Code, rec.Body)
	}
	return decode(t, rec)
}

// active reports whether iss's introspection tells app that token is
// active; an inactive answer must say nothing else (RFC 7662 §2.2).
func (w *world) active(t *testing.T, iss oidc.Issuer, app, token string) bool {
	t.Helper()
	body := w.introspection(t, iss, app, token)
	if body["active"] != true && len(body) != 1 {
		t.Errorf("an inactive token is described: %v", body)
	}
	return body["active"] == true
}

// checkAnswer checks the status of an answer of the token, introspection,
// revocation or userinfo endpoint and, for an error, its code and
// challenge: invalid_client carries a Basic challenge (RFC 6749 §5.2),
// invalid_token and insufficient_scope a Bearer one naming the error (RFC
// 6750 §3), other errors none.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder, status int, want oidc.Error) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", rec.Header().Get("Cache-Control"))
	}
	challenge := rec.Header().Get("WWW-Authenticate")
	if want.Code == "" {
		if rec.Body.Len() > 0 && decode(t, rec)["error"] != nil {
			t.Errorf("unexpected error %s", rec.Body)
		}
		if challenge != "" {
			t.Errorf("unexpected challenge %q", challenge)
		}
		return
	}
	if got := decode(t, rec)["error"]; got != want.Code {
		t.Errorf("error %v, want %s: %s", got, want.Code, rec.Body)
	}
	switch want.Code {
	case oidc.ErrInvalidClient.Code:
		if !strings.HasPrefix(challenge, "Basic realm=") {
			t.Errorf("invalid_client without a Basic challenge: %q", challenge)
		}
	case oidc.ErrInvalidToken.Code, oidc.ErrInsufficientScope.Code:
		if !strings.HasPrefix(challenge, "Bearer realm=") || !strings.Contains(challenge, `error="`+want.Code+`"`) {
			t.Errorf("challenge %q, want a Bearer challenge with error %s", challenge, want.Code)
		}
	default:
		if challenge != "" {
			t.Errorf("unexpected challenge %q", challenge)
		}
	}
}

// bearer presents an access token to iss's userinfo endpoint.
func (w *world) bearer(iss oidc.Issuer, token string) *httptest.ResponseRecorder {
	return w.userinfo(iss, http.MethodGet, "Bearer "+token, nil)
}

// checkDead checks that none of tok works at acme any more: the access
// token fails userinfo, introspection and VerifyAccessToken, the refresh
// token introspects inactive and cannot be refreshed. app is the client
// the tokens were issued to (confidential).
func checkDead(t *testing.T, w *world, app string, tok issued) {
	t.Helper()
	checkAnswer(t, w.bearer(w.iss, tok.access), 401, oidc.ErrInvalidToken)
	if w.active(t, w.iss, app, tok.access) {
		t.Error("the access token introspects active")
	}
	if _, err := w.p.VerifyAccessToken(context.Background(), w.iss, tok.access); !errors.Is(err, oidc.ErrTokenInactive) {
		t.Errorf("VerifyAccessToken: %v, want ErrTokenInactive", err)
	}
	if tok.refresh == "" {
		return
	}
	if w.active(t, w.iss, app, tok.refresh) {
		t.Error("the refresh token introspects active")
	}
	checkAnswer(t, w.refresh(w.iss, app, tok.refresh, ""), 400, oidc.ErrInvalidGrant)
}

// checkAlive checks that tok still works at acme without using it up: the
// access token passes userinfo and introspection, the refresh token
// introspects active for its (confidential) client app.
func checkAlive(t *testing.T, w *world, app string, tok issued) {
	t.Helper()
	checkAnswer(t, w.bearer(w.iss, tok.access), 200, oidc.Error{})
	if !w.active(t, w.iss, app, tok.access) {
		t.Error("the access token introspects inactive")
	}
	if tok.refresh != "" && !w.active(t, w.iss, app, tok.refresh) {
		t.Error("the refresh token introspects inactive")
	}
}

// idClaims reads the claims of an ID token without verifying it (other
// tests verify signatures).
func idClaims(t *testing.T, raw string) jwt.MapClaims {
	t.Helper()
	c := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(raw, c); err != nil {
		t.Fatalf("ID token: %v", err)
	}
	return c
}

func TestRefreshTokenIssuance(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			w.addNoRefreshApp(t)
			for _, tc := range []struct {
				name, app, scope string
				refresh          bool
			}{
				{name: "issues a refresh token for offline_access to a confidential client", app: "web", scope: offlineScope, refresh: true},
				{name: "issues a refresh token for offline_access to a public client", app: "spa", scope: "openid offline_access", refresh: true},
				{name: "issues no refresh token without offline_access", app: "web", scope: "openid profile"},
				{name: "issues no refresh token to a client not registered for refresh_token", app: "no-refresh", scope: offlineScope},
			} {
				t.Run(tc.name, func(t *testing.T) {
					resp := w.tokens(t, w.iss, tc.app, tc.scope)
					if got := resp["refresh_token"] != nil; got != tc.refresh {
						t.Errorf("refresh_token present %v, want %v", got, tc.refresh)
					}
					if resp["scope"] != tc.scope {
						t.Errorf("scope %v, want %q", resp["scope"], tc.scope)
					}
				})
			}
		})
	}
}

// refreshCase is one refresh request. run starts from the tokens of a
// code exchange of "web" for offlineScope (first), does what the case
// needs and returns the answer to check and the latest tokens it got.
type refreshCase struct {
	name   string
	run    func(t *testing.T, w *world, first issued) (*httptest.ResponseRecorder, issued)
	status int
	want   oidc.Error
	// after checks what follows the answer; body is the answer.
	after func(t *testing.T, w *world, first, latest issued, body map[string]any)
}

// present refreshes the first refresh token with scope.
func present(scope string) func(t *testing.T, w *world, first issued) (*httptest.ResponseRecorder, issued) {
	return func(_ *testing.T, w *world, first issued) (*httptest.ResponseRecorder, issued) {
		return w.refresh(w.iss, "web", first.refresh, scope), first
	}
}

var refreshCases = []refreshCase{
	{name: "exchanges a refresh token for new tokens", run: present(""), status: 200,
		after: func(t *testing.T, w *world, first, _ issued, body map[string]any) {
			next := tokensOf(body)
			if next.refresh == "" || next.refresh == first.refresh || next.access == first.access {
				t.Errorf("no new refresh and access tokens: %v", body)
			}
			if body["scope"] != offlineScope {
				t.Errorf("scope %v, want the granted %q", body["scope"], offlineScope)
			}
			checkAlive(t, w, "web", next)
		}},
	{name: "rotates the refresh token on every use", status: 200,
		run: func(t *testing.T, w *world, first issued) (*httptest.ResponseRecorder, issued) {
			second := w.refreshed(t, "web", first.refresh, "")
			third := w.refreshed(t, "web", second.refresh, "")
			if second.refresh == first.refresh || third.refresh == second.refresh || third.refresh == first.refresh {
				t.Errorf("refresh tokens repeat: %q, %q, %q", first.refresh, second.refresh, third.refresh)
			}
			return w.refresh(w.iss, "web", third.refresh, ""), third
		},
		after: func(t *testing.T, w *world, first, third issued, body map[string]any) {
			if fourth := tokensOf(body).refresh; fourth == "" || fourth == third.refresh || fourth == first.refresh {
				t.Errorf("the fourth refresh token %q repeats an earlier one", fourth)
			}
			if w.active(t, w.iss, "web", third.refresh) {
				t.Error("a used refresh token introspects active")
			}
		}},
	{name: "refuses a used refresh token and revokes its whole family", status: 400, want: oidc.ErrInvalidGrant,
		run: func(t *testing.T, w *world, first issued) (*httptest.ResponseRecorder, issued) {
			second := w.refreshed(t, "web", first.refresh, "")
			return w.refresh(w.iss, "web", first.refresh, ""), second
		},
		after: func(t *testing.T, w *world, first, second issued, _ map[string]any) {
			checkDead(t, w, "web", second)
			checkDead(t, w, "web", issued{access: first.access})
		}},
	{name: "refreshes one second before the idle lifetime ends", run: idle(oidc.DefaultRefreshIdle - time.Second), status: 200},
	{name: "refuses a refresh token unused for its idle lifetime", run: idle(oidc.DefaultRefreshIdle), status: 400, want: oidc.ErrInvalidGrant},
	{name: "refuses a refresh token unused for longer than its idle lifetime", run: idle(oidc.DefaultRefreshIdle + time.Hour), status: 400, want: oidc.ErrInvalidGrant},
	{name: "refuses a refresh chain past its absolute lifetime however often it was used", status: 400, want: oidc.ErrInvalidGrant,
		run: func(t *testing.T, w *world, first issued) (*httptest.ResponseRecorder, issued) {
			start, latest := w.clk.Now(), first
			step := oidc.DefaultRefreshIdle - 24*time.Hour
			for w.clk.Now().Add(step).Before(start.Add(oidc.DefaultRefreshAbsolute)) {
				w.clk.Advance(step)
				latest = w.refreshed(t, "web", latest.refresh, "")
			}
			// The latest token is well within its idle lifetime, not its
			// grant's.
			w.clk.Set(start.Add(oidc.DefaultRefreshAbsolute))
			return w.refresh(w.iss, "web", latest.refresh, ""), latest
		}},
	{name: "narrows the scope of the new access token", run: present("openid"), status: 200,
		after: func(t *testing.T, w *world, _, _ issued, body map[string]any) {
			next := tokensOf(body)
			if body["scope"] != "openid" {
				t.Errorf("scope %v, want openid", body["scope"])
			}
			if got := w.introspection(t, w.iss, "web", next.access)["scope"]; got != "openid" {
				t.Errorf("access token scope %v, want openid", got)
			}
			if got := w.introspection(t, w.iss, "web", next.refresh)["scope"]; got != offlineScope {
				t.Errorf("successor refresh token scope %v, want the original %q", got, offlineScope)
			}
			if again := decode(t, w.refresh(w.iss, "web", next.refresh, "")); again["scope"] != offlineScope {
				t.Errorf("refresh of the successor: scope %v, want the original %q", again["scope"], offlineScope)
			}
		}},
	{name: "issues no ID token when the narrowed scope drops openid", run: present("offline_access"), status: 200,
		after: func(t *testing.T, w *world, _, _ issued, body map[string]any) {
			checkAnswer(t, w.bearer(w.iss, tokensOf(body).access), 403, oidc.ErrInsufficientScope)
		}},
	{name: "refuses a wider scope", run: present("openid profile email offline_access"), status: 400, want: oidc.ErrInvalidScope},
	{name: "refuses a scope the server does not know", run: present("openid admin"), status: 400, want: oidc.ErrInvalidScope},
	{name: "refuses a malformed scope", run: present("openid  profile"), status: 400, want: oidc.ErrInvalidScope},
	{name: "leaves the refresh token usable after refusing a wider scope", status: 200,
		run: func(t *testing.T, w *world, first issued) (*httptest.ResponseRecorder, issued) {
			checkAnswer(t, w.refresh(w.iss, "web", first.refresh, "openid email"), 400, oidc.ErrInvalidScope)
			return w.refresh(w.iss, "web", first.refresh, ""), first
		},
		after: func(t *testing.T, w *world, first, _ issued, _ map[string]any) {
			checkAlive(t, w, "web", issued{access: first.access})
		}},
	{name: "refuses a refresh token presented by another client", status: 400, want: oidc.ErrInvalidGrant,
		run: func(_ *testing.T, w *world, first issued) (*httptest.ResponseRecorder, issued) {
			return w.refresh(w.iss, "post", first.refresh, ""), first
		}},
	{name: "refuses a refresh token presented by a public client without credentials", status: 400, want: oidc.ErrInvalidGrant,
		run: func(_ *testing.T, w *world, first issued) (*httptest.ResponseRecorder, issued) {
			return w.refresh(w.iss, "spa", first.refresh, ""), first
		}},
	{name: "refuses the refresh token of a user who was removed", status: 400, want: oidc.ErrInvalidGrant,
		run: func(t *testing.T, w *world, first issued) (*httptest.ResponseRecorder, issued) {
			w.users.remove(w.iss.TenantID, userID)
			t.Cleanup(func() { w.users.put(w.iss.TenantID, userID, oidc.Claims{Subject: userID, Email: "ada@example.com"}) })
			return w.refresh(w.iss, "web", first.refresh, ""), first
		}},
	{name: "refuses a refresh token of a grant revoked by an administrator", status: 400, want: oidc.ErrInvalidGrant,
		run: func(t *testing.T, w *world, first issued) (*httptest.ResponseRecorder, issued) {
			w.tx(t, func(ctx context.Context, tx store.Tx) error {
				n, err := w.p.RevokeGrants(ctx, tx, w.iss.TenantID, userID, w.apps["web"].ID, oidc.RevokedByAdmin)
				if err == nil && n == 0 {
					t.Error("RevokeGrants revoked nothing")
				}
				return err
			})
			return w.refresh(w.iss, "web", first.refresh, ""), first
		},
		after: func(t *testing.T, w *world, first, _ issued, _ map[string]any) { checkDead(t, w, "web", first) }},
	{name: "refuses an access token presented as a refresh token", status: 400, want: oidc.ErrInvalidGrant,
		run: func(_ *testing.T, w *world, first issued) (*httptest.ResponseRecorder, issued) {
			return w.refresh(w.iss, "web", first.access, ""), first
		}},
	{name: "refuses an unknown refresh token", status: 400, want: oidc.ErrInvalidGrant,
		run: func(_ *testing.T, w *world, first issued) (*httptest.ResponseRecorder, issued) {
			return w.refresh(w.iss, "web", oidc.RefreshTokenPrefix+strings.Repeat("A", 43), ""), first
		}},
	{name: "refuses a missing refresh_token", status: 400, want: oidc.ErrInvalidRequest,
		run: func(_ *testing.T, w *world, first issued) (*httptest.ResponseRecorder, issued) {
			form := url.Values{"grant_type": {"refresh_token"}}
			return w.post(w.iss, form, w.authAs("web", form)), first
		}},
	{name: "refuses the refresh grant to a client not registered for it", status: 400, want: oidc.ErrUnauthorizedClient,
		run: func(_ *testing.T, w *world, first issued) (*httptest.ResponseRecorder, issued) {
			return w.refresh(w.iss, "no-refresh", first.refresh, ""), first
		}},
	{name: "keeps auth_time and sid of the sign-in in the refreshed ID token", status: 200,
		run: func(_ *testing.T, w *world, first issued) (*httptest.ResponseRecorder, issued) {
			w.clk.Advance(3 * time.Hour)
			return w.refresh(w.iss, "web", first.refresh, ""), first
		},
		after: func(t *testing.T, w *world, first, _ issued, body map[string]any) {
			was, now := idClaims(t, first.id), idClaims(t, tokensOf(body).id)
			for _, k := range []string{"iss", "sub", "aud", "azp", "auth_time", "sid", "acr", "amr"} {
				if now[k] == nil || !equalClaims(now[k], was[k]) {
					t.Errorf("%s = %v, want %v as at sign-in", k, now[k], was[k])
				}
			}
			if now["sid"] != "ses_1" {
				t.Errorf("sid %v, want ses_1", now["sid"])
			}
			if iat, _ := now["iat"].(float64); int64(iat) != w.clk.Now().Unix() {
				t.Errorf("iat %v, want now", now["iat"])
			}
		}},
}

// addNoRefreshApp adds "no-refresh", a web app of acme registered for
// the authorization code grant only.
func (w *world) addNoRefreshApp(t *testing.T) {
	t.Helper()
	w.addApp(t, w.iss.TenantID, "no-refresh", tenant.AppInput{Name: "No refresh", Type: tenant.AppWeb,
		GrantTypes: []string{tenant.GrantAuthorizationCode}, RedirectURIs: []string{"https://norefresh.example.com/cb"}})
}

// idle refreshes the first refresh token after d without use.
func idle(d time.Duration) func(t *testing.T, w *world, first issued) (*httptest.ResponseRecorder, issued) {
	return func(_ *testing.T, w *world, first issued) (*httptest.ResponseRecorder, issued) {
		w.clk.Advance(d)
		return w.refresh(w.iss, "web", first.refresh, ""), first
	}
}

// equalClaims compares two decoded claim values.
func equalClaims(a, b any) bool {
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok {
		if len(as) != len(bs) {
			return false
		}
		for i := range as {
			if as[i] != bs[i] {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestRefresh(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			w.addNoRefreshApp(t)
			for _, tc := range refreshCases {
				t.Run(tc.name, func(t *testing.T) {
					// The clock only moves forward: cases start where the
					// last one left it.
					first := w.issue(t, w.iss, "web", offlineScope)
					if first.refresh == "" {
						t.Fatal("no refresh token for offline_access")
					}
					rec, latest := tc.run(t, w, first)
					checkTokenResponse(t, w, rec, tc.status, tc.want)
					if tc.after != nil && rec.Code == tc.status {
						tc.after(t, w, first, latest, decode(t, rec))
					}
				})
			}
		})
	}
}

// replayCase is one consequence of replaying an authorization code.
type replayCase struct {
	name string
	// replayer is the client that presents the code again.
	replayer string
	// refreshFirst refreshes the first exchange's tokens before the
	// replay; check then gets the refreshed ones.
	refreshFirst bool
	check        func(t *testing.T, w *world, tok issued)
}

func TestCodeReplayRevokesTheFirstExchange(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			for _, tc := range []replayCase{
				{name: "ends the access token at userinfo", replayer: "web", check: func(t *testing.T, w *world, first issued) {
					checkAnswer(t, w.bearer(w.iss, first.access), 401, oidc.ErrInvalidToken)
				}},
				{name: "ends the access token at introspection", replayer: "web", check: func(t *testing.T, w *world, first issued) {
					if w.active(t, w.iss, "web", first.access) {
						t.Error("active")
					}
				}},
				{name: "ends the access token for resource servers", replayer: "web", check: func(t *testing.T, w *world, first issued) {
					if _, err := w.p.VerifyAccessToken(context.Background(), w.iss, first.access); !errors.Is(err, oidc.ErrTokenInactive) {
						t.Errorf("VerifyAccessToken: %v, want ErrTokenInactive", err)
					}
				}},
				{name: "ends the refresh token", replayer: "web", check: func(t *testing.T, w *world, first issued) {
					checkAnswer(t, w.refresh(w.iss, "web", first.refresh, ""), 400, oidc.ErrInvalidGrant)
				}},
				{name: "ends the refresh token at introspection", replayer: "web", check: func(t *testing.T, w *world, first issued) {
					if w.active(t, w.iss, "web", first.refresh) {
						t.Error("active")
					}
				}},
				{name: "ends every token when another client replays the code", replayer: "post", check: func(t *testing.T, w *world, first issued) {
					checkDead(t, w, "web", first)
				}},
				{name: "ends tokens already refreshed from the first exchange", replayer: "web", refreshFirst: true,
					check: func(t *testing.T, w *world, next issued) { checkDead(t, w, "web", next) }},
			} {
				t.Run(tc.name, func(t *testing.T) {
					q := w.authQuery("web")
					q.Set("scope", offlineScope)
					req, code := w.code(t, w.iss, q)
					form := w.tokenForm("web", code, req)
					rec := w.post(w.iss, form, w.auth(form, "web"))
					checkTokenResponse(t, w, rec, 200, oidc.Error{})
					tok := tokensOf(decode(t, rec))
					if tc.refreshFirst {
						tok = w.refreshed(t, "web", tok.refresh, "")
					}
					again := w.tokenForm(tc.replayer, code, req)
					checkTokenResponse(t, w, w.post(w.iss, again, w.auth(again, tc.replayer)), 400, oidc.ErrInvalidGrant)
					tc.check(t, w, tok)
				})
			}
		})
	}
}

func TestPurgeTokens(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			w.addKeyApps(t)
			purge := func(t *testing.T) int64 {
				t.Helper()
				n, err := w.p.PurgeTokens(context.Background())
				if err != nil {
					t.Fatalf("PurgeTokens: %v", err)
				}
				return n
			}
			for _, tc := range []struct {
				name string
				run  func(t *testing.T)
			}{
				{name: "keeps a live grant usable", run: func(t *testing.T) {
					tok := w.issue(t, w.iss, "web", offlineScope)
					w.clk.Advance(48 * time.Hour)
					purge(t)
					checkTokenResponse(t, w, w.refresh(w.iss, "web", tok.refresh, ""), 200, oidc.Error{})
				}},
				{name: "keeps the tokens of a purged revoked grant dead", run: func(t *testing.T) {
					tok := w.issue(t, w.iss, "web", offlineScope)
					form := url.Values{"token": {tok.refresh}}
					checkAnswer(t, w.revoke(w.iss, form, w.authAs("web", form)), 200, oidc.Error{})
					w.clk.Advance(48 * time.Hour)
					if n := purge(t); n == 0 {
						t.Error("nothing purged")
					}
					if w.active(t, w.iss, "web", tok.refresh) {
						t.Error("the refresh token of a purged grant introspects active")
					}
					checkTokenResponse(t, w, w.refresh(w.iss, "web", tok.refresh, ""), 400, oidc.ErrInvalidGrant)
				}},
				{name: "still recognises a reused refresh token after a purge", run: func(t *testing.T) {
					tok := w.issue(t, w.iss, "web", offlineScope)
					next := w.refreshed(t, "web", tok.refresh, "")
					w.clk.Advance(48 * time.Hour)
					purge(t)
					checkTokenResponse(t, w, w.refresh(w.iss, "web", tok.refresh, ""), 400, oidc.ErrInvalidGrant)
					checkTokenResponse(t, w, w.refresh(w.iss, "web", next.refresh, ""), 400, oidc.ErrInvalidGrant)
				}},
				{name: "keeps an assertion's jti until the assertion expires", run: func(t *testing.T) {
					form, h := assertionReq{}.setup(t, w)
					checkTokenResponse(t, w, w.post(w.iss, form, h), 200, oidc.Error{})
					w.clk.Advance(time.Minute)
					purge(t)
					checkTokenResponse(t, w, w.post(w.iss, form, h), 401, oidc.ErrInvalidClient)
				}},
			} {
				t.Run(tc.name, tc.run)
			}
		})
	}
}
