package edge

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// verifyMailLink finds an email-verification link in a mail.
var verifyMailLink = regexp.MustCompile(`https://[^\s"<>]+` + regexp.QuoteMeta(directory.VerifyEmailPath) + `[^\s"<>]+`)

// TestEmailVerificationOverTLS registers through the hosted pages with
// email verification "after": the account exists and the app gets its
// code at once, the address unverified; the mail with the verification
// link (and no code) arrives through the outbox at a real SMTP server.
// Opening the link in another browser (as a mail scanner would) only
// shows a confirm page, however often; its POST verifies the address and
// says so, signing nobody in; the link is then spent, and a made-up one
// gets the branded 404.
func TestEmailVerificationOverTLS(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			const who, pass = "lin@example.com", "a fresh passphrase 42"
			w := newSiteWorld(t, b, clock.System())
			ctx := context.Background()
			if err := w.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := w.policies.PutEnrollmentPolicy(ctx, tx, w.acme.ID, w.app.ID,
					policy.Enrollment{Registration: true, EmailVerification: policy.VerifyAfter})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			account := func(t *testing.T) directory.User {
				t.Helper()
				var u directory.User
				if err := w.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
					var err error
					u, err = w.dir.UserByLogin(ctx, tx, w.acme.ID, who)
					return err
				}); err != nil {
					t.Fatal(err)
				}
				return u
			}

			// Register: the app gets its code at once.
			a := w.browser(t)
			rp := w.relyingParty(t)
			verifier := oauth2.GenerateVerifier()
			status, h, _ := get(t, a, rp.cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)))
			if status != http.StatusSeeOther {
				t.Fatalf("authorize: %d", status)
			}
			page := w.srv.URL + h.Get("Location")
			if body := w.submit(t, a, page, engine.ActionRegister); !strings.Contains(body, `name="new_password"`) {
				t.Fatalf("registration form:\n%s", body)
			}
			if loc := w.post(t, a, page, engine.ActionCreate, "email", who, "new_password", pass); !strings.HasPrefix(loc, rpCallback+"?") {
				t.Fatalf("after registering: %q, want the app's callback", loc)
			}
			if account(t).EmailVerified {
				t.Fatal("the address is verified before anyone proved it")
			}

			// The mail: a link to this site, no code.
			ms := w.delivered(t)
			if len(ms) != 1 || len(ms[0].To) != 1 || ms[0].To[0] != who {
				t.Fatalf("%d mail(s) after registering", len(ms))
			}
			link := verifyMailLink.FindString(ms[0].Text)
			if !strings.HasPrefix(link, w.srv.URL+directory.VerifyEmailPath) || !strings.Contains(ms[0].HTML, `href="`+link+`"`) {
				t.Fatalf("no link to %s in the mail:\n%s", w.srv.URL, ms[0].Text)
			}
			if mailCode.MatchString(strings.ReplaceAll(ms[0].Text, link, "")) || strings.Contains(ms[0].Text, "code") {
				t.Fatalf("a code in the link-only mail:\n%s", ms[0].Text)
			}

			// Showing the link, in another browser, uses nothing. The page
			// speaks the account's language, whatever the browser asks.
			c := w.browser(t)
			var body string
			for _, lang := range []string{"en", "ar"} {
				status, _, body = get(t, c, link, "Accept-Language", lang)
				if status != http.StatusOK || !strings.Contains(body, `data-step="confirm-verification"`) || !strings.Contains(body, `lang="en"`) ||
					!strings.Contains(body, "Confirm my email address") || !strings.Contains(body, `method="post"`) {
					t.Fatalf("confirm page: %d\n%s", status, body)
				}
			}
			if account(t).EmailVerified {
				t.Fatal("showing the link verified the address")
			}

			// The POST uses it.
			confirm := formFields(body)
			status, _, body = postForm(t, c, link, confirm, "Origin", w.srv.URL)
			if status != http.StatusOK || !strings.Contains(body, `data-step="info"`) || !strings.Contains(body, "Your email address is confirmed.") {
				t.Fatalf("confirming: %d\n%s", status, body)
			}
			if !account(t).EmailVerified {
				t.Fatal("the link did not verify the address")
			}
			if sessionCookieIn(t, c, w.srv.URL) != "" {
				t.Fatal("the link signed its browser in")
			}

			// The link is spent; a made-up one is not valid either.
			for _, u := range []string{link, w.srv.URL + directory.VerifyEmailPath + directory.EmailVerificationPrefix + "made-up"} {
				status, _, body = get(t, c, u)
				if status != http.StatusNotFound || !strings.Contains(body, "This email confirmation link is not valid.") {
					t.Fatalf("GET %s: %d\n%s", u, status, body)
				}
			}
			status, _, body = postForm(t, c, link, confirm, "Origin", w.srv.URL)
			if status != http.StatusNotFound || !strings.Contains(body, "This email confirmation link is not valid.") {
				t.Fatalf("POST of a spent link: %d\n%s", status, body)
			}
		})
	}
}
