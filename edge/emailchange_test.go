package edge

import (
	"context"
	"html"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/mail/mailtest"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// aliceNew is the address alice changes hers to.
const aliceNew = "alice.new@example.com"

// TestEmailChangeOverTLS changes alice's email address through the hosted
// pages over TLS, signed in, as a browser without JavaScript: the new
// address gets a code and a link (through the outbox, to a real SMTP
// server), nothing changes until one is used, then the address and the
// login are the new one, the old address gets a notice without a link,
// and the password signs in with the new login only.
func TestEmailChangeOverTLS(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range []struct {
				name string
				fn   func(t *testing.T, w *siteWorld)
			}{
				{"changes the address by the code mailed to the new one", testEmailChangeByCode},
				{"changes the address by the link opened in the same browser", testEmailChangeByLink},
				{"answers an address another account has the same and mails nothing", testEmailChangeTaken},
				{"asks to sign in first", testEmailChangeNoSession},
			} {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, newSiteWorld(t, b, clock.System())) })
			}
		})
	}
}

func testEmailChangeByCode(t *testing.T, w *siteWorld) {
	a, _ := w.signedIn(t)
	page := w.toEmailChange(t, a)
	// Refusals change nothing and keep the step.
	for _, tc := range []struct{ email, says string }{
		{"", "This field is required."},
		{"not an address", "Enter an email address like name@example.com."},
		{"Alice@Example.com", "This is already your email address."},
	} {
		body := w.submit(t, a, page, engine.ActionSend, "email", tc.email)
		if !strings.Contains(body, `data-step="change-email"`) || !strings.Contains(body, tc.says) || !invalidField("email").MatchString(body) {
			t.Fatalf("new address %q: the page does not say %q:\n%s", tc.email, tc.says, body)
		}
	}
	if ms := w.delivered(t); len(ms) != 0 {
		t.Fatalf("%d mail(s) for refused addresses", len(ms))
	}
	wantEmailChangePoll(t, w.submit(t, a, page, engine.ActionSend, "email", aliceNew), aliceNew)
	code, _ := w.lastMailTo(t, aliceNew)
	ms := w.sink.Messages()
	if m := ms[len(ms)-1]; m.Subject != "Confirm your new email address" || strings.Contains(m.Subject, code) {
		t.Fatalf("email change mail %q:\n%s", m.Subject, m.Text)
	}
	// Nothing changed yet.
	if u := w.user(t, alice); u.Email != alice {
		t.Fatalf("the address changed before it was proven: %q", u.Email)
	}
	body := w.submit(t, a, page, engine.ActionEnterCode)
	if !strings.Contains(body, `name="code"`) || strings.Contains(body, `value="back"`) {
		t.Fatalf("code page:\n%s", body)
	}
	if loc := w.post(t, a, page, engine.ActionVerify, "code", code); loc != w.srv.URL+engine.ChangedPath {
		t.Fatalf("after the code: %q, want %s", loc, engine.ChangedPath)
	}
	w.wantEmailChanged(t, a)
}

func testEmailChangeByLink(t *testing.T, w *siteWorld) {
	a, _ := w.signedIn(t)
	page := w.toEmailChange(t, a)
	wantEmailChangePoll(t, w.submit(t, a, page, engine.ActionSend, "email", aliceNew), aliceNew)
	_, link := w.lastMailTo(t, aliceNew)
	// Showing the link (as mail scanners do) changes nothing.
	body := w.get(t, a, link)
	if !strings.Contains(body, `data-step="confirm-link"`) || w.user(t, alice).Email != alice {
		t.Fatalf("link page:\n%s", body)
	}
	status, h, _ := postForm(t, a, link, formFields(body), "Origin", w.srv.URL)
	if status != http.StatusSeeOther || h.Get("Location") != w.srv.URL+engine.ChangedPath {
		t.Fatalf("confirming the link: %d %q", status, h.Get("Location"))
	}
	w.wantEmailChanged(t, a)
}

func testEmailChangeTaken(t *testing.T, w *siteWorld) {
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := w.dir.CreateUser(ctx, tx, w.acme.ID, directory.UserInput{Login: bob, Email: bob, EmailVerified: true})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := w.signedIn(t)
	page := w.toEmailChange(t, a)
	// The same page as for a free address: only the address's owner can
	// learn, from the mail that does not come, that it has an account.
	wantEmailChangePoll(t, w.submit(t, a, page, engine.ActionSend, "email", bob), bob)
	if ms := w.delivered(t); len(ms) != 0 {
		t.Fatalf("mail for an address another account has: %q to %v", ms[0].Subject, ms[0].To)
	}
	if u := w.user(t, alice); u.Email != alice {
		t.Fatalf("alice's address is %q", u.Email)
	}
}

func testEmailChangeNoSession(t *testing.T, w *siteWorld) {
	status, _, body := get(t, w.browser(t), w.srv.URL+"/account/email")
	if status != http.StatusUnauthorized || !strings.Contains(body, "Sign in first, then come back to this page.") || strings.Contains(body, "<form") {
		t.Fatalf("without a session: %d\n%s", status, body)
	}
}

// toEmailChange opens the email change page in c, which must be signed
// in as alice, and returns its URL.
func (w *siteWorld) toEmailChange(t *testing.T, c *http.Client) string {
	t.Helper()
	status, h, body := get(t, c, w.srv.URL+"/account/email")
	if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin/") {
		t.Fatalf("/account/email: %d %q\n%s", status, h.Get("Location"), body)
	}
	page := w.srv.URL + h.Get("Location")
	body = w.get(t, c, page)
	for _, want := range []string{
		`data-step="change-email"`, `<h1 class="lt-title" part="title">Change your email address</h1>`,
		`<p class="lt-user" part="user">` + alice + `</p>`, "nothing changes until you use one",
		`<label for="f-email" part="label">New email address</label>`, `name="email" type="email" value="" required`,
		`autocomplete="email"`, `value="send"`,
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("change-email page lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, `value="back"`) {
		t.Fatalf("change-email page offers to go back to a sign-in:\n%s", body)
	}
	return page
}

// wantEmailChangePoll checks the page after a new address is sent: it
// waits for the code or link mailed to it, and offers no way back to a
// sign-in. (Which address it names is TestEmailChangePollNamesTheNewAddress's.)
func wantEmailChangePoll(t *testing.T, body, address string) {
	t.Helper()
	if !strings.Contains(body, `data-step="poll"`) || !strings.Contains(body, `value="enter-code"`) || strings.Contains(body, `value="back"`) ||
		!strings.Contains(body, "Use either to confirm your new address.") {
		t.Fatalf("poll page after asking for %s:\n%s", address, body)
	}
}

// TestEmailChangePollNamesTheNewAddress: the page after the new address is
// sent must say the code and link went to the new address, where they
// went. (It names the old one: server/engine/email.go, sendEmail, fills
// the email.sent_change message's "login" parameter with f.State.Login,
// the account's current login, instead of f.State.Pending.Email, the new
// address the mail went to.)
func TestEmailChangePollNamesTheNewAddress(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	a, _ := w.signedIn(t)
	body := w.submit(t, a, w.toEmailChange(t, a), engine.ActionSend, "email", aliceNew)
	if say := html.EscapeString("We've emailed a code and a link to " + aliceNew + "."); !strings.Contains(body, say) {
		t.Fatalf("the poll page does not say the code went to %s:\n%s", aliceNew, body)
	}
}

// wantEmailChanged checks the end of alice's change to aliceNew in c:
// the page saying so, her address and login, the notice to the old
// address, and which login the password signs in with.
func (w *siteWorld) wantEmailChanged(t *testing.T, c *http.Client) {
	t.Helper()
	if body := w.get(t, c, w.srv.URL+engine.ChangedPath); !strings.Contains(body, "<title>Email address changed</title>") ||
		!strings.Contains(body, "Your email address is changed. Use it to sign in from now on.") {
		t.Fatalf("changed page:\n%s", body)
	}
	u := w.user(t, aliceNew)
	if u.ID != w.userID || u.Email != aliceNew || !u.EmailVerified {
		t.Fatalf("after the change: %+v", u)
	}
	var notices []mailtest.Message
	for _, m := range w.delivered(t) {
		if strings.Contains(m.Subject, "was changed") {
			notices = append(notices, m)
		}
	}
	if len(notices) != 1 {
		t.Fatalf("%d notices of the change, want 1", len(notices))
	}
	n := notices[0]
	if len(n.To) != 1 || n.To[0] != alice || n.Subject != "Your email address was changed" ||
		!strings.Contains(n.Text, "a•••@example.com") || strings.Contains(n.Text, aliceNew) || strings.Contains(n.Text, "https://") {
		t.Fatalf("notice to %v: %q\n%s", n.To, n.Subject, n.Text)
	}
	if !w.passwordSignsInAs(t, aliceNew, alicePass) || w.passwordSignsInAs(t, alice, alicePass) {
		t.Fatal("after the change the new login must sign in with the password, and the old one must not")
	}
	// The session that asked goes on signing in.
	if loc := w.authorizeOnly(t, c, oauth2.Config{ClientID: w.app.ID, RedirectURL: rpCallback,
		Endpoint: oauth2.Endpoint{AuthURL: w.srv.URL + "/oauth2/default/v1/authorize"}, Scopes: []string{"openid"}}); !strings.HasPrefix(loc, rpCallback) {
		t.Fatalf("after the change the session leads to %q", loc)
	}
	w.wantEvents(t, "user.email.changed", 1)
}
