package edge

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lintel-id/lintel/internal/browsertest"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestRecoveryInBrowsers recovers alice's account in headless Chromium
// with JavaScript off, over TLS, from a relying party of its own on
// loopback that exchanges the code for tokens: first by the emailed code
// alone (a new password the policy refuses, then one it accepts), then,
// with a security answer enrolled, from the password step through a wrong
// answer and the right one. Each step's screenshot is kept as a test
// artifact (go test -artifacts).
func TestRecoveryInBrowsers(t *testing.T) {
	w := newSiteWorld(t, storetest.SQLite(), clock.System())
	rp := newBrowserRP(t, w)
	browser := browsertest.Start(t, browsertest.Options{IgnoreCertificateErrors: true})

	// step runs actions, waits for sel and keeps a screenshot as name.
	step := func(t *testing.T, name, sel string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(browser, append(actions, chromedp.WaitVisible(chromedp.CSS(sel)))...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		browsertest.Screenshot(t, browser, name)
	}
	click := func(value string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(`button[value="` + value + `"]`))
	}
	typeIn := func(field, text string) chromedp.Action[chromedp.Void] {
		return chromedp.SendKeys(chromedp.CSS("#f-"+field), text)
	}
	// signedIn checks the relying party got tokens for alice, signed in
	// by email.
	signedIn := func(t *testing.T) {
		t.Helper()
		text, err := chromedp.Run(browser, chromedp.Text(chromedp.CSS("#result")))
		if err != nil || !strings.Contains(text, "sub="+w.userID) || !strings.Contains(text, "amr=otp") {
			t.Fatalf("relying party after recovery: %q (%v)", text, err)
		}
	}
	// toCode asks for the recovery email from the recover page, whose
	// login is filled in already when prefilled, and enters its code.
	toCode := func(t *testing.T, prefilled bool) {
		t.Helper()
		var actions []chromedp.Action[chromedp.Void]
		if !prefilled {
			actions = append(actions, typeIn("login", alice))
		}
		step(t, "3-poll", `[data-step="poll"]`, append(actions, click("send"))...)
		code, _, _ := w.recoveryMail(t)
		step(t, "4-code", "#f-code", click("enter-code"), typeIn("code", code))
	}

	t.Run("by email alone", func(t *testing.T) {
		step(t, "1-identify", "#f-login", chromedp.Navigate(rp.srv.URL+"/start"))
		step(t, "2-recover", `[data-step="recover"] #f-login`, click("recover"))
		toCode(t, false)
		step(t, "5-new-password", "#f-new_password", click("verify"))
		step(t, "6-new-password-refused", "#msg-new_password", typeIn("new_password", "password123"), click("set-password"))
		step(t, "7-signed-in", "#result", typeIn("new_password", recoveredPass), click("set-password"))
		signedIn(t)
	})

	t.Run("with the security answer", func(t *testing.T) {
		w.enrollAnswer(t, petQuestion, petAnswer)
		step(t, "1-password", "#f-password", chromedp.Navigate(rp.srv.URL+"/start?prompt=login"),
			chromedp.WaitVisible(chromedp.CSS("#f-login")), typeIn("login", alice), click("next"))
		step(t, "2-recover", `[data-step="recover"] #f-login[value="`+alice+`"]`, click("recover"))
		toCode(t, true)
		step(t, "5-answer", "#f-answer", click("verify"))
		step(t, "6-answer-wrong", "#msg-answer", typeIn("answer", "Rex the dog"), click("verify"))
		step(t, "7-new-password", "#f-new_password", typeIn("answer", "captain whiskers"), click("verify"))
		step(t, "8-signed-in", "#result", typeIn("new_password", "a second tidy passphrase 9"), click("set-password"))
		signedIn(t)
		if !w.passwordSignsIn(t, "a second tidy passphrase 9") {
			t.Fatal("the new password does not sign in")
		}
	})
}
