package emailtemplates

import "fmt"

// What a template receives is its kind's view struct with the theme
// beside it: each xxxData type below embeds the view, so that
// templates keep naming the view's fields directly ({{.Brand}},
// {{.Code}}) and reach the theme as {{.Theme.Accent}} ({{$.Theme.Accent}}
// inside {{with}}). Go cannot embed a type parameter, hence one small
// type per kind; TestDataCoversEveryView keeps them in step with the
// views.

type passwordlessData struct {
	PasswordlessView
	Theme themeData
}

type lockoutData struct {
	LockoutView
	Theme themeData
}

type activationData struct {
	ActivationView
	Theme themeData
}

type verifyEmailData struct {
	VerifyEmailView
	Theme themeData
}

type recoveryData struct {
	RecoveryView
	Theme themeData
}

type recoveredData struct {
	RecoveredView
	Theme themeData
}

type emailChangeData struct {
	EmailChangeView
	Theme themeData
}

type emailChangedData struct {
	EmailChangedView
	Theme themeData
}

// themed returns what templates receive for view, a view struct of one
// of the kinds, rendered with theme t.
func themed(view any, t themeData) any {
	switch v := view.(type) {
	case PasswordlessView:
		return passwordlessData{v, t}
	case LockoutView:
		return lockoutData{v, t}
	case ActivationView:
		return activationData{v, t}
	case VerifyEmailView:
		return verifyEmailData{v, t}
	case RecoveryView:
		return recoveryData{v, t}
	case RecoveredView:
		return recoveredData{v, t}
	case EmailChangeView:
		return emailChangeData{v, t}
	case EmailChangedView:
		return emailChangedData{v, t}
	}
	panic(fmt.Sprintf("emailtemplates: %T is not a view", view)) // a programming error: the Set methods pass their own view types
}
