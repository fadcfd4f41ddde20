package oidc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// tokenCase is one token request. setup issues what it needs and returns
// the form and headers to send.
type tokenCase struct {
	name   string
	setup  func(t *testing.T, w *world) (url.Values, http.Header)
	status int
	want   oidc.Error // zero for success
}

// redeem issues a code for app and returns its token request, with the
// app's credentials.
func redeem(app string) func(t *testing.T, w *world) (url.Values, http.Header) {
	return redeemWith(app, nil)
}

// redeemWith is redeem with edit applied to the token request.
func redeemWith(app string, edit func(w *world, form url.Values, h http.Header)) func(t *testing.T, w *world) (url.Values, http.Header) {
	return func(t *testing.T, w *world) (url.Values, http.Header) {
		req, code := w.code(t, w.iss, w.authQuery(app))
		form := w.tokenForm(app, code, req)
		h := w.auth(form, app)
		if edit != nil {
			edit(w, form, h)
		}
		return form, h
	}
}

// clientCredentials is a client_credentials request of app for scope
// ("" for none), with the app's credentials.
func clientCredentials(app, scope string) func(t *testing.T, w *world) (url.Values, http.Header) {
	return func(_ *testing.T, w *world) (url.Values, http.Header) {
		form := url.Values{"grant_type": {"client_credentials"}}
		if scope != "" {
			form.Set("scope", scope)
		}
		return form, w.authAs(app, form)
	}
}

var tokenCases = []tokenCase{
	{name: "redeems a code with client_secret_basic", setup: redeem("web"), status: 200},
	{name: "redeems a code with client_secret_post", setup: redeem("post"), status: 200},
	{name: "redeems a code of a public client", setup: redeem("spa"), status: 200},
	{name: "redeems a code one second before it expires", status: 200,
		setup: redeemWith("web", func(w *world, _ url.Values, _ http.Header) { w.clk.Advance(oidc.CodeLifetime - time.Second) })},

	{name: "refuses a wrong code_verifier", status: 400, want: oidc.ErrInvalidGrant,
		setup: redeemWith("web", func(_ *world, f url.Values, _ http.Header) { f.Set("code_verifier", strings.Repeat("x", 43)) })},
	{name: "refuses a missing code_verifier", status: 400, want: oidc.ErrInvalidRequest,
		setup: redeemWith("spa", func(_ *world, f url.Values, _ http.Header) { f.Del("code_verifier") })},
	{name: "refuses a malformed code_verifier", status: 400, want: oidc.ErrInvalidRequest,
		setup: redeemWith("spa", func(_ *world, f url.Values, _ http.Header) { f.Set("code_verifier", "short") })},
	{name: "refuses an expired code", status: 400, want: oidc.ErrInvalidGrant,
		setup: redeemWith("web", func(w *world, _ url.Values, _ http.Header) { w.clk.Advance(oidc.CodeLifetime + time.Second) })},
	{name: "refuses a code at the instant it expires", status: 400, want: oidc.ErrInvalidGrant,
		setup: redeemWith("web", func(w *world, _ url.Values, _ http.Header) { w.clk.Advance(oidc.CodeLifetime) })},
	{name: "refuses a code issued to another client", status: 400, want: oidc.ErrInvalidGrant,
		setup: func(t *testing.T, w *world) (url.Values, http.Header) {
			req, code := w.code(t, w.iss, w.authQuery("web"))
			form := w.tokenForm("post", code, req)
			return form, w.auth(form, "post")
		}},
	{name: "refuses a different redirect_uri", status: 400, want: oidc.ErrInvalidGrant,
		setup: redeemWith("web", func(_ *world, f url.Values, _ http.Header) { f.Set("redirect_uri", "https://app.example.com/cb?tab=1") })},
	{name: "refuses a missing redirect_uri", status: 400, want: oidc.ErrInvalidRequest,
		setup: redeemWith("web", func(_ *world, f url.Values, _ http.Header) { f.Del("redirect_uri") })},
	{name: "refuses an unknown code", status: 400, want: oidc.ErrInvalidGrant,
		setup: redeemWith("web", func(_ *world, f url.Values, _ http.Header) { f.Set("code", strings.Repeat("A", 43)) })},
	{name: "refuses a missing code", status: 400, want: oidc.ErrInvalidRequest,
		setup: redeemWith("web", func(_ *world, f url.Values, _ http.Header) { f.Del("code") })},
	{name: "refuses a code of a user who may no longer sign in", status: 400, want: oidc.ErrInvalidGrant,
		setup: redeemWith("web", func(w *world, _ url.Values, _ http.Header) { w.users.remove(w.iss.TenantID, userID) })},

	{name: "refuses a wrong client secret", status: 401, want: oidc.ErrInvalidClient,
		setup: redeemWith("web", func(w *world, _ url.Values, h http.Header) {
			h.Set("Authorization", basic(w.apps["web"].ID, "lsec_wrong"))
		})},
	{name: "refuses a wrong client secret in the body", status: 401, want: oidc.ErrInvalidClient,
		setup: redeemWith("post", func(_ *world, f url.Values, _ http.Header) { f.Set("client_secret", "lsec_wrong") })},
	{name: "refuses an unknown client", status: 401, want: oidc.ErrInvalidClient,
		setup: redeemWith("spa", func(_ *world, f url.Values, _ http.Header) { f.Set("client_id", "app_01jd000000000000000000000z") })},
	{name: "refuses a client of another tenant", status: 401, want: oidc.ErrInvalidClient,
		setup: redeemWith("web", func(w *world, _ url.Values, h http.Header) {
			h.Set("Authorization", basic(w.apps["foreign"].ID, w.apps["foreign"].secret))
		})},
	{name: "refuses a public client sending a secret", status: 401, want: oidc.ErrInvalidClient,
		setup: redeemWith("spa", func(_ *world, f url.Values, _ http.Header) { f.Set("client_secret", "lsec_anything") })},
	{name: "refuses a public client sending Basic credentials", status: 401, want: oidc.ErrInvalidClient,
		setup: redeemWith("spa", func(w *world, f url.Values, h http.Header) {
			f.Del("client_id")
			h.Set("Authorization", basic(w.apps["spa"].ID, "lsec_anything"))
		})},
	{name: "refuses a confidential client sending no secret", status: 401, want: oidc.ErrInvalidClient,
		setup: redeemWith("web", func(w *world, f url.Values, h http.Header) {
			h.Del("Authorization")
			f.Set("client_id", w.apps["web"].ID)
		})},
	{name: "refuses a confidential client using a method it did not register", status: 401, want: oidc.ErrInvalidClient,
		setup: redeemWith("web", func(w *world, f url.Values, h http.Header) {
			h.Del("Authorization")
			f.Set("client_id", w.apps["web"].ID)
			f.Set("client_secret", w.apps["web"].secret)
		})},
	{name: "refuses two client authentication methods at once", status: 400, want: oidc.ErrInvalidRequest,
		setup: redeemWith("web", func(w *world, f url.Values, _ http.Header) { f.Set("client_secret", w.apps["web"].secret) })},
	{name: "refuses a request without client authentication", status: 401, want: oidc.ErrInvalidClient,
		setup: redeemWith("spa", func(_ *world, f url.Values, _ http.Header) { f.Del("client_id") })},
	{name: "refuses a Bearer Authorization header", status: 401, want: oidc.ErrInvalidClient,
		setup: redeemWith("spa", func(_ *world, _ url.Values, h http.Header) { h.Set("Authorization", "Bearer x") })},

	{name: "refuses a missing grant_type", status: 400, want: oidc.ErrInvalidRequest,
		setup: redeemWith("web", func(_ *world, f url.Values, _ http.Header) { f.Del("grant_type") })},
	{name: "refuses an unsupported grant type", status: 400, want: oidc.ErrUnsupportedGrantType,
		setup: redeemWith("web", func(_ *world, f url.Values, _ http.Header) { f.Set("grant_type", "password") })},
	{name: "refuses the client credentials grant to a web app", status: 400, want: oidc.ErrUnauthorizedClient,
		setup: redeemWith("web", func(_ *world, f url.Values, _ http.Header) { f.Set("grant_type", "client_credentials") })},
	{name: "issues a token to a service app for the client credentials grant", status: 200, setup: clientCredentials("service", "")},
	{name: "refuses the authorization code grant to a service app", status: 400, want: oidc.ErrUnauthorizedClient,
		setup: func(t *testing.T, w *world) (url.Values, http.Header) {
			req, code := w.code(t, w.iss, w.authQuery("web"))
			form := w.tokenForm("service", code, req)
			return form, w.auth(form, "service")
		}},
	{name: "refuses a client credentials scope the client may not hold", status: 400, want: oidc.ErrInvalidScope,
		setup: clientCredentials("service", "openid")},
	{name: "refuses a repeated parameter", status: 400, want: oidc.ErrInvalidRequest,
		setup: redeemWith("web", func(_ *world, f url.Values, _ http.Header) { f.Add("code", "again") })},
	{name: "refuses a JSON body", status: 400, want: oidc.ErrInvalidRequest,
		setup: redeemWith("web", func(_ *world, _ url.Values, h http.Header) { h.Set("Content-Type", "application/json") })},
}

func TestToken(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			for _, tc := range tokenCases {
				t.Run(tc.name, func(t *testing.T) {
					w.clk.Set(t0)
					w.users.put(w.iss.TenantID, userID, oidc.Claims{Subject: userID, Email: "ada@example.com"})
					form, h := tc.setup(t, w)
					rec := w.post(w.iss, form, h)
					checkTokenResponse(t, w, rec, tc.status, tc.want)
				})
			}
		})
	}
}

// checkTokenResponse checks a token endpoint answer's status, error code
// and headers.
func checkTokenResponse(t *testing.T, w *world, rec *httptest.ResponseRecorder, status int, want oidc.Error) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
	if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Pragma") != "no-cache" {
		t.Errorf("caching headers %v", rec.Header())
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	if want.Code == "" {
		for _, k := range []string{"access_token", "token_type", "expires_in", "scope"} {
			if body[k] == nil {
				t.Errorf("token response lacks %s: %v", k, body)
			}
		}
		// An ID token exactly when the scope holds openid: never for
		// client credentials.
		scope, _ := body["scope"].(string)
		if openid := slices.Contains(strings.Fields(scope), "openid"); openid != (body["id_token"] != nil) {
			t.Errorf("scope %q with id_token %v", scope, body["id_token"] != nil)
		}
		return
	}
	if body["error"] != want.Code {
		t.Errorf("error %v, want %s (%v)", body["error"], want.Code, body["error_description"])
	}
	challenge := rec.Header().Get("WWW-Authenticate")
	if want.Code == oidc.ErrInvalidClient.Code {
		if !strings.HasPrefix(challenge, "Basic realm=") {
			t.Errorf("invalid_client without a Basic challenge: %q", challenge)
		}
	} else if challenge != "" {
		t.Errorf("unexpected challenge %q", challenge)
	}
}

func TestTokenRefusesAReplayedCode(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			req, code := w.code(t, w.iss, w.authQuery("web"))
			first := w.tokenForm("web", code, req)
			h := w.auth(first, "web")
			checkTokenResponse(t, w, w.post(w.iss, first, h), 200, oidc.Error{})
			again := w.tokenForm("web", code, req)
			checkTokenResponse(t, w, w.post(w.iss, again, w.auth(again, "web")), 400, oidc.ErrInvalidGrant)
			logs := w.logs.String()
			if !strings.Contains(logs, "authorization code replayed") {
				t.Errorf("replay not logged:\n%s", logs)
			}
			if strings.Contains(logs, code) || strings.Contains(logs, w.apps["web"].secret) {
				t.Errorf("a code or client secret reached the log:\n%s", logs)
			}
		})
	}
}

func TestTokenRedeemsACodeOnceUnderConcurrency(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			req, code := w.code(t, w.iss, w.authQuery("spa"))
			w.tokens(t, w.iss, "spa", "openid") // keys exist before the race
			statuses := make([]int, 6)
			var wg sync.WaitGroup
			for i := range statuses {
				wg.Go(func() { statuses[i] = w.post(w.iss, w.tokenForm("spa", code, req), nil).Code })
			}
			wg.Wait()
			slices.Sort(statuses)
			if want := []int{200, 400, 400, 400, 400, 400}; !slices.Equal(statuses, want) {
				t.Errorf("statuses %v, want one 200 and invalid_grant for the rest", statuses)
			}
		})
	}
}

func TestTokenUsesACodeOnItsFirstPresentation(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	req, code := w.code(t, w.iss, w.authQuery("spa"))
	bad := w.tokenForm("spa", code, req)
	bad.Set("code_verifier", strings.Repeat("x", 43))
	checkTokenResponse(t, w, w.post(w.iss, bad, nil), 400, oidc.ErrInvalidGrant)
	checkTokenResponse(t, w, w.post(w.iss, w.tokenForm("spa", code, req), nil), 400, oidc.ErrInvalidGrant)
}

func TestTokenRefusesAnotherIssuersCode(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	// A code issued by globex for its app, presented at acme by acme's
	// client with the same shape of request.
	q := w.authQuery("web")
	q.Set("client_id", w.apps["foreign"].ID)
	req, code := w.code(t, w.other, q)
	form := w.tokenForm("web", code, req)
	checkTokenResponse(t, w, w.post(w.iss, form, w.auth(form, "web")), 400, oidc.ErrInvalidGrant)
}

func TestTokenRefusesOtherMethods(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	r := httptest.NewRequest(http.MethodGet, w.iss.URL+oidc.PathToken+"?grant_type=authorization_code", nil)
	rec := httptest.NewRecorder()
	w.p.Token().ServeHTTP(rec, r.WithContext(oidc.WithIssuer(r.Context(), w.iss)))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "POST" {
		t.Errorf("GET answered %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestHandlersRefuseARequestWithoutIssuer(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	for name, h := range map[string]http.Handler{
		"discovery": w.p.Discovery(), "keys": w.p.JWKS(), "token": w.p.Token(), "userinfo": w.p.UserInfo(),
	} {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			if rec.Code != http.StatusInternalServerError {
				t.Errorf("status %d", rec.Code)
			}
		})
	}
}

func TestIssueCode(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			_, code := w.code(t, w.iss, w.authQuery("web"))
			if len(code) < 43 {
				t.Errorf("code %q is shorter than 256 bits", code)
			}
			var n int
			w.tx(t, func(ctx context.Context, tx store.Tx) error {
				return tx.QueryRow(ctx, `SELECT COUNT(*) FROM oidc_codes WHERE code_mac = ? OR redirect_uri = ? OR scope = ? OR nonce = ?`,
					[]byte(code), code, code, code).Scan(&n)
			})
			if n != 0 {
				t.Error("the code is stored in plaintext")
			}
			req, _, _ := w.p.ValidateAuthorize(context.Background(), w.iss, w.authQuery("web"))
			req.CodeChallenge, req.CodeChallengeMethod = "", ""
			err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				_, err := w.p.IssueCode(ctx, tx, w.iss, req, oidc.Grant{UserID: userID, AuthTime: t0})
				return err
			})
			if err == nil {
				t.Error("issued a code without a PKCE challenge")
			}
			w.clk.Advance(2 * time.Hour)
			if n, err := w.p.PurgeCodes(context.Background()); err != nil || n != 1 {
				t.Errorf("purged %d codes, err %v; want 1", n, err)
			}
		})
	}
}
