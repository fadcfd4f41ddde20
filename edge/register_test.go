package edge

import (
	"html"
	"net/http"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// Fixtures of the registration tests: grace registers herself.
const (
	grace     = "grace@example.com"
	gracePass = "a fresh passphrase 42"
)

// registrationPolicy lets people register for an app: their email, a
// required first name, an optional last name, and the current terms.
var registrationPolicy = policy.Enrollment{
	Registration: true, EmailVerification: policy.VerifyBefore,
	Attributes: []policy.EnrollAttribute{{Name: "given_name", Required: true}, {Name: "family_name"}},
}

// TestRegistrationOverTLS registers through the hosted pages over TLS, as
// a browser without JavaScript: identify offers "Create an account"; the
// form asks the policy's attributes, a password and the terms; nothing
// exists until the emailed code (or link) proves the address, sent
// through the outbox to a real SMTP server; then the account exists with
// its attributes and its terms accepted, and the app gets tokens for it.
// Refused forms, and addresses with an account, create nothing.
func TestRegistrationOverTLS(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range []struct {
				name string
				fn   func(t *testing.T, w *siteWorld)
			}{
				{"creates the account once the emailed code proves the address", testRegisterByCode},
				{"creates the account from the link opened in the same browser", testRegisterByLink},
				{"refuses the form's mistakes and creates nothing", testRegisterRefusals},
				{"answers an address with an account the same and mails nothing", testRegisterExisting},
			} {
				t.Run(tc.name, func(t *testing.T) {
					w := newSiteWorld(t, b, clock.System())
					w.setEnrollment(t, w.app.ID, registrationPolicy)
					tc.fn(t, w)
				})
			}
		})
	}
}

func testRegisterByCode(t *testing.T, w *siteWorld) {
	doc := w.publishTerms(t, "1")
	rp := w.relyingParty(t)
	a := w.browser(t)
	verifier, page := w.toRegister(t, a, rp.cfg)
	body := w.submit(t, a, page, engine.ActionCreate, "email", grace, "given_name", "Grace", "family_name", "Hopper",
		"new_password", gracePass, "accept_terms", "true")
	wantRegisterPoll(t, body, grace)
	// Nothing exists until the address is proven.
	w.wantNoUser(t, grace)
	if sessionCookieIn(t, a, w.srv.URL) != "" {
		t.Fatal("a session cookie before the address is proven")
	}
	code, _ := w.lastMailTo(t, grace)
	ms := w.sink.Messages()
	if m := ms[len(ms)-1]; !strings.HasPrefix(m.Subject, "Confirm your email address") || strings.Contains(m.Subject, code) || strings.Contains(m.Text, gracePass) {
		t.Fatalf("verification mail %q:\n%s", m.Subject, m.Text)
	}
	w.post(t, a, page, engine.ActionEnterCode)
	loc := w.post(t, a, page, engine.ActionVerify, "code", code)

	u := w.user(t, grace)
	idt, amr, tok := rp.idToken(t, loc, verifier)
	if idt.Subject != u.ID || !slices.Contains(amr, "otp") {
		t.Fatalf("ID token sub %q amr %v, want %s signed in by email", idt.Subject, amr, u.ID)
	}
	if info := rp.userInfo(t, tok); info.Email != grace || !info.EmailVerified {
		t.Fatalf("userinfo email %q verified %v", info.Email, info.EmailVerified)
	}
	if u.Status != directory.StatusActive || !u.EmailVerified || u.GivenName != "Grace" || u.FamilyName != "Hopper" || u.SignInCount != 1 {
		t.Fatalf("registered user %+v", u)
	}
	if acc := w.acceptances(t, u.ID); len(acc) != 1 || acc[0].DocumentID != doc.ID {
		t.Fatalf("terms acceptances %+v, want %s", acc, doc.ID)
	}
	if !w.passwordSignsInAs(t, grace, gracePass) {
		t.Fatal("the password chosen at registration does not sign in")
	}
	if sessionCookieIn(t, a, w.srv.URL) == "" {
		t.Fatal("no session cookie after registering")
	}
	w.wantEvents(t, "user.registered", 1)
}

func testRegisterByLink(t *testing.T, w *siteWorld) {
	rp := w.relyingParty(t)
	a := w.browser(t)
	verifier, page := w.toRegister(t, a, rp.cfg)
	// No terms are published: the form asks none. The password may be
	// left out, the sign-on policy allowing email sign-in.
	if _, _, body := get(t, a, page); strings.Contains(body, `name="accept_terms"`) || strings.Contains(body, `name="new_password" type="password" required`) {
		t.Fatalf("register form without terms:\n%s", body)
	}
	wantRegisterPoll(t, w.submit(t, a, page, engine.ActionCreate, "email", grace, "given_name", "Grace"), grace)
	_, link := w.lastMailTo(t, grace)
	// Showing the link (as mail scanners do) creates nothing.
	status, _, body := get(t, a, link)
	if status != http.StatusOK || !strings.Contains(body, `data-step="confirm-link"`) {
		t.Fatalf("link page: %d\n%s", status, body)
	}
	w.wantNoUser(t, grace)
	status, h, _ := postForm(t, a, link, formFields(body), "Origin", w.srv.URL)
	if status != http.StatusSeeOther {
		t.Fatalf("confirming the link: %d", status)
	}
	u := w.user(t, grace)
	if idt, _, _ := rp.idToken(t, h.Get("Location"), verifier); idt.Subject != u.ID {
		t.Fatalf("ID token sub %q, want %s", idt.Subject, u.ID)
	}
	if !u.EmailVerified || u.GivenName != "Grace" || u.FamilyName != "" {
		t.Fatalf("registered user %+v", u)
	}
	if len(w.acceptances(t, u.ID)) != 0 {
		t.Fatal("terms accepted that were never shown")
	}
}

func testRegisterRefusals(t *testing.T, w *siteWorld) {
	w.publishTerms(t, "1")
	rp := w.relyingParty(t)
	a := w.browser(t)
	_, page := w.toRegister(t, a, rp.cfg)
	body := w.submit(t, a, page, engine.ActionCreate, "email", "not an address", "family_name", "Hopper", "new_password", "password123")
	for _, m := range []struct{ field, says string }{
		{"email", "Enter an email address like name@example.com."},
		{"given_name", "This field is required."},
		{"accept_terms", "Accept this to continue."},
	} {
		if !strings.Contains(body, `<p id="msg-`+m.field+`" class="lt-message lt-message-error" role="alert" part="message">`+m.says+`</p>`) ||
			!invalidField(m.field).MatchString(body) {
			t.Errorf("field %s: no error %q, or not marked invalid", m.field, m.says)
		}
	}
	// What was typed stays, but never the password.
	if !strings.Contains(body, `value="not an address"`) || !strings.Contains(body, `value="Hopper"`) || strings.Contains(body, "password123") {
		t.Errorf("the form does not keep what was typed, or shows the password")
	}
	if t.Failed() {
		t.Fatalf("register page:\n%s", body)
	}
	// Once the rest is right, the password policy speaks.
	body = w.submit(t, a, page, engine.ActionCreate, "email", grace, "given_name", "Grace", "new_password", "password123", "accept_terms", "true")
	if !strings.Contains(body, `data-step="register"`) || !strings.Contains(body, "This password is too common.") ||
		!invalidField("new_password").MatchString(body) || strings.Contains(body, "password123") {
		t.Fatalf("a common password:\n%s", body)
	}
	// Going back from the form leaves nothing either.
	if _, _, body = get(t, a, w.srv.URL+w.post(t, a, page, engine.ActionBack)); !strings.Contains(body, `data-step="identify"`) {
		t.Fatalf("back from the form:\n%s", body)
	}
	w.wantNoUser(t, grace)
	if ms := w.delivered(t); len(ms) != 0 {
		t.Fatalf("%d mail(s) for refused forms", len(ms))
	}
	w.wantEvents(t, "user.registered", 0)
}

func testRegisterExisting(t *testing.T, w *siteWorld) {
	rp := w.relyingParty(t)
	a := w.browser(t)
	_, page := w.toRegister(t, a, rp.cfg)
	body := w.submit(t, a, page, engine.ActionCreate, "email", alice, "given_name", "Mallory", "new_password", gracePass)
	// The same page as for a new address: only the address's owner can
	// learn, from the mail that does not come, that it has an account.
	wantRegisterPoll(t, body, alice)
	if ms := w.delivered(t); len(ms) != 0 {
		t.Fatalf("mail for an address with an account: %q to %v", ms[0].Subject, ms[0].To)
	}
	if u := w.user(t, alice); u.GivenName != "" || u.Name != "Alice" || !w.passwordSignsIn(t, alicePass) {
		t.Fatalf("the account of the address changed: %+v", u)
	}
	w.wantEvents(t, "user.registered", 0)
}

// toRegister starts a sign-in with cfg in c and opens the registration
// form from identify; it returns the PKCE verifier and the page's URL.
func (w *siteWorld) toRegister(t *testing.T, c *http.Client, cfg oauth2.Config) (string, string) {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	status, h, _ := get(t, c, cfg.AuthCodeURL("st-register", oauth2.S256ChallengeOption(verifier)))
	if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin/") {
		t.Fatalf("authorize: %d %q", status, h.Get("Location"))
	}
	page := w.srv.URL + h.Get("Location")
	if _, _, body := get(t, c, page); !strings.Contains(body, `value="register"`) || !strings.Contains(body, "Create an account") {
		t.Fatalf("identify does not offer registration:\n%s", body)
	}
	body := w.submit(t, c, page, engine.ActionRegister)
	for _, want := range []string{
		`data-step="register"`, `<h1 class="lt-title" part="title">Create your account</h1>`, "Create your account for Acme Portal.",
		`name="email" type="email" value="" required maxlength="254" autocomplete="email" inputmode="email"`,
		`name="given_name" type="text" value="" required`, `autocomplete="given-name"`,
		`name="family_name" type="text" value=""`, `autocomplete="family-name"`,
		`name="new_password" type="password"`, `autocomplete="new-password"`,
		`value="create-account"`, `value="back"`,
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("register form lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, `name="family_name" type="text" value="" required`) {
		t.Fatalf("an optional attribute is required:\n%s", body)
	}
	if strings.Contains(body, `name="accept_terms"`) &&
		(!strings.Contains(body, `<label for="f-accept_terms" part="label">I accept the Terms of Service (version 1)</label>`) ||
			!strings.Contains(body, `<a href="https://acme.example/terms/1" target="_blank" rel="noopener noreferrer" part="link">Read the Terms of Service</a>`)) {
		t.Fatalf("terms checkbox:\n%s", body)
	}
	return verifier, page
}

// wantRegisterPoll checks the page after a registration form is sent: it
// waits for the address to be proven, naming it.
func wantRegisterPoll(t *testing.T, body, address string) {
	t.Helper()
	if !strings.Contains(body, `data-step="poll"`) || !strings.Contains(body, html.EscapeString("We've emailed a code and a link to "+address+".")) ||
		!strings.Contains(body, `value="enter-code"`) {
		t.Fatalf("poll page after registering %s:\n%s", address, body)
	}
}
