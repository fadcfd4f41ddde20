package edge

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lintel-id/lintel/internal/browsertest"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// a11yJourneys is what the accessibility pass needs for the pages of
// registration, terms, progressive profiling, email change and
// activation: a world of its own (its terms would stop every sign-in of
// the other pages), whose app lets people register with a required first
// name and collects a required last name at sign-in, with terms of
// service published; for each language a person with a password who has
// accepted nothing, and one waiting for activation.
type a11yJourneys struct {
	w *siteWorld
	// activation is each language's activation token.
	activation map[string]string
}

func newA11yJourneys(t *testing.T, langs ...string) a11yJourneys {
	t.Helper()
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	w.setEnrollment(t, w.app.ID, policy.Enrollment{Registration: true, EmailVerification: policy.VerifyBefore,
		Attributes:  []policy.EnrollAttribute{{Name: "given_name", Required: true}},
		Progressive: []policy.ProgressiveAttribute{{Name: "family_name", Required: true}}})
	w.publishTerms(t, "1")
	hash, err := w.passwords.Hash(context.Background(), alicePass)
	if err != nil {
		t.Fatal(err)
	}
	j := a11yJourneys{w: w, activation: map[string]string{}}
	err = w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for _, lang := range langs {
			u, err := w.dir.CreateUser(ctx, tx, w.acme.ID, directory.UserInput{Login: "member-" + lang + "@example.com", EmailVerified: true})
			if err != nil {
				return err
			}
			if err := w.dir.SetCredential(ctx, tx, w.acme.ID, u.ID, directory.CredentialPassword, hash); err != nil {
				return err
			}
			u, err = w.dir.CreateUser(ctx, tx, w.acme.ID, directory.UserInput{Login: "invited-" + lang + "@example.com", Locale: lang, Status: directory.StatusProvisioned})
			if err != nil {
				return err
			}
			if j.activation[lang], err = w.dir.CreateActivation(ctx, tx, w.acme.ID, u.ID, time.Hour); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// walk checks every page state of the journeys in browser contexts of
// their own, whose browser asks for lang: the registration form, empty
// and refused, and its poll page; the terms step, and its refusal with
// the box unticked; the profile step, and its refusal of an empty
// required field; the email change, refused and done; the activation's
// confirmation, password step and last page; and the error pages of an
// email change without a session and of an activation link that is not
// valid. Each page's <h1> must also say what its <title> says.
func (j a11yJourneys) walk(t *testing.T, browser context.Context, lang string,
	check func(context.Context, string, a11yWant),
	do func(context.Context, ...chromedp.Action[chromedp.Void]),
	next func(context.Context, string, ...chromedp.Action[chromedp.Void]),
) {
	t.Helper()
	w := j.w
	// A flow's language follows ui_locales, but the pages an activation
	// or an email change ends on have only the browser's to go by, and so
	// has the activation's flow (TestActivationKeepsTheAccountLanguage):
	// this browser asks for lang.
	c := browsertest.Isolated(t, browser)
	do(c, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		return tg.Call(ctx, "Network.setExtraHTTPHeaders", map[string]any{"headers": map[string]string{"Accept-Language": lang}}, nil)
	}))
	click := func(value string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(`button[value="` + value + `"]`))
	}
	typeIn := func(field, text string) chromedp.Action[chromedp.Void] {
		return chromedp.SendKeys(chromedp.CSS("#f-"+field), text)
	}
	checkTitled := func(ctx context.Context, name string, want a11yWant) {
		t.Helper()
		check(ctx, name, want)
		titled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
			const h = document.querySelectorAll("h1");
			return h.length === 1 && h[0].textContent.trim() === document.title.trim();
		})()`))
		if err != nil || !titled {
			t.Errorf("%s: the <h1> does not say what the <title> says (%v)", name, err)
		}
	}

	// Registration, up to the page waiting for the emailed code.
	_, challenge := pkce("a11y-register")
	do(c, chromedp.Navigate(w.authorizeURL(challenge, "ui_locales", lang)), chromedp.WaitVisible(chromedp.CSS(`button[value="register"]`)))
	next(c, `[data-step="register"] #f-email`, click("register"))
	checkTitled(c, "register", a11yWant{})
	next(c, "#msg-email", click("create-account"))
	checkTitled(c, "register-refused", a11yWant{invalid: "email given_name accept_terms"})
	next(c, `[data-step="poll"]`, typeIn("email", "new-"+lang+"@example.com"), typeIn("given_name", "Noor"),
		chromedp.Click(chromedp.CSS("#f-accept_terms")), click("create-account"))
	checkTitled(c, "register-poll", a11yWant{})

	// A member's sign-in stops at the terms, then at the profile.
	member := "member-" + lang + "@example.com"
	_, challenge = pkce("a11y-member")
	do(c, chromedp.Navigate(w.authorizeURL(challenge, "ui_locales", lang)), chromedp.WaitVisible(chromedp.CSS("#f-login")))
	next(c, "#f-password", typeIn("login", member), click("next"))
	next(c, `[data-step="terms"]`, typeIn("password", alicePass), click("sign-in"))
	checkTitled(c, "terms", a11yWant{})
	next(c, "#msg-accept_terms", click("accept"))
	checkTitled(c, "terms-unticked", a11yWant{invalid: "accept_terms"})
	next(c, `[data-step="profile"]`, chromedp.Click(chromedp.CSS("#f-accept_terms")), click("accept"))
	checkTitled(c, "profile", a11yWant{})
	next(c, "#msg-family_name", click("save"))
	checkTitled(c, "profile-refused", a11yWant{invalid: "family_name"})

	// Signed in, the member changes their address.
	changed := "changed-" + lang + "@example.com"
	do(c, chromedp.Navigate(w.srv.URL+"/account/email?ui_locales="+lang), chromedp.WaitVisible(chromedp.CSS(`[data-step="change-email"]`)))
	checkTitled(c, "change-email", a11yWant{})
	next(c, "#msg-email", click("send"))
	checkTitled(c, "change-email-refused", a11yWant{invalid: "email"})
	next(c, "#f-code", typeIn("email", changed), click("send"), chromedp.WaitVisible(chromedp.CSS(`[data-step="poll"]`)), click("enter-code"))
	code, _ := w.lastMailTo(t, changed)
	next(c, `[data-step="info"]`, typeIn("code", code), click("verify"))
	checkTitled(c, "email-changed", a11yWant{})

	// Activation, without an app to return to.
	do(c, chromedp.Navigate(w.srv.URL+"/activate/"+url.PathEscape(j.activation[lang])), chromedp.WaitVisible(chromedp.CSS(`[data-step="confirm-activation"]`)))
	checkTitled(c, "activate", a11yWant{})
	next(c, `[data-step="enroll-password"]`, chromedp.Click(chromedp.CSS(`[data-step="confirm-activation"] button`)))
	checkTitled(c, "activate-password", a11yWant{})
	next(c, `[data-step="info"]`, click("skip"))
	checkTitled(c, "activate-done", a11yWant{})

	// Error pages, in a browser without a session.
	e := browsertest.Isolated(t, browser)
	do(e, chromedp.Navigate(w.srv.URL+"/account/email?ui_locales="+lang), chromedp.WaitVisible(chromedp.CSS(".lt-message-error")))
	checkTitled(e, "error-session-required", a11yWant{pageError: true})
	do(e, chromedp.Navigate(w.srv.URL+"/activate/not-a-token?ui_locales="+lang), chromedp.WaitVisible(chromedp.CSS(".lt-message-error")))
	checkTitled(e, "error-activation-invalid", a11yWant{pageError: true})
}
