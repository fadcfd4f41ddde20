package emailtemplates_test

import (
	"errors"
	"fmt"
	"log"
	"strings"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/locales"
)

// newSet returns the built-in templates with the embedded catalogs, as
// the server loads them.
func newSet() *emailtemplates.Set {
	cat, err := locales.Load(locales.FS())
	if err != nil {
		log.Fatal(err)
	}
	set, err := emailtemplates.New(cat)
	if err != nil {
		log.Fatal(err)
	}
	return set
}

// The passwordless factor renders its email in the person's language and
// hands the three parts to the mail outbox.
func Example() {
	set := newSet()
	msg, err := set.Passwordless("en-GB", emailtemplates.PasswordlessView{
		Brand:          "Acme",
		App:            "Acme Shop",
		Code:           "123456",
		Link:           "https://login.acme.example/magic/confirm?t=q2Xv9kLm",
		ExpiresMinutes: 10,
		RequestedAt:    "14 March 2026, 09:26 UTC",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("Subject:", msg.Subject)
	fmt.Println()
	fmt.Print(msg.Text)
	fmt.Println(strings.HasPrefix(msg.HTML, `<!DOCTYPE html><html lang="en" dir="ltr">`))
	// Output:
	// Subject: Sign in to Acme Shop
	//
	// Sign in to Acme Shop
	//
	// Enter this code on the sign-in page:
	//
	//     123456
	//
	// Or open this link to sign in:
	//
	// https://login.acme.example/magic/confirm?t=q2Xv9kLm
	//
	// The link opens a page that asks you to confirm. The code and the link expire in 10 minutes. Do not share them with anyone.
	//
	// Requested at 14 March 2026, 09:26 UTC.
	//
	// If you did not try to sign in, ignore this email: no action is taken and your account stays as it is.
	//
	// Acme
	// true
}

// A person whose locale the catalog lacks gets English; a regional
// variant gets its language.
func ExampleSet_Languages() {
	set := newSet()
	fmt.Println(set.Languages()[0])
	for _, locale := range []string{"ar-EG", "x-klingon", ""} {
		msg, err := set.Lockout(locale, emailtemplates.LockoutView{Brand: "Acme", Minutes: 15})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%q: %s\n", locale, msg.HTML[len("<!DOCTYPE html>"):strings.Index(msg.HTML, "><head>")+1])
	}
	// Output:
	// en
	// "ar-EG": <html lang="ar" dir="rtl">
	// "x-klingon": <html lang="en" dir="ltr">
	// "": <html lang="en" dir="ltr">
}

// A link that is not https is refused before anything is rendered.
func ExampleSet_Passwordless_refusesLinks() {
	set := newSet()
	_, err := set.Passwordless("en", emailtemplates.PasswordlessView{Code: "123456", Link: "http://login.acme.example/m"})
	fmt.Println(err)
	// Output:
	// emailtemplates: link is not an absolute https URL: the scheme must be https
}

// An administrator created an account: the person gets a link to
// activate it, in their language.
func ExampleSet_Activation() {
	set := newSet()
	msg, err := set.Activation("en-US", emailtemplates.ActivationView{
		Brand:        "Acme",
		Link:         "https://login.acme.example/activate/confirm?t=Hk3p7wQz",
		ExpiresHours: 72,
		Name:         "Layla",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("Subject:", msg.Subject)
	fmt.Println()
	fmt.Print(msg.Text)
	// Output:
	// Subject: Your account at Acme is ready: activate it
	//
	// Activate your account
	//
	// Hello Layla,
	//
	// An administrator has created an account for you. To start using it, activate it: confirm your email address and choose how you will sign in.
	//
	// https://login.acme.example/activate/confirm?t=Hk3p7wQz
	//
	// You can sign in with a passkey (your fingerprint, your face or your device's screen lock), with a password, or with neither, in which case you receive a one-time code by email each time you sign in.
	//
	// The link expires in 72 hours; after that, ask your administrator for a new one. Do not share it with anyone: whoever opens it can set up your account.
	//
	// If you were not expecting this account, you can ignore this email: the account stays inactive.
	//
	// Acme
}

// The notice to the old address names the new one, masked by the
// caller, in the body only, and holds no link. In Arabic, inserted
// values are wrapped in directional isolates (U+2068 … U+2069).
func ExampleSet_EmailChanged() {
	set := newSet()
	msg, err := set.EmailChanged("ar-SA", emailtemplates.EmailChangedView{
		Brand:      "Acme",
		NewAddress: "j•••@example.com",
		At:         "14 March 2026, 09:40 UTC",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", msg.Subject)
	fmt.Println(strings.Contains(msg.Text, "j•••@example.com"), strings.Contains(msg.Subject, "example.com"), strings.Contains(msg.HTML, "href"))
	// Output:
	// "تم تغيير عنوان البريد الإلكتروني لحسابك في \u2068Acme\u2069"
	// true false false
}

// A brand's emails: its design tokens and logo, and a tenant's own
// subject for the sign-in email. The text body stays the built-in one.
func ExampleSet_With() {
	set := newSet()
	overrides, err := set.ParseOverrides(map[string]map[string]emailtemplates.Override{
		"en": {"passwordless": {Subject: "{{.Brand}}: your sign-in code"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	theme := emailtemplates.DefaultTheme()
	theme.Accent, theme.Radius = "#4338ca", "12px"
	theme.Logo, theme.LogoAlt = "https://login.acme.example/branding/assets/ast_logo.png", "Acme"
	msg, err := set.With(theme, overrides).Passwordless("en", emailtemplates.PasswordlessView{
		Brand: "Acme", Code: "123456", Link: "https://login.acme.example/magic/confirm?t=q2Xv9kLm", ExpiresMinutes: 10,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(msg.Subject)
	fmt.Println(strings.Contains(msg.HTML, `<img src="https://login.acme.example/branding/assets/ast_logo.png" alt="Acme"`))
	fmt.Println(strings.Contains(msg.HTML, "background-color:#4338ca"))
	// Output:
	// Acme: your sign-in code
	// true
	// true
}

// An override that could leak the code to a lock screen is refused.
func ExampleSet_ParseOverrides() {
	_, err := newSet().ParseOverrides(map[string]map[string]emailtemplates.Override{
		"en": {"passwordless": {Subject: "Your code is {{.Code}}"}},
	})
	fmt.Println(errors.Is(err, emailtemplates.ErrTemplate))
	fmt.Println(err)
	// Output:
	// true
	// emailtemplates: bad template: override en/passwordless.subject.txt shows the code, the link or the new address: they belong in the bodies only
}
