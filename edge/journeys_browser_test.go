package edge

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lintel-id/lintel/internal/browsertest"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// TestJourneysInBrowsers walks the account journeys in headless Chromium
// with JavaScript off, over TLS, from a relying party of its own on
// loopback that exchanges the code for tokens, one after the other as
// one person's life: grace registers (a form refused, then accepted,
// then the emailed code); signing in a second time she is asked for her
// first name (progressive profiling); new terms published, her live
// session stops at them (the box must be ticked); she changes her email
// address; and, in a second browser, ada activates the account an
// administrator made for her, chooses a password and ends back in the
// app through its initiate_login_uri, signed in once she accepts the
// terms (and skips giving her first name). Each
// step's screenshot is kept as a test artifact (go test -artifacts).
func TestJourneysInBrowsers(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	rp := newBrowserRP(t, w)
	w.setEnrollment(t, rp.app.ID, policy.Enrollment{Registration: true, EmailVerification: policy.VerifyBefore,
		Attributes:  []policy.EnrollAttribute{{Name: "family_name", Required: true}},
		Progressive: []policy.ProgressiveAttribute{{Name: "given_name", AfterSignIns: 1}}})
	w.publishTerms(t, "1")
	browser := browsertest.Start(t, browsertest.Options{IgnoreCertificateErrors: true})

	// step runs actions in ctx, waits for sel and keeps a screenshot as
	// name.
	step := func(t *testing.T, ctx context.Context, name, sel string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		wait, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := chromedp.Do(wait, append(actions, chromedp.WaitVisible(chromedp.CSS(sel)))...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			browsertest.Screenshot(t, ctx, name+"-failed")
			t.Fatalf("%s: %v (at %s)", name, err, loc)
		}
		browsertest.Screenshot(t, ctx, name)
	}
	click := func(value string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(`button[value="` + value + `"]`))
	}
	typeIn := func(field, text string) chromedp.Action[chromedp.Void] {
		return chromedp.SendKeys(chromedp.CSS("#f-"+field), text)
	}
	tick := func(field string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS("#f-" + field)) }
	// signedIn checks the relying party got tokens for login, signed in
	// with amr.
	signedIn := func(t *testing.T, ctx context.Context, login, amr string) {
		t.Helper()
		id := w.user(t, login).ID
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#result")))
		if err != nil || text != "sub="+id+" amr="+amr {
			t.Fatalf("relying party: %q (%v), want %s signed in with %s", text, err, id, amr)
		}
	}

	t.Run("registration", func(t *testing.T) {
		step(t, browser, "1-identify", `button[value="register"]`, chromedp.Navigate(rp.srv.URL+"/start"))
		step(t, browser, "2-register", "#f-email", click("register"))
		step(t, browser, "3-register-refused", "#msg-accept_terms", typeIn("email", "grace at example"), click("create-account"))
		step(t, browser, "4-poll", `[data-step="poll"]`, chromedp.SetValue(chromedp.CSS("#f-email"), grace),
			typeIn("family_name", "Hopper"), typeIn("new_password", gracePass), tick("accept_terms"), click("create-account"))
		w.wantNoUser(t, grace)
		code, _ := w.lastMailTo(t, grace)
		step(t, browser, "5-code", "#f-code", click("enter-code"), typeIn("code", code))
		step(t, browser, "6-signed-in", "#result", click("verify"))
		signedIn(t, browser, grace, "otp")
		if u := w.user(t, grace); u.FamilyName != "Hopper" || !u.EmailVerified || len(w.acceptances(t, u.ID)) != 1 {
			t.Fatalf("registered %+v", u)
		}
	})

	t.Run("progressive profiling on the second sign-in", func(t *testing.T) {
		step(t, browser, "1-identify", "#f-login", chromedp.Navigate(rp.srv.URL+"/start?prompt=login"))
		step(t, browser, "2-password", "#f-password", typeIn("login", grace), click("next"))
		step(t, browser, "3-profile", `[data-step="profile"] #f-given_name`, typeIn("password", gracePass), click("sign-in"))
		step(t, browser, "4-signed-in", "#result", typeIn("given_name", "Grace"), click("save"))
		signedIn(t, browser, grace, "pwd")
		if u := w.user(t, grace); u.GivenName != "Grace" {
			t.Fatalf("given name %q", u.GivenName)
		}
	})

	t.Run("terms re-consent", func(t *testing.T) {
		w.publishTerms(t, "2")
		// The live session goes straight to the terms.
		step(t, browser, "1-terms", `[data-step="terms"] #f-accept_terms`, chromedp.Navigate(rp.srv.URL+"/start"))
		step(t, browser, "2-terms-unticked", "#msg-accept_terms", click("accept"))
		step(t, browser, "3-signed-in", "#result", tick("accept_terms"), click("accept"))
		signedIn(t, browser, grace, "pwd")
		if n := len(w.acceptances(t, w.user(t, grace).ID)); n != 2 {
			t.Fatalf("%d acceptances, want versions 1 and 2", n)
		}
	})

	t.Run("email change", func(t *testing.T) {
		const graceNew = "grace.hopper@example.com"
		step(t, browser, "1-change-email", `[data-step="change-email"] #f-email`, chromedp.Navigate(w.srv.URL+"/account/email"))
		step(t, browser, "2-change-email-same", "#msg-email", typeIn("email", grace), click("send"))
		step(t, browser, "3-poll", `[data-step="poll"]`, chromedp.SetValue(chromedp.CSS("#f-email"), graceNew), click("send"))
		code, _ := w.lastMailTo(t, graceNew)
		step(t, browser, "4-code", "#f-code", click("enter-code"), typeIn("code", code))
		step(t, browser, "5-changed", `[data-step="info"]`, click("verify"))
		loc, err := chromedp.Run(browser, chromedp.Location())
		if err != nil || loc != w.srv.URL+"/account/email/changed" {
			t.Fatalf("ended at %q (%v)", loc, err)
		}
		if u := w.user(t, graceNew); u.Email != graceNew {
			t.Fatalf("address %q", u.Email)
		}
		n := w.delivered(t)
		if last := n[len(n)-1]; last.To[0] != grace || !strings.Contains(last.Subject, "was changed") {
			t.Fatalf("last mail %q to %v, want the notice to the old address", last.Subject, last.To)
		}
	})

	t.Run("activation back to the app", func(t *testing.T) {
		const ada = "ada@example.com"
		var token string
		err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			login := rp.srv.URL + "/login"
			if _, err := w.tenants.UpdateApp(ctx, tx, w.acme.ID, rp.app.ID, tenant.AppPatch{InitiateLoginURI: &login}); err != nil {
				return err
			}
			u, err := w.dir.CreateUser(ctx, tx, w.acme.ID, directory.UserInput{Login: ada, Status: directory.StatusProvisioned})
			if err != nil {
				return err
			}
			token, err = w.dir.CreateActivation(ctx, tx, w.acme.ID, u.ID, time.Hour)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// Another browser: activating signs in there.
		other := browsertest.Isolated(t, browser)
		link := w.srv.URL + "/activate/" + url.PathEscape(token) + "?app=" + url.QueryEscape(rp.app.ID)
		step(t, other, "1-activate", `[data-step="confirm-activation"] button`, chromedp.Navigate(link))
		step(t, other, "2-password", `[data-step="enroll-password"] #f-new_password`, chromedp.Click(chromedp.CSS(`[data-step="confirm-activation"] button`)))
		// Back at the app, whose sign-in the new session answers once ada
		// accepts the current terms; her activation counted as a sign-in,
		// so her first name is asked for, which she skips.
		step(t, other, "3-terms", `[data-step="terms"] #f-accept_terms`, typeIn("new_password", "an active passphrase 8"), click("set-password"))
		step(t, other, "4-profile", `[data-step="profile"] #f-given_name`, tick("accept_terms"), click("accept"))
		step(t, other, "5-signed-in", "#result", click("skip"))
		signedIn(t, other, ada, "otp")
		if !w.passwordSignsInAs(t, ada, "an active passphrase 8") {
			t.Fatal("the password chosen at activation does not sign in")
		}
	})
}
