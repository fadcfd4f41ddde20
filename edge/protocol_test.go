package edge

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// rpBye is the world's app's registered post-logout redirect URI.
const rpBye = "https://rp.example.test/bye"

// signedIn returns a browser signed in at the world's site, and the ID
// token the app got for that sign-in.
func (w *siteWorld) signedIn(t *testing.T) (*http.Client, string) {
	t.Helper()
	c := w.browser(t)
	verifier, challenge := pkce("l")
	final, _ := w.signIn(t, c, w.authorizeURL(challenge), alice, alicePass)
	cb, err := url.Parse(final)
	if err != nil || cb.Query().Get("code") == "" {
		t.Fatalf("sign-in ended at %q", final)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")},
		"redirect_uri": {rpCallback}, "code_verifier": {verifier}}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(w.app.ID)+":"+url.QueryEscape(w.secret)))
	status, _, body := postForm(t, c, w.srv.URL+"/oauth2/default/v1/token", form, "Authorization", basic)
	var tok struct {
		IDToken string `json:"id_token"`
	}
	if err := json.Unmarshal([]byte(body), &tok); status != http.StatusOK || err != nil || tok.IDToken == "" {
		t.Fatalf("token: %d %s", status, body)
	}
	return c, tok.IDToken
}

// logoutURL is the end-session endpoint with a query of name/value pairs.
func (w *siteWorld) logoutURL(params ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		q.Set(params[i], params[i+1])
	}
	return w.srv.URL + "/oauth2/default/v1/logout?" + q.Encode()
}

// promptNone reports whether an authorize request with prompt=none gets
// through on the browser's session (rather than login_required).
func (w *siteWorld) promptNone(t *testing.T, c *http.Client) bool {
	t.Helper()
	_, challenge := pkce("n")
	status, h, _ := get(t, c, w.authorizeURL(challenge, "prompt", "none"))
	loc, _ := url.Parse(h.Get("Location"))
	if status != http.StatusSeeOther || loc == nil || !strings.HasPrefix(h.Get("Location"), rpCallback+"?") {
		t.Fatalf("prompt=none: %d to %q", status, h.Get("Location"))
	}
	switch q := loc.Query(); {
	case q.Get("code") != "":
		return true
	case q.Get("error") == "login_required":
		return false
	default:
		t.Fatalf("prompt=none answered %v", q)
		return false
	}
}

// liveGrants counts the user's unrevoked OAuth grants.
func (w *siteWorld) liveGrants(t *testing.T) int {
	t.Helper()
	var n int
	err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM oidc_grants WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL`,
			w.acme.ID, w.userID).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// sidOf returns the sid claim of a JWT, unverified.
func sidOf(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		SID string `json:"sid"`
	}
	if err != nil || json.Unmarshal(raw, &c) != nil {
		t.Fatalf("token payload %q", parts[1])
	}
	return c.SID
}

// signouts returns the user.signout events of the world's tenant.
func (w *siteWorld) signouts(t *testing.T) []events.Event {
	t.Helper()
	evs, _, err := w.engine.Events.Query(context.Background(), events.Query{TenantID: w.acme.ID, Types: []string{"user.signout"}})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestLogoutEndsTheSessionAfterConfirmation walks RP-Initiated Logout
// with a hint, a registered URI and state: the GET only asks, the
// confirmation ends the SSO session and returns to the client with state.
func TestLogoutEndsTheSessionAfterConfirmation(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newSiteWorld(t, b, clock.System())
			c, idToken := w.signedIn(t)
			logout := w.logoutURL("id_token_hint", idToken, "post_logout_redirect_uri", rpBye, "state", "bye 1")

			status, h, body := get(t, c, logout)
			if status != http.StatusOK || !strings.Contains(h.Get("Content-Security-Policy"), "form-action 'self' https://rp.example.test") {
				t.Fatalf("logout page: %d %q", status, h.Get("Content-Security-Policy"))
			}
			if !strings.Contains(body, `action="/oauth2/default/v1/logout"`) {
				t.Errorf("the form does not post to the bare endpoint:\n%s", body)
			}
			form := formFields(body)
			for k, want := range map[string]string{"id_token_hint": idToken, "post_logout_redirect_uri": rpBye, "state": "bye 1", "confirm": "1"} {
				if form.Get(k) != want {
					t.Errorf("hidden %s = %q, want %q", k, form.Get(k), want)
				}
			}
			if !w.promptNone(t, c) {
				t.Fatal("showing the confirmation page ended the session")
			}
			if n := len(w.signouts(t)); n != 0 {
				t.Fatalf("%d signout events before confirming", n)
			}
			if w.liveGrants(t) == 0 {
				t.Fatal("no live grant before logout")
			}

			status, h, _ = postForm(t, c, w.srv.URL+"/oauth2/default/v1/logout", form, "Origin", w.srv.URL)
			if status != http.StatusSeeOther || h.Get("Location") != rpBye+"?state=bye+1" {
				t.Fatalf("confirm: %d to %q", status, h.Get("Location"))
			}
			if !strings.Contains(h.Get("Content-Security-Policy"), "form-action 'self' https://rp.example.test") {
				t.Errorf("the redirect after the POST is not a form target: %q", h.Get("Content-Security-Policy"))
			}
			if !strings.Contains(strings.Join(h.Values("Set-Cookie"), "\n"), "Max-Age=0") {
				t.Errorf("session cookie not cleared: %q", h.Values("Set-Cookie"))
			}
			if w.promptNone(t, c) {
				t.Fatal("prompt=none got a code after logout")
			}
			evs := w.signouts(t)
			if len(evs) != 1 {
				t.Fatalf("%d signout events, want 1", len(evs))
			}
			ev := evs[0]
			if ev.Actor != (events.Ref{Type: "user", ID: w.userID}) || ev.Subject != w.userID ||
				ev.Target != (events.Ref{Type: "app", ID: w.app.ID}) || ev.Outcome != events.Success || len(ev.Personal) != 0 {
				t.Errorf("event %+v", ev)
			}
			if sid, _ := ev.Details["session_id"].(string); !strings.HasPrefix(sid, "ses_") || sid != sidOf(t, idToken) {
				t.Errorf("event details %v, ID token's sid %q", ev.Details, sidOf(t, idToken))
			}
			if n, _ := ev.Details["grants_revoked"].(float64); n < 1 {
				t.Errorf("event details %v", ev.Details)
			}
			if n := w.liveGrants(t); n != 0 {
				t.Errorf("%d grants of the session live on", n)
			}
			details, _ := json.Marshal(ev.Details)
			if strings.Contains(string(details), alice) {
				t.Errorf("personal data in details: %s", details)
			}

			// Another logout: nothing to end, straight back to the client.
			status, h, _ = get(t, c, logout)
			if status != http.StatusSeeOther || h.Get("Location") != rpBye+"?state=bye+1" {
				t.Fatalf("logout without a session: %d to %q", status, h.Get("Location"))
			}
		})
	}
}

// TestLogoutRefusalsAreNeverRedirected sends invalid logout requests,
// by GET and as confirmations: each gets a branded error page, no
// redirect, and the session lives on.
func TestLogoutRefusalsAreNeverRedirected(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	c, idToken := w.signedIn(t)
	parts := strings.Split(idToken, ".")
	tampered := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
	cases := []struct {
		name   string
		params []string
	}{
		{"unregistered post-logout URI", []string{"client_id", w.app.ID, "post_logout_redirect_uri", "https://evil.example/bye", "state", "s"}},
		{"sign-in redirect URI", []string{"client_id", w.app.ID, "post_logout_redirect_uri", rpCallback}},
		{"URI without a client", []string{"post_logout_redirect_uri", rpBye}},
		{"tampered hint", []string{"id_token_hint", tampered, "post_logout_redirect_uri", rpBye}},
		{"unknown client", []string{"client_id", "app_unknown", "post_logout_redirect_uri", rpBye}},
		{"client not in the hint's aud", []string{"id_token_hint", idToken, "client_id", "app_other"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check := func(what string, status int, h http.Header, body string) {
				t.Helper()
				if status != http.StatusBadRequest || h.Get("Location") != "" {
					t.Fatalf("%s: %d with Location %q", what, status, h.Get("Location"))
				}
				if !strings.Contains(body, `<html lang="en" dir="ltr">`) || strings.Contains(body, "evil.example") || strings.Contains(body, `name="confirm"`) {
					t.Fatalf("%s: not a branded error page:\n%s", what, body)
				}
				if strings.Contains(h.Get("Content-Security-Policy"), "evil.example") {
					t.Fatalf("%s: CSP allows the refused target: %q", what, h.Get("Content-Security-Policy"))
				}
			}
			status, h, body := get(t, c, w.logoutURL(tc.params...))
			check("GET", status, h, body)

			// A confirmation forged with the same fields is refused too.
			_, _, page := get(t, c, w.logoutURL())
			form := formFields(page)
			form.Set("confirm", "1")
			for i := 0; i+1 < len(tc.params); i += 2 {
				form.Set(tc.params[i], tc.params[i+1])
			}
			status, h, body = postForm(t, c, w.srv.URL+"/oauth2/default/v1/logout", form, "Origin", w.srv.URL)
			check("POST", status, h, body)
			if !w.promptNone(t, c) {
				t.Fatal("a refused logout ended the session")
			}
		})
	}
}

// TestLogoutWithoutSessionSkipsConfirmation checks that a browser with no
// session, or one that has ended, goes straight on.
func TestLogoutWithoutSessionSkipsConfirmation(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	c := w.browser(t)
	status, h, _ := get(t, c, w.logoutURL("client_id", w.app.ID, "post_logout_redirect_uri", rpBye, "state", "st"))
	if status != http.StatusSeeOther || h.Get("Location") != rpBye+"?state=st" {
		t.Fatalf("with a URI: %d to %q", status, h.Get("Location"))
	}
	status, _, body := get(t, c, w.logoutURL("ui_locales", "ar"))
	if status != http.StatusOK || !strings.Contains(body, `<html lang="ar" dir="rtl">`) || strings.Contains(body, "<form") {
		t.Fatalf("without a URI: %d\n%s", status, body)
	}
	// A cookie that stands for no session counts as none, and is cleared.
	name := session.CookieName(w.acme.ID, true)
	base, _ := url.Parse(w.srv.URL)
	c.Jar.SetCookies(base, []*http.Cookie{{Name: name, Value: session.CookiePrefix + "unknown", Path: "/", Secure: true}})
	status, h, _ = get(t, c, w.logoutURL("client_id", w.app.ID, "post_logout_redirect_uri", rpBye))
	if status != http.StatusSeeOther || h.Get("Location") != rpBye {
		t.Fatalf("with a dead cookie: %d to %q", status, h.Get("Location"))
	}
	if set := strings.Join(h.Values("Set-Cookie"), "\n"); !strings.Contains(set, name+"=;") || !strings.Contains(set, "Max-Age=0") {
		t.Errorf("dead cookie not cleared: %q", set)
	}
	if n := len(w.signouts(t)); n != 0 {
		t.Fatalf("%d signout events without a session", n)
	}
}

// TestLogoutPostedByTheClient covers logout requests POSTed rather than
// sent by GET (RP-Initiated Logout §2): a cross-site POST, as a client's
// form makes it, gets the confirmation page and ends nothing; a forged
// cross-site confirmation is refused by the CSRF protection; a same-site
// POST without the confirmation marker only shows the confirmation page.
func TestLogoutPostedByTheClient(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	c, idToken := w.signedIn(t)
	endpoint := w.srv.URL + "/oauth2/default/v1/logout"
	request := url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {rpBye}, "state": {"p"}}

	status, h, body := postForm(t, c, endpoint, request, "Origin", "https://rp.example.test", "Sec-Fetch-Site", "cross-site")
	if status != http.StatusOK || h.Get("Location") != "" || !strings.Contains(body, `name="confirm"`) || !w.promptNone(t, c) {
		t.Fatalf("cross-site POST: %d to %q", status, h.Get("Location"))
	}
	forged := formFields(body)
	status, h, _ = postForm(t, c, endpoint, forged, "Origin", "https://rp.example.test", "Sec-Fetch-Site", "cross-site")
	if status != http.StatusForbidden || h.Get("Location") != "" || !w.promptNone(t, c) {
		t.Fatalf("cross-site confirmation: %d to %q", status, h.Get("Location"))
	}

	_, _, page := get(t, c, w.logoutURL())
	form := formFields(page) // the CSRF token of this browser
	for k, v := range request {
		form[k] = v
	}
	form.Del("confirm")
	status, _, body = postForm(t, c, endpoint, form, "Origin", w.srv.URL)
	if status != http.StatusOK || !strings.Contains(body, `name="confirm"`) || !w.promptNone(t, c) {
		t.Fatalf("POST without the marker: %d\n%s", status, body)
	}
	confirm := formFields(body)
	if confirm.Get("id_token_hint") != idToken || confirm.Get("state") != "p" {
		t.Fatalf("confirmation carries %v", confirm)
	}
	status, h, _ = postForm(t, c, endpoint, confirm, "Origin", w.srv.URL)
	if status != http.StatusSeeOther || h.Get("Location") != rpBye+"?state=p" || w.promptNone(t, c) {
		t.Fatalf("confirm: %d to %q", status, h.Get("Location"))
	}
}
