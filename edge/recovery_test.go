package edge

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/mail/mailtest"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// Fixtures of the recovery tests.
const (
	// recoveredPass is a new password the default password policy accepts.
	recoveredPass = "a tidy new passphrase 7"
	// petQuestion and petAnswer are alice's security question and answer,
	// when a test enrolls them.
	petQuestion = "First pet's name?"
	petAnswer   = "Captain Whiskers"
)

// TestRecoveryOverTLS recovers alice's account through the hosted pages
// over TLS, as a browser without JavaScript: "Forgot your password?", the
// recovery email delivered through the outbox to a real SMTP server, the
// code or the link, the security answer when the policy asks for it, and
// a new password checked by the password policy. Every recovery ends in
// tokens from the token endpoint and must sign out everything that was
// signed in before; one the policy refuses changes nothing.
func TestRecoveryOverTLS(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range []struct {
				name string
				fn   func(t *testing.T, w *siteWorld)
			}{
				{"recovers by email alone and signs out everywhere", testRecoveryByEmail},
				{"asks the enrolled security answer before the new password", testRecoveryWithAnswer},
				{"refuses a required factor the person lacks and changes nothing", testRecoveryNeedsFactor},
				{"takes a link opened in another browser once the first approves", testRecoveryLinkElsewhere},
				{"takes a link opened in the same browser", testRecoveryLinkSameBrowser},
			} {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, newSiteWorld(t, b, clock.System())) })
			}
		})
	}
}

func testRecoveryByEmail(t *testing.T, w *siteWorld) {
	rp := w.relyingParty(t)
	a := w.browser(t)
	// Before: alice is signed in in this browser, and an app holds her
	// refresh token.
	offline, before := w.offlineTokens(t, rp, a)
	oldCookie := sessionCookieIn(t, a, w.srv.URL)
	if oldCookie == "" {
		t.Fatal("no session cookie after signing in")
	}
	if loc := w.authorizeOnly(t, a, rp.cfg); !strings.HasPrefix(loc, rpCallback) {
		t.Fatalf("the session does not sign in before recovery: %q", loc)
	}

	verifier, page := w.toRecovery(t, a, rp.cfg, engine.ActionSignIn, "prompt", "login")
	code, _, m := w.recoveryMail(t)
	if !strings.Contains(m.Subject, "Recover your account") || strings.Contains(m.Subject, code) {
		t.Fatalf("recovery mail subject %q", m.Subject)
	}
	body := w.submit(t, a, page, engine.ActionEnterCode)
	if !strings.Contains(body, `name="code"`) || !strings.Contains(body, `autocomplete="one-time-code"`) {
		t.Fatalf("code page:\n%s", body)
	}
	body = w.submit(t, a, page, engine.ActionVerify, "code", code)
	wantNewPasswordPage(t, body)

	// The password policy speaks before anything changes.
	for _, tc := range []struct{ pw, says string }{
		{"short", "Use at least 8 characters."},
		{"password123", "This password is too common."},
	} {
		body = w.submit(t, a, page, engine.ActionSetPassword, "new_password", tc.pw)
		if !strings.Contains(body, `data-step="enroll-password"`) || !strings.Contains(body, tc.says) ||
			!strings.Contains(body, `aria-invalid="true"`) || strings.Contains(body, tc.pw) {
			t.Fatalf("new password %q: page does not say %q:\n%s", tc.pw, tc.says, body)
		}
	}
	if !w.passwordSignsIn(t, alicePass) {
		t.Fatal("a refused new password changed the password")
	}
	loc := w.post(t, a, page, engine.ActionSetPassword, "new_password", recoveredPass)
	rp.tokens(t, loc, verifier)

	// Every session from before recovery ended: the old cookie, on its
	// own, leads to identify again.
	newCookie := sessionCookieIn(t, a, w.srv.URL)
	if newCookie == "" || newCookie == oldCookie {
		t.Fatalf("session cookie after recovery: new %t, changed %t", newCookie != "", newCookie != oldCookie)
	}
	stale := w.browser(t)
	status, h, _ := get(t, stale, rp.cfg.AuthCodeURL("st-stale", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())),
		"Cookie", session.CookieName(w.acme.ID, true)+"="+oldCookie)
	if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin/") {
		t.Fatalf("authorize with the session from before recovery: %d %q", status, h.Get("Location"))
	}
	if _, _, body := get(t, stale, w.srv.URL+h.Get("Location")); !strings.Contains(body, `data-step="identify"`) {
		t.Fatalf("the session from before recovery did not lead to identify:\n%s", body)
	}
	// The one recovery made signs in.
	verifier = oauth2.GenerateVerifier()
	status, h, _ = get(t, a, rp.cfg.AuthCodeURL("st-after", oauth2.S256ChallengeOption(verifier)))
	if status != http.StatusSeeOther {
		t.Fatalf("authorize with the new session: %d", status)
	}
	rp.tokens(t, h.Get("Location"), verifier)

	// Every grant from before recovery ended.
	before.Expiry = time.Now().Add(-time.Minute)
	if _, err := offline.TokenSource(rp.ctx, before).Token(); err == nil {
		t.Fatal("a refresh token from before recovery still refreshes")
	}
	provider, err := gooidc.NewProvider(rp.ctx, w.srv.URL+"/oauth2/default")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(before)); err == nil {
		t.Fatal("an access token from before recovery still reads userinfo")
	}

	// The new password signs in, the old one does not.
	if !w.passwordSignsIn(t, recoveredPass) || w.passwordSignsIn(t, alicePass) {
		t.Fatal("after recovery the new password must sign in and the old one must not")
	}
	n := w.recoveredNotice(t)
	if !strings.Contains(n.Text, "signed out everywhere") {
		t.Fatalf("recovered notice:\n%s", n.Text)
	}
	w.wantEvents(t, "user.recovered", 1)
}

func testRecoveryWithAnswer(t *testing.T, w *siteWorld) {
	w.setRecoveryPolicy(t, policy.RecoveryFactorIfEnrolled)
	w.enrollAnswer(t, petQuestion, petAnswer)
	rp := w.relyingParty(t)
	a := w.browser(t)
	verifier, page := w.toRecovery(t, a, rp.cfg, "")
	code, _, _ := w.recoveryMail(t)
	w.post(t, a, page, engine.ActionEnterCode)
	body := w.submit(t, a, page, engine.ActionVerify, "code", code)
	if !strings.Contains(body, `data-step="challenge-security-answer"`) || !strings.Contains(body, `<h1 class="lt-title" part="title">Answer your security question</h1>`) ||
		!strings.Contains(body, html.EscapeString("Security question: "+petQuestion)) ||
		!strings.Contains(body, `name="answer"`) || !strings.Contains(body, `autocomplete="off"`) {
		t.Fatalf("security answer page:\n%s", body)
	}
	// The answer cannot be skipped.
	form := formFields(body)
	form.Set("action", engine.ActionSetPassword)
	form.Set("new_password", recoveredPass)
	if status, _, body := postForm(t, a, page, form, "Origin", w.srv.URL); status != http.StatusBadRequest {
		t.Fatalf("a new password before the answer: %d\n%s", status, body)
	}
	// A wrong answer is refused and never shown back.
	body = w.submit(t, a, page, engine.ActionVerify, "answer", "Rex the dog")
	if !strings.Contains(body, `data-step="challenge-security-answer"`) || !strings.Contains(body, "That answer is not right.") ||
		!strings.Contains(body, `aria-invalid="true"`) || strings.Contains(body, "Rex the dog") {
		t.Fatalf("a wrong answer:\n%s", body)
	}
	// Case and spacing do not matter.
	body = w.submit(t, a, page, engine.ActionVerify, "answer", "  captain   WHISKERS ")
	wantNewPasswordPage(t, body)
	loc := w.post(t, a, page, engine.ActionSetPassword, "new_password", recoveredPass)
	rp.tokens(t, loc, verifier)
	if !w.passwordSignsIn(t, recoveredPass) {
		t.Fatal("the new password does not sign in")
	}
	w.recoveredNotice(t)
	w.wantEvents(t, "user.recovered", 1)
}

// TestRecoveryShortAnswer types an answer shorter than any answer can be
// (factor.MinAnswerLen characters once normalized): it must be refused as
// a wrong answer is, not fail the page. (factor.VerifyAnswer returns an
// *invalid.Error for it, which the engine's verifyAnswer passes on as an
// internal error: the person gets "Something went wrong", a 500.)
func TestRecoveryShortAnswer(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	w.enrollAnswer(t, petQuestion, petAnswer)
	rp := w.relyingParty(t)
	a := w.browser(t)
	_, page := w.toRecovery(t, a, rp.cfg, "")
	code, _, _ := w.recoveryMail(t)
	w.post(t, a, page, engine.ActionEnterCode)
	w.post(t, a, page, engine.ActionVerify, "code", code)
	_, _, body := get(t, a, page)
	form := formFields(body)
	form.Set("action", engine.ActionVerify)
	form.Set("answer", "no")
	status, h, body := postForm(t, a, page, form, "Origin", w.srv.URL)
	if status != http.StatusSeeOther {
		t.Fatalf("a two-letter answer: %d, want a redirect back to the page\n%s", status, body)
	}
	if _, _, body := get(t, a, w.srv.URL+h.Get("Location")); !strings.Contains(body, "That answer is not right.") {
		t.Fatalf("a two-letter answer:\n%s", body)
	}
}

func testRecoveryNeedsFactor(t *testing.T, w *siteWorld) {
	w.setRecoveryPolicy(t, policy.RecoveryFactorRequired)
	rp := w.relyingParty(t)
	other := w.browser(t)
	offline, before := w.offlineTokens(t, rp, other)
	a := w.browser(t)
	_, page := w.toRecovery(t, a, rp.cfg, "")
	code, _, _ := w.recoveryMail(t)
	form := formFields(w.submit(t, a, page, engine.ActionEnterCode))
	body := w.submit(t, a, page, engine.ActionVerify, "code", code)
	if !strings.Contains(body, `data-step="error"`) || strings.Contains(body, "<form") ||
		!strings.Contains(body, html.EscapeString("To recover this account you need another way to confirm it's you, and none is set up.")) {
		t.Fatalf("recovery without the required factor:\n%s", body)
	}
	// The flow is over: the form of an earlier step sets no password.
	form.Set("action", engine.ActionSetPassword)
	form.Set("new_password", recoveredPass)
	if status, _, body := postForm(t, a, page, form, "Origin", w.srv.URL); status != http.StatusGone {
		t.Fatalf("a new password after the refusal: %d\n%s", status, body)
	}
	// Nothing changed: the password, the other browser's session, the
	// app's refresh token; no notice went out.
	if !w.passwordSignsIn(t, alicePass) {
		t.Fatal("the password changed")
	}
	if loc := w.authorizeOnly(t, other, rp.cfg); !strings.HasPrefix(loc, rpCallback) {
		t.Fatalf("the session from before ended: %q", loc)
	}
	before.Expiry = time.Now().Add(-time.Minute)
	if _, err := offline.TokenSource(rp.ctx, before).Token(); err != nil {
		t.Fatalf("the refresh token from before ended: %v", err)
	}
	for _, m := range w.delivered(t) {
		if strings.Contains(m.Subject, "recovered") {
			t.Fatalf("a recovered notice went out: %q", m.Subject)
		}
	}
	w.wantEvents(t, "user.recovered", 0)
	w.wantEvents(t, "user.recovery", 1)
}

func testRecoveryLinkElsewhere(t *testing.T, w *siteWorld) {
	rp := w.relyingParty(t)
	a, other := w.browser(t), w.browser(t)
	verifier, page := w.toRecovery(t, a, rp.cfg, engine.ActionSignIn)
	_, link, _ := w.recoveryMail(t)
	// Showing the link (as mail scanners do) uses nothing.
	for range 2 {
		if status, _, body := get(t, other, link); status != http.StatusOK || !strings.Contains(body, `data-step="confirm-link"`) {
			t.Fatalf("link page: %d\n%s", status, body)
		}
	}
	_, _, body := get(t, other, link)
	status, _, body := postForm(t, other, link, formFields(body), "Origin", w.srv.URL)
	if status != http.StatusOK || !strings.Contains(body, "Return to the browser where you started") {
		t.Fatalf("confirming elsewhere: %d\n%s", status, body)
	}
	if sessionCookieIn(t, other, w.srv.URL) != "" {
		t.Fatal("the other browser got a session cookie")
	}
	// The first browser's page, reloading, asks to approve.
	_, _, body = get(t, a, page)
	if !strings.Contains(body, `value="approve"`) || !strings.Contains(body, `value="cancel"`) || strings.Contains(body, `name="new_password"`) {
		t.Fatalf("approval page:\n%s", body)
	}
	body = w.submit(t, a, page, engine.ActionApprove)
	wantNewPasswordPage(t, body)
	loc := w.post(t, a, page, engine.ActionSetPassword, "new_password", recoveredPass)
	rp.tokens(t, loc, verifier)
	if status, _, _ := get(t, other, link); status != http.StatusNotFound {
		t.Fatalf("spent link: %d", status)
	}
	if sessionCookieIn(t, other, w.srv.URL) != "" {
		t.Fatal("the other browser got a session cookie")
	}
	w.recoveredNotice(t)
}

func testRecoveryLinkSameBrowser(t *testing.T, w *siteWorld) {
	rp := w.relyingParty(t)
	a := w.browser(t)
	verifier, page := w.toRecovery(t, a, rp.cfg, "")
	_, link, _ := w.recoveryMail(t)
	_, _, body := get(t, a, link)
	status, h, _ := postForm(t, a, link, formFields(body), "Origin", w.srv.URL)
	// The link proves the address; the new password is still to come.
	if status != http.StatusSeeOther || w.srv.URL+h.Get("Location") != page {
		t.Fatalf("confirming in the same browser: %d %q, want the flow's page", status, h.Get("Location"))
	}
	_, _, body = get(t, a, page)
	wantNewPasswordPage(t, body)
	loc := w.post(t, a, page, engine.ActionSetPassword, "new_password", recoveredPass)
	rp.tokens(t, loc, verifier)
	w.recoveredNotice(t)
}

// TestRecoveryEnumerationResistance walks a recovery for an existing
// account and for a login without one, through the hosted pages and the
// flow API: identify, "Forgot your password?" at the password step, send,
// enter a code, a wrong code, resend once the cooldown has passed. Every
// answer must be the same once what differs between any two walks is
// replaced (sameShape), and only the existing account gets mail.
func TestRecoveryEnumerationResistance(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			clk := clock.NewFake(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
			w := newSiteWorld(t, b, clk)
			for _, api := range []struct {
				name string
				walk func(t *testing.T, w *siteWorld, clk *clock.Fake, login string) []string
			}{{"hosted pages", walkRecoveryPages}, {"flow API", walkRecoveryAPI}} {
				t.Run(api.name, func(t *testing.T) {
					mailed := len(w.delivered(t))
					known := api.walk(t, w, clk, alice)
					if got := len(w.delivered(t)) - mailed; got != 2 {
						t.Fatalf("%d mail(s) for the account's recovery, want 2 (send and resend)", got)
					}
					unknown := api.walk(t, w, clk, unknownLogin)
					if got := len(w.delivered(t)) - mailed; got != 2 {
						t.Fatalf("%d mail(s) for an unknown login", got-2)
					}
					if !strings.Contains(strings.Join(known, "\n"), "challenge-email") {
						t.Fatalf("the walk never reached the code step:\n%s", strings.Join(known, "\n"))
					}
					if len(known) != len(unknown) {
						t.Fatalf("%d answers for the account, %d for the unknown login", len(known), len(unknown))
					}
					for i := range known {
						if known[i] != unknown[i] {
							t.Fatalf("answer %d differs:\n--- existing account\n%s\n--- unknown login\n%s", i, known[i], unknown[i])
						}
					}
				})
			}
		})
	}
}

// wrongCode returns a code that is not the one last mailed. It is not
// shown back on any page, so which one it is changes no answer.
func (w *siteWorld) wrongCode(t *testing.T) string {
	t.Helper()
	if ms := w.delivered(t); len(ms) > 0 {
		if c := mailCode.FindStringSubmatch(ms[len(ms)-1].Text); c != nil && c[1]+c[2] == "000000" {
			return "111111"
		}
	}
	return "000000"
}

// walkRecoveryPages asks to recover login through the hosted pages and
// returns every answer: each POST's, and the page it leads to.
func walkRecoveryPages(t *testing.T, w *siteWorld, clk *clock.Fake, login string) []string {
	t.Helper()
	c := w.browser(t)
	_, challenge := pkce("enum")
	status, h, _ := get(t, c, w.authorizeURL(challenge))
	if status != http.StatusSeeOther {
		t.Fatalf("authorize: %d", status)
	}
	page := w.srv.URL + h.Get("Location")
	var out []string
	step := func(action string, kv ...string) {
		t.Helper()
		_, _, body := get(t, c, page)
		form := formFields(body)
		form.Set("action", action)
		for i := 0; i+1 < len(kv); i += 2 {
			form.Set(kv[i], kv[i+1])
		}
		status, h, body := postForm(t, c, page, form, "Origin", w.srv.URL)
		out = append(out, answer(status, h, body, login))
		status, h, body = get(t, c, page)
		out = append(out, answer(status, h, body, login))
	}
	step(engine.ActionNext, "login", login)
	step(engine.ActionRecover)
	step(engine.ActionSend, "login", login)
	step(engine.ActionEnterCode)
	step(engine.ActionVerify, "code", w.wrongCode(t))
	clk.Advance(time.Minute)
	step(engine.ActionResend)
	return out
}

var expiresAt = regexp.MustCompile(`"expires_at":"[^"]*"`)

// walkRecoveryAPI is walkRecoveryPages through the flow API.
func walkRecoveryAPI(t *testing.T, w *siteWorld, clk *clock.Fake, login string) []string {
	t.Helper()
	c := w.browser(t)
	_, challenge := pkce("enum")
	start := wire.StartRequest{ClientID: w.app.ID, RedirectURI: rpCallback, Scope: "openid", State: "s", CodeChallenge: challenge, CodeChallengeMethod: "S256"}
	status, h, body := jsonRequest(t, c, http.MethodPost, w.srv.URL+"/api/v1/flows", "", start.AppendJSON(nil))
	if status != http.StatusCreated {
		t.Fatalf("start: %d %s", status, body)
	}
	id, secret := flowIDs.FindString(body), h.Get(FlowSecretHeader)
	var out []string
	step := func(action string, kv ...string) {
		t.Helper()
		req := wire.ContinueRequest{Action: action}
		for i := 0; i+1 < len(kv); i += 2 {
			req.Values = append(req.Values, wire.Param{Name: kv[i], Value: kv[i+1]})
		}
		status, h, body := jsonRequest(t, c, http.MethodPost, w.srv.URL+"/api/v1/flows/"+id, secret, req.AppendJSON(nil))
		// The walks start a minute apart (the resend waits a minute).
		body = expiresAt.ReplaceAllString(body, `"expires_at":"X"`)
		out = append(out, answer(status, h, body, login))
	}
	step(engine.ActionNext, "login", login)
	step(engine.ActionRecover)
	step(engine.ActionSend, "login", login)
	step(engine.ActionEnterCode)
	step(engine.ActionVerify, "code", w.wrongCode(t))
	clk.Advance(time.Minute)
	step(engine.ActionResend)
	return out
}

// wantNewPasswordPage checks the page asks for a new password.
func wantNewPasswordPage(t *testing.T, body string) {
	t.Helper()
	if !strings.Contains(body, `data-step="enroll-password"`) || !strings.Contains(body, `name="new_password"`) || !strings.Contains(body, `type="password"`) ||
		!strings.Contains(body, `autocomplete="new-password"`) || !strings.Contains(body, "Every browser and app signed in to your account will be signed out.") {
		t.Fatalf("new password page:\n%s", body)
	}
}

// toRecovery starts a sign-in with cfg in c and asks to recover alice's
// account: from identify, or, when from is engine.ActionSignIn, from the
// password step after typing the login. It checks the recover page and
// the page after sending, and returns the PKCE verifier and the URL of
// the hosted page, now at the poll step.
func (w *siteWorld) toRecovery(t *testing.T, c *http.Client, cfg oauth2.Config, from string, param ...string) (string, string) {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	for i := 0; i+1 < len(param); i += 2 {
		opts = append(opts, oauth2.SetAuthURLParam(param[i], param[i+1]))
	}
	status, h, _ := get(t, c, cfg.AuthCodeURL("st-recover", opts...))
	if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin/") {
		t.Fatalf("authorize: %d %q", status, h.Get("Location"))
	}
	page := w.srv.URL + h.Get("Location")
	prefill := ""
	if from == engine.ActionSignIn {
		body := w.submit(t, c, page, engine.ActionNext, "login", alice)
		if !strings.Contains(body, `name="password"`) || !strings.Contains(body, `value="recover"`) {
			t.Fatalf("the password step does not offer recovery:\n%s", body)
		}
		prefill = alice
	} else if _, _, body := get(t, c, page); !strings.Contains(body, `value="recover"`) || !strings.Contains(body, "Forgot your password?") {
		t.Fatalf("identify does not offer recovery:\n%s", body)
	}
	body := w.submit(t, c, page, engine.ActionRecover)
	if !strings.Contains(body, `data-step="recover"`) || !strings.Contains(body, `<h1 class="lt-title" part="title">Recover your account</h1>`) ||
		!strings.Contains(body, `value="send"`) || !strings.Contains(body, `name="login"`) ||
		!strings.Contains(body, `value="`+prefill+`"`) || !strings.Contains(body, "send a code and a link to reset your password") {
		t.Fatalf("recover page:\n%s", body)
	}
	body = w.submit(t, c, page, engine.ActionSend, "login", alice)
	if !strings.Contains(body, `data-step="poll"`) || !strings.Contains(body, "emailed it a recovery code and link") ||
		!strings.Contains(body, `value="enter-code"`) {
		t.Fatalf("poll page after sending:\n%s", body)
	}
	return verifier, page
}

// recoveryMail delivers the outbox and returns the newest email's code
// and link, and the email, checking it is a recovery email to alice.
func (w *siteWorld) recoveryMail(t *testing.T) (string, string, mailtest.Message) {
	t.Helper()
	code, link := w.lastMail(t)
	ms := w.sink.Messages()
	m := ms[len(ms)-1]
	if !strings.Contains(m.Subject, "Recover your account") || !strings.Contains(m.Text, "reset your password") {
		t.Fatalf("not a recovery email: %q\n%s", m.Subject, m.Text)
	}
	return code, link, m
}

// recoveredNotice delivers the outbox and returns the notice that a
// recovery completed, checking it went to alice and carries neither a
// link nor the new password.
func (w *siteWorld) recoveredNotice(t *testing.T) mailtest.Message {
	t.Helper()
	var found []mailtest.Message
	for _, m := range w.delivered(t) {
		if strings.Contains(m.Subject, "was recovered") {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d recovered notices, want 1", len(found))
	}
	m := found[0]
	if len(m.To) != 1 || m.To[0] != alice || strings.Contains(m.Text, recoveredPass) || strings.Contains(m.HTML, recoveredPass) ||
		strings.Contains(m.Text, "https://") {
		t.Fatalf("recovered notice to %v: %q\n%s", m.To, m.Subject, m.Text)
	}
	return m
}

// offlineConfig is the relying party's configuration asking for a refresh
// token as well.
func offlineConfig(rp *rpClient) oauth2.Config {
	cfg := rp.cfg
	cfg.Scopes = append(slices.Clone(cfg.Scopes), gooidc.ScopeOfflineAccess)
	return cfg
}

// offlineTokens signs alice in with her password in c and returns the
// configuration used and its tokens, with a refresh token.
func (w *siteWorld) offlineTokens(t *testing.T, rp *rpClient, c *http.Client) (oauth2.Config, *oauth2.Token) {
	t.Helper()
	cfg := offlineConfig(rp)
	v := oauth2.GenerateVerifier()
	final, _ := w.signIn(t, c, cfg.AuthCodeURL("st-before", oauth2.S256ChallengeOption(v)), alice, alicePass)
	u, err := url.Parse(final)
	if err != nil || !strings.HasPrefix(final, rpCallback) {
		t.Fatalf("sign-in ended at %q", final)
	}
	tok, err := cfg.Exchange(rp.ctx, u.Query().Get("code"), oauth2.VerifierOption(v))
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("exchange: refresh token %t (%v)", err == nil && tok.RefreshToken != "", err)
	}
	return cfg, tok
}

// authorizeOnly starts an authorization with cfg in c and returns where
// it leads: the client's callback when a session signs in at once.
func (w *siteWorld) authorizeOnly(t *testing.T, c *http.Client, cfg oauth2.Config) string {
	t.Helper()
	status, h, _ := get(t, c, cfg.AuthCodeURL("st-sso", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if status != http.StatusSeeOther {
		t.Fatalf("authorize: %d", status)
	}
	return h.Get("Location")
}

// passwordSignsIn reports whether pw signs alice in, in a browser of its
// own.
func (w *siteWorld) passwordSignsIn(t *testing.T, pw string) bool {
	t.Helper()
	c := w.browser(t)
	_, challenge := pkce("pw")
	_, h, _ := get(t, c, w.authorizeURL(challenge))
	page := w.srv.URL + h.Get("Location")
	w.post(t, c, page, engine.ActionNext, "login", alice)
	return strings.HasPrefix(w.post(t, c, page, engine.ActionSignIn, "password", pw), rpCallback)
}

// setRecoveryPolicy sets the tenant's recovery policy: the default one
// with factor as its Factor.
func (w *siteWorld) setRecoveryPolicy(t *testing.T, factor string) {
	t.Helper()
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		p := policy.DefaultRecovery()
		p.Factor = factor
		_, err := w.policies.SetRecovery(ctx, tx, w.acme.ID, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// enrollAnswer gives alice a security question and its answer.
func (w *siteWorld) enrollAnswer(t *testing.T, question, answer string) {
	t.Helper()
	w.enrollAnswerFor(t, w.userID, question, answer)
}

func (w *siteWorld) enrollAnswerFor(t *testing.T, userID, question, answer string) {
	t.Helper()
	hash, err := w.passwords.HashAnswer(context.Background(), answer)
	if err != nil {
		t.Fatal(err)
	}
	err = w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := w.dir.AddCredential(ctx, tx, w.acme.ID, userID, directory.CredentialInput{
			Type: directory.CredentialSecurityAnswer, Secret: hash, Verified: true, Label: question,
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// wantEvents checks the system log holds n events of type typ.
func (w *siteWorld) wantEvents(t *testing.T, typ string, n int) {
	t.Helper()
	evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.acme.ID, Types: []string{typ}})
	if err != nil || len(evs) != n {
		t.Fatalf("%d %s event(s) (%v), want %d", len(evs), typ, err, n)
	}
}
