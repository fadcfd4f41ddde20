package edge

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lintel-id/lintel/internal/browsertest"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
)

// bob has an account and no security answer.
const bob = "bob@example.com"

// a11yRecovery is what the accessibility pass needs for the recovery
// pages: alice has a security answer, bob none, and the recovery policy
// requires one, so that alice is asked hers and bob is refused.
type a11yRecovery struct {
	w *siteWorld
}

func newA11yRecovery(t *testing.T, w *siteWorld) a11yRecovery {
	t.Helper()
	w.setRecoveryPolicy(t, policy.RecoveryFactorRequired)
	w.enrollAnswer(t, petQuestion, petAnswer)
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := w.dir.CreateUser(ctx, tx, w.acme.ID, directory.UserInput{Login: bob, Email: bob, EmailVerified: true, Name: "Bob"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return a11yRecovery{w: w}
}

// walk checks every recovery page state in a browser context of its own:
// recover, recover without a login, the poll page, the security answer
// before and after a wrong one, the new password before and after one
// the policy refuses (the recovery is left there: alice's password does
// not change), and bob's refusal for want of a factor. Each page's <h1>
// must also say what its <title> says.
func (r a11yRecovery) walk(t *testing.T, browser context.Context, lang string,
	check func(context.Context, string, a11yWant),
	do func(context.Context, ...chromedp.Action[chromedp.Void]),
	next func(context.Context, string, ...chromedp.Action[chromedp.Void]),
) {
	t.Helper()
	w := r.w
	c := browsertest.Isolated(t, browser)
	click := func(value string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(`button[value="` + value + `"]`))
	}
	typeIn := func(field, text string) chromedp.Action[chromedp.Void] {
		return chromedp.SendKeys(chromedp.CSS("#f-"+field), text)
	}
	checkTitled := func(name string, want a11yWant) {
		t.Helper()
		check(c, name, want)
		titled, err := chromedp.Run(c, chromedp.Evaluate[bool](`(() => {
			const h = document.querySelectorAll("h1");
			return h.length === 1 && h[0].textContent.trim() === document.title.trim();
		})()`))
		if err != nil || !titled {
			t.Errorf("%s: the <h1> does not say what the <title> says (%v)", name, err)
		}
	}
	// toCode starts a recovery for login and returns once the emailed
	// code is typed in; for alice it checks the pages on the way.
	toCode := func(login string) {
		t.Helper()
		_, challenge := pkce("a11y-recover")
		do(c, chromedp.Navigate(w.authorizeURL(challenge, "ui_locales", lang)), chromedp.WaitVisible(chromedp.CSS("#f-login")))
		next(c, `[data-step="recover"] #f-login`, click("recover"))
		if login != alice {
			next(c, `[data-step="poll"]`, typeIn("login", login), click("send"))
		} else {
			checkTitled("recover", a11yWant{})
			next(c, "#msg-login", click("send"))
			checkTitled("recover-empty", a11yWant{invalid: "login"})
			next(c, `[data-step="poll"]`, typeIn("login", login), click("send"))
			checkTitled("recover-poll", a11yWant{})
		}
		code, _ := w.lastMailTo(t, login)
		next(c, "#f-code", click("enter-code"))
		do(c, typeIn("code", code))
	}

	toCode(alice)
	next(c, "#f-answer", click("verify"))
	checkTitled("recover-answer", a11yWant{})
	next(c, "#msg-answer", typeIn("answer", "not my answer"), click("verify"))
	checkTitled("recover-answer-wrong", a11yWant{invalid: "answer"})
	next(c, "#f-new_password", typeIn("answer", petAnswer), click("verify"))
	checkTitled("recover-new-password", a11yWant{})
	next(c, "#msg-new_password", typeIn("new_password", "short"), click("set-password"))
	checkTitled("recover-new-password-refused", a11yWant{invalid: "new_password"})

	toCode(bob)
	next(c, `[data-step="error"] .lt-message-error`, click("verify"))
	checkTitled("recover-needs-factor", a11yWant{pageError: true})
}

// lastMailTo delivers the outbox and returns the code and link of the
// newest email, checking it went to to.
func (w *siteWorld) lastMailTo(t *testing.T, to string) (string, string) {
	t.Helper()
	ms := w.delivered(t)
	if len(ms) == 0 {
		t.Fatal("no mail")
	}
	m := ms[len(ms)-1]
	c, l := mailCode.FindStringSubmatch(m.Text), mailLink.FindString(m.Text)
	if len(m.To) != 1 || m.To[0] != to || c == nil || l == "" {
		t.Fatalf("mail to %v, want %s:\n%s", m.To, to, m.Text)
	}
	return c[1] + c[2], l
}
