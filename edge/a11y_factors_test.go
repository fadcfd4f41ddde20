package edge

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lintel-id/lintel/internal/browsertest"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/factor/totp"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// carol signs in with a password and an authenticator app, or one of her
// recovery codes.
const (
	carol     = "carol@example.com"
	carolPass = "carol's long passphrase"
	carolKey  = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
)

// a11yFactors is what the accessibility pass needs for the factor pages:
// an app whose rule asks for a second factor, and carol with an app and
// recovery codes.
type a11yFactors struct {
	w     *siteWorld
	app   tenant.App
	codes []string
}

func newA11yFactors(t *testing.T, w *siteWorld) *a11yFactors {
	t.Helper()
	f := &a11yFactors{w: w}
	hash, err := w.passwords.Hash(context.Background(), carolPass)
	if err != nil {
		t.Fatal(err)
	}
	err = w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if f.app, _, err = w.tenants.CreateApp(ctx, tx, w.acme.ID, tenant.AppInput{Name: "Acme Vault", Type: tenant.AppWeb, RedirectURIs: []string{rpCallback}}); err != nil {
			return err
		}
		if _, err := w.policies.PutSignOnPolicy(ctx, tx, w.acme.ID, f.app.ID, []policy.Rule{{Name: "vault", Access: policy.AccessAllow, Factors: 2,
			Authenticators: []string{policy.AuthPassword, policy.AuthTOTP, policy.AuthRecoveryCode}}}); err != nil {
			return err
		}
		u, err := w.dir.CreateUser(ctx, tx, w.acme.ID, directory.UserInput{Login: carol, Email: carol, EmailVerified: true, Name: "Carol"})
		if err != nil {
			return err
		}
		if err := w.dir.SetCredential(ctx, tx, w.acme.ID, u.ID, directory.CredentialPassword, hash); err != nil {
			return err
		}
		c, err := w.dir.AddCredential(ctx, tx, w.acme.ID, u.ID, directory.CredentialInput{Type: directory.CredentialTOTP, Secret: "pending"})
		if err != nil {
			return err
		}
		seed, err := totp.ParseSeed(carolKey, "", 0, 0)
		if err != nil {
			return err
		}
		stored, err := w.engine.TOTP.Seal(c.ID, seed)
		if err != nil {
			return err
		}
		if err := w.dir.SwapCredentialSecret(ctx, tx, w.acme.ID, u.ID, c.ID, "pending", stored, true); err != nil {
			return err
		}
		var codes string
		if f.codes, codes, err = w.engine.Codes.Generate(0); err != nil {
			return err
		}
		_, err = w.dir.AddCredential(ctx, tx, w.acme.ID, u.ID, directory.CredentialInput{Type: directory.CredentialRecoveryCodes, Secret: codes, Verified: true})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// walk checks the factor pages in a browser context of its own: the
// authenticator app's step, a wrong code, the choice of another way, the
// recovery code's step; then, signed in with a recovery code (one per
// language), the account page and setting up another app from it with
// its QR code.
func (f *a11yFactors) walk(t *testing.T, browser context.Context, lang string,
	check func(context.Context, string, a11yWant),
	do func(context.Context, ...chromedp.Action[chromedp.Void]),
	next func(context.Context, string, ...chromedp.Action[chromedp.Void]),
) {
	t.Helper()
	w := f.w
	c := browsertest.Isolated(t, browser)
	click := func(value string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(`button[value="` + value + `"]`))
	}
	typeIn := func(field, text string) chromedp.Action[chromedp.Void] {
		return chromedp.SendKeys(chromedp.CSS("#f-"+field), text)
	}
	_, challenge := pkce("a11y-factors")
	do(c, chromedp.Navigate(w.authorizeURL(challenge, "client_id", f.app.ID, "ui_locales", lang)), chromedp.WaitVisible(chromedp.CSS("#f-login")))
	next(c, "#f-password", typeIn("login", carol), click("next"))
	next(c, `[data-step="challenge-totp"]`, typeIn("password", carolPass), click("sign-in"))
	check(c, "totp", a11yWant{})
	next(c, "#msg-code", typeIn("code", "000000"), click("verify"))
	check(c, "totp-wrong", a11yWant{invalid: "code"})
	next(c, `[data-step="select-authenticator"]`, click("another-way"))
	check(c, "select-authenticator", a11yWant{})
	next(c, `[data-step="challenge-recovery-code"]`, chromedp.SetValue(chromedp.CSS("#f-authenticator"), policy.AuthRecoveryCode), click("select"))
	check(c, "recovery-code", a11yWant{})
	code := f.codes[0]
	if lang != "en" {
		code = f.codes[1]
	}
	// Signed in, the browser goes on to the relying party (not served
	// here); the session stays.
	do(c, typeIn("code", code), click("verify"))
	do(c, chromedp.WaitNotPresent(chromedp.CSS(`[data-step="challenge-recovery-code"]`)))
	do(c, chromedp.Navigate(w.srv.URL+engine.SecurityPath+"?ui_locales="+lang), chromedp.WaitVisible(chromedp.CSS(`[data-step="security"]`)))
	check(c, "security", a11yWant{browse: true})
	next(c, `[data-step="enroll-totp"] svg`, chromedp.Click(chromedp.CSS(`button[name="factor"][value="totp"]`)))
	check(c, "enroll-totp", a11yWant{})
	next(c, `[data-step="security"]`, click("cancel"))
}
