package emailtemplates

import "fmt"

// What a template receives is its kind's view struct with the email's
// environment beside it: each xxxData type below embeds the view and
// env, so that templates name the view's fields directly ({{.Brand}},
// {{.Profile.region}}) and the environment's as {{.Theme.Accent}},
// {{.Locale}}, {{.Dir}} ({{$.Theme.Accent}} inside {{with}}). Go cannot
// embed a type parameter, hence one small type per kind;
// TestDataCoversEveryView keeps them in step with the views.

// env is what every template receives beside its view.
type env struct {
	// Theme is the brand's design tokens (see README.md, "Theme").
	Theme themeData
	// Locale is the email's language, a BCP 47 tag for <html lang>:
	// the catalog language that serves the person's ("en", "ar"), or a
	// language-specific override's language.
	Locale string
	// Dir is the writing direction for <html dir>: "ltr" or "rtl".
	Dir string
	// L serves t, plural and factor (see bind).
	L translator
}

type passwordlessData struct {
	PasswordlessView
	env
}

type lockoutData struct {
	LockoutView
	env
}

type activationData struct {
	ActivationView
	env
}

type verifyEmailData struct {
	VerifyEmailView
	env
}

type recoveryData struct {
	RecoveryView
	env
}

type recoveredData struct {
	RecoveredView
	env
}

type emailChangeData struct {
	EmailChangeView
	env
}

type emailChangedData struct {
	EmailChangedView
	env
}

type welcomeData struct {
	WelcomeView
	env
}

type passwordChangedData struct {
	PasswordChangedView
	env
}

type factorEnrolledData struct {
	FactorEnrolledView
	env
}

type newDeviceData struct {
	NewDeviceView
	env
}

// withEnv returns what templates receive for view, a view struct of
// one of the kinds, in environment e.
func withEnv(view any, e env) any {
	switch v := view.(type) {
	case PasswordlessView:
		return passwordlessData{v, e}
	case LockoutView:
		return lockoutData{v, e}
	case ActivationView:
		return activationData{v, e}
	case VerifyEmailView:
		return verifyEmailData{v, e}
	case RecoveryView:
		return recoveryData{v, e}
	case RecoveredView:
		return recoveredData{v, e}
	case EmailChangeView:
		return emailChangeData{v, e}
	case EmailChangedView:
		return emailChangedData{v, e}
	case WelcomeView:
		return welcomeData{v, e}
	case PasswordChangedView:
		return passwordChangedData{v, e}
	case FactorEnrolledView:
		return factorEnrolledData{v, e}
	case NewDeviceView:
		return newDeviceData{v, e}
	}
	panic(fmt.Sprintf("emailtemplates: %T is not a view", view)) // a programming error: the Set methods pass their own view types
}
