package edge

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestPasswordlessOverTLS signs in by email through the hosted pages over
// TLS, as browsers without JavaScript: by the emailed code, by the link
// opened in a second browser and approved in the first, and by the link
// opened in the same browser. Mail goes through the outbox to a real SMTP
// server on loopback; every sign-in ends in tokens from the token
// endpoint, whose ID token says the email factor was used.
func TestPasswordlessOverTLS(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newSiteWorld(t, b, clock.System())
			rp := w.relyingParty(t)

			t.Run("code", func(t *testing.T) {
				a := w.browser(t)
				verifier, page := w.toPoll(t, a, rp)
				code, _ := w.lastMail(t)
				body := w.submit(t, a, page, engine.ActionEnterCode)
				if !strings.Contains(body, `name="code"`) || !strings.Contains(body, `autocomplete="one-time-code"`) || !strings.Contains(body, `inputmode="numeric"`) {
					t.Fatalf("code page:\n%s", body)
				}
				loc := w.post(t, a, page, engine.ActionVerify, "code", code)
				rp.tokens(t, loc, verifier)
			})

			t.Run("link in another browser, approved in the first", func(t *testing.T) {
				a, other := w.browser(t), w.browser(t)
				verifier, page := w.toPoll(t, a, rp)
				_, link := w.lastMail(t)
				// Showing the link (as mail scanners do) uses nothing.
				for range 2 {
					status, _, body := get(t, other, link)
					if status != http.StatusOK || !strings.Contains(body, "Continue signing in to Acme Portal") {
						t.Fatalf("link page: %d\n%s", status, body)
					}
				}
				_, _, body := get(t, other, link)
				status, _, body := postForm(t, other, link, formFields(body), "Origin", w.srv.URL)
				if status != http.StatusOK || !strings.Contains(body, "Return to the browser where you started") {
					t.Fatalf("confirming elsewhere: %d\n%s", status, body)
				}
				if c := sessionCookieIn(t, other, w.srv.URL); c != "" {
					t.Fatalf("the other browser got a session cookie")
				}
				// The first browser's page, reloading, finds the approval.
				_, _, body = get(t, a, page)
				if !strings.Contains(body, `value="approve"`) || strings.Contains(body, `http-equiv="refresh"`) || strings.Contains(body, "poll.js") {
					t.Fatalf("approval page:\n%s", body)
				}
				loc := w.post(t, a, page, engine.ActionApprove)
				rp.tokens(t, loc, verifier)
				// The link is spent.
				if status, _, _ := get(t, other, link); status != http.StatusNotFound {
					t.Fatalf("spent link: %d", status)
				}
			})

			t.Run("link in the same browser", func(t *testing.T) {
				a := w.browser(t)
				verifier, page := w.toPoll(t, a, rp)
				_, link := w.lastMail(t)
				_, _, body := get(t, a, link)
				status, h, _ := postForm(t, a, link, formFields(body), "Origin", w.srv.URL)
				if status != http.StatusSeeOther {
					t.Fatalf("confirming in the same browser: %d", status)
				}
				rp.tokens(t, h.Get("Location"), verifier)
				// The first tab, polling, learns the sign-in went on
				// elsewhere; it never redirects with the code again.
				status, _, body = get(t, a, page)
				if status != http.StatusOK || !strings.Contains(body, "another tab") || strings.Contains(body, "code=") {
					t.Fatalf("first tab after the link: %d\n%s", status, body)
				}
			})
		})
	}
}

// rpClient is the relying party of the passwordless tests.
type rpClient struct {
	cfg      oauth2.Config
	ctx      context.Context
	verifier *gooidc.IDTokenVerifier
	userID   string
}

func (w *siteWorld) relyingParty(t *testing.T) *rpClient {
	t.Helper()
	ctx := gooidc.ClientContext(context.Background(), w.srv.Client())
	provider, err := gooidc.NewProvider(ctx, w.srv.URL+"/oauth2/default")
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return &rpClient{
		cfg:      oauth2.Config{ClientID: w.app.ID, ClientSecret: w.secret, Endpoint: provider.Endpoint(), RedirectURL: rpCallback, Scopes: []string{gooidc.ScopeOpenID, "email"}},
		ctx:      ctx,
		verifier: provider.Verifier(&gooidc.Config{ClientID: w.app.ID}),
		userID:   w.userID,
	}
}

// tokens exchanges the code in the client's callback URL and checks the
// ID token: the right person, signed in by email (amr otp).
func (rp *rpClient) tokens(t *testing.T, callback, verifier string) {
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
	if err := idt.Claims(&claims); err != nil || idt.Subject != rp.userID || !slices.Contains(claims.AMR, "otp") {
		t.Fatalf("ID token sub %q amr %v (%v)", idt.Subject, claims.AMR, err)
	}
}

// toPoll starts a sign-in as alice and asks for an email; it returns the
// PKCE verifier and the URL of the hosted page, now at the poll step.
func (w *siteWorld) toPoll(t *testing.T, c *http.Client, rp *rpClient) (string, string) {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	status, h, _ := get(t, c, rp.cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)))
	if status != http.StatusSeeOther {
		t.Fatalf("authorize: %d", status)
	}
	page := w.srv.URL + h.Get("Location")
	w.post(t, c, page, engine.ActionNext, "login", alice)
	body := w.submit(t, c, page, engine.ActionEmailCode)
	// Without JavaScript the page reloads itself; with it, poll.js reloads
	// it once something happened.
	if !strings.Contains(body, `<noscript><meta http-equiv="refresh" content="3"></noscript>`) || !regexp.MustCompile(`src="/assets/poll\.[0-9a-f]{12}\.js"`).MatchString(body) ||
		!strings.Contains(body, "emailed it a sign-in code and link") {
		t.Fatalf("poll page:\n%s", body)
	}
	return verifier, page
}

// post submits the page's form with an action and values and returns
// where it redirects.
func (w *siteWorld) post(t *testing.T, c *http.Client, page, action string, kv ...string) string {
	t.Helper()
	_, _, body := get(t, c, page)
	form := formFields(body)
	form.Set("action", action)
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	status, h, body := postForm(t, c, page, form, "Origin", w.srv.URL)
	if status != http.StatusSeeOther {
		t.Fatalf("POST %s (%s): %d\n%s", page, action, status, body)
	}
	return h.Get("Location")
}

// submit is post, then the page it leads back to.
func (w *siteWorld) submit(t *testing.T, c *http.Client, page, action string, kv ...string) string {
	t.Helper()
	loc := w.post(t, c, page, action, kv...)
	status, _, body := get(t, c, w.srv.URL+loc)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d", loc, status)
	}
	return body
}

var (
	mailCode = regexp.MustCompile(`\b(\d{3}) ?(\d{3})\b`)
	mailLink = regexp.MustCompile(`https://[^\s"<>]+/signin/email/[^\s"<>]+`)
)

// lastMail delivers the outbox and returns the newest email's code and
// link, checking it went to alice.
func (w *siteWorld) lastMail(t *testing.T) (string, string) {
	t.Helper()
	ms := w.delivered(t)
	if len(ms) == 0 {
		t.Fatal("no mail")
	}
	m := ms[len(ms)-1]
	c, l := mailCode.FindStringSubmatch(m.Text), mailLink.FindString(m.Text)
	if len(m.To) != 1 || m.To[0] != alice || c == nil || l == "" || !strings.HasPrefix(l, w.srv.URL+"/") {
		t.Fatalf("mail to %v:\n%s", m.To, m.Text)
	}
	return c[1] + c[2], l
}

// sessionCookieName matches the name session.CookieName gives the SSO
// session cookie, and no other cookie of Lintel's.
var sessionCookieName = regexp.MustCompile(`^(__Host-)?lintel-[0-9a-f]{12}$`)

// sessionCookieIn returns the SSO session cookie a browser holds for u.
func sessionCookieIn(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	pu, _ := url.Parse(u)
	for _, k := range c.Jar.Cookies(pu) {
		if sessionCookieName.MatchString(k.Name) {
			return k.Value
		}
	}
	return ""
}
