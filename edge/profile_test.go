package edge

import (
	"html"
	"net/http"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/terms"
)

// TestProgressiveProfilingOverTLS signs alice in three times through the
// hosted pages over TLS, her app's enrollment policy collecting her first
// name once she has signed in before: the first sign-in goes straight to
// the app, the second asks for the first name (which she may skip, as it
// is not required) and saves it, and the third, her profile complete,
// goes straight to the app again. Each ends in tokens.
func TestProgressiveProfilingOverTLS(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newSiteWorld(t, b, clock.System())
			w.setEnrollment(t, w.app.ID, policy.Enrollment{EmailVerification: policy.VerifyBefore,
				Progressive: []policy.ProgressiveAttribute{{Name: "given_name", AfterSignIns: 1}}})
			rp := w.relyingParty(t)
			// First sign-in: nothing asked yet.
			c := w.browser(t)
			verifier := oauth2.GenerateVerifier()
			final, _ := w.signIn(t, c, rp.cfg.AuthCodeURL("st-1", oauth2.S256ChallengeOption(verifier)), alice, alicePass)
			rp.signedIn(t, final, verifier, w.userID, "pwd")

			// Second sign-in: the first name is asked for, and optional.
			verifier = oauth2.GenerateVerifier()
			status, h, _ := get(t, c, rp.cfg.AuthCodeURL("st-2", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "login")))
			if status != http.StatusSeeOther {
				t.Fatalf("authorize: %d", status)
			}
			page := w.srv.URL + h.Get("Location")
			w.post(t, c, page, engine.ActionNext, "login", alice)
			if loc := w.post(t, c, page, engine.ActionSignIn, "password", alicePass); w.srv.URL+loc != page {
				t.Fatalf("the second sign-in went to %q, not on to the profile step", loc)
			}
			_, _, body := get(t, c, page)
			for _, want := range []string{
				`data-step="profile"`, `<h1 class="lt-title" part="title">Complete your profile</h1>`, "Acme Portal needs a few more details.",
				`<p class="lt-user" part="user">` + alice + `</p>`, `<label for="f-given_name" part="label">First name</label>`,
				`name="given_name" type="text" value="" maxlength`, `autocomplete="given-name"`, `value="save"`, `value="skip"`,
			} {
				if !strings.Contains(body, want) {
					t.Fatalf("profile page lacks %s:\n%s", want, body)
				}
			}
			// The person is signed in already: the step cannot be
			// bypassed by starting over.
			if strings.Contains(body, `value="back"`) {
				t.Fatalf("profile page offers to go back:\n%s", body)
			}
			rp.signedIn(t, w.post(t, c, page, engine.ActionSave, "given_name", "Alice"), verifier, w.userID, "pwd")
			if u := w.user(t, alice); u.GivenName != "Alice" || u.SignInCount != 2 {
				t.Fatalf("after saving: given name %q, %d sign-ins", u.GivenName, u.SignInCount)
			}

			// Third sign-in: nothing is missing, nothing is asked.
			verifier = oauth2.GenerateVerifier()
			final, _ = w.signIn(t, w.browser(t), rp.cfg.AuthCodeURL("st-3", oauth2.S256ChallengeOption(verifier)), alice, alicePass)
			rp.signedIn(t, final, verifier, w.userID, "pwd")
			w.wantEvents(t, "user.signin", 3)
		})
	}
}

// TestTermsReconsentOverTLS publishes terms of service, then a new
// version of them, and signs alice in through the hosted pages over TLS:
// her first sign-in asks her to accept version 1 (the box must be
// ticked); her live session answers the app at once until version 2 is
// published, when the next authorization stops at the terms step again,
// without asking for her password. Declining version 3 signs her out.
func TestTermsReconsentOverTLS(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newSiteWorld(t, b, clock.System())
			rp := w.relyingParty(t)
			v1 := w.publishTerms(t, "1")
			a := w.browser(t)

			verifier := oauth2.GenerateVerifier()
			_, h, _ := get(t, a, rp.cfg.AuthCodeURL("st-1", oauth2.S256ChallengeOption(verifier)))
			page := w.srv.URL + h.Get("Location")
			w.post(t, a, page, engine.ActionNext, "login", alice)
			if loc := w.post(t, a, page, engine.ActionSignIn, "password", alicePass); w.srv.URL+loc != page {
				t.Fatalf("the sign-in went to %q, not on to the terms", loc)
			}
			cookie := sessionCookieIn(t, a, w.srv.URL)
			if cookie == "" {
				t.Fatal("no session cookie at the terms step")
			}
			wantTermsPage(t, w.get(t, a, page), "1")
			// The box must be ticked.
			body := w.submit(t, a, page, engine.ActionAccept)
			if !strings.Contains(body, `data-step="terms"`) || !strings.Contains(body, "Accept this to continue.") || !invalidField("accept_terms").MatchString(body) {
				t.Fatalf("accepting without ticking the box:\n%s", body)
			}
			rp.signedIn(t, w.post(t, a, page, engine.ActionAccept, "accept_terms", "true"), verifier, w.userID, "pwd")
			if acc := w.acceptances(t, w.userID); len(acc) != 1 || acc[0].DocumentID != v1.ID {
				t.Fatalf("acceptances %+v, want version 1", acc)
			}
			// Accepted: the session answers at once.
			if loc := w.authorizeOnly(t, a, rp.cfg); !strings.HasPrefix(loc, rpCallback) {
				t.Fatalf("with version 1 accepted the session leads to %q", loc)
			}

			// A new version: the live session stops at the terms step.
			v2 := w.publishTerms(t, "2")
			verifier = oauth2.GenerateVerifier()
			status, h, _ := get(t, a, rp.cfg.AuthCodeURL("st-2", oauth2.S256ChallengeOption(verifier)))
			if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin/") {
				t.Fatalf("authorize after version 2: %d %q", status, h.Get("Location"))
			}
			page = w.srv.URL + h.Get("Location")
			wantTermsPage(t, w.get(t, a, page), "2")
			rp.signedIn(t, w.post(t, a, page, engine.ActionAccept, "accept_terms", "true"), verifier, w.userID, "pwd")
			acc := w.acceptances(t, w.userID)
			if len(acc) != 2 || !slices.ContainsFunc(acc, func(x terms.Acceptance) bool { return x.DocumentID == v2.ID }) {
				t.Fatalf("acceptances %+v, want versions 1 and 2", acc)
			}
			if c := sessionCookieIn(t, a, w.srv.URL); c != cookie {
				t.Fatal("accepting new terms on a live session changed the session cookie")
			}

			// Declining ends the session.
			w.publishTerms(t, "3")
			_, h, _ = get(t, a, rp.cfg.AuthCodeURL("st-3", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
			page = w.srv.URL + h.Get("Location")
			wantTermsPage(t, w.get(t, a, page), "3")
			body = w.submit(t, a, page, engine.ActionDeny)
			if !strings.Contains(body, `data-step="error"`) || strings.Contains(body, "<form") ||
				!strings.Contains(body, html.EscapeString("You can't use Acme Portal without accepting its terms. You have been signed out.")) {
				t.Fatalf("declining:\n%s", body)
			}
			status, h, _ = get(t, a, rp.cfg.AuthCodeURL("st-4", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
			if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin/") {
				t.Fatalf("authorize after declining: %d %q", status, h.Get("Location"))
			}
			if body := w.get(t, a, w.srv.URL+h.Get("Location")); !strings.Contains(body, `data-step="identify"`) {
				t.Fatalf("after declining the session still signs in:\n%s", body)
			}
			if len(w.acceptances(t, w.userID)) != 2 {
				t.Fatal("declining recorded an acceptance")
			}
			w.wantEvents(t, "user.terms.accepted", 2)
			w.wantEvents(t, "user.terms.declined", 1)
		})
	}
}

// wantTermsPage checks the terms step asks alice to accept version of
// the terms of service, with a box to tick and a way to decline.
func wantTermsPage(t *testing.T, body, version string) {
	t.Helper()
	for _, want := range []string{
		`data-step="terms"`, `<h1 class="lt-title" part="title">Review updated terms</h1>`,
		"Before you continue to Acme Portal, review and accept these terms.", `<p class="lt-user" part="user">` + alice + `</p>`,
		`<label for="f-accept_terms" part="label">I accept the Terms of Service (version ` + version + `)</label>`,
		`<a href="https://acme.example/terms/` + version + `" target="_blank" rel="noopener noreferrer" part="link">Read the Terms of Service</a>`,
		`name="accept_terms" type="checkbox" value="true" required`, `value="accept"`, `value="deny"`,
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("terms page lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "checked") || strings.Contains(body, `name="password"`) {
		t.Fatalf("terms page:\n%s", body)
	}
}

// get returns the body of a page that must answer 200.
func (w *siteWorld) get(t *testing.T, c *http.Client, page string) string {
	t.Helper()
	status, _, body := get(t, c, page)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", page, status, body)
	}
	return body
}

// signedIn exchanges the code in the client's callback URL and checks the
// ID token names userID, signed in with amr.
func (rp *rpClient) signedIn(t *testing.T, callback, verifier, userID, amr string) {
	t.Helper()
	idt, got, _ := rp.idToken(t, callback, verifier)
	if idt.Subject != userID || !slices.Contains(got, amr) {
		t.Fatalf("ID token sub %q amr %v, want %s and %s", idt.Subject, got, userID, amr)
	}
}
