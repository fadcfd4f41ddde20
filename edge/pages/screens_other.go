package pages

import (
	"time"

	"github.com/a-h/templ"
)

// sampleRequestID is the request ID the error screens show.
const sampleRequestID = "REQUESTID0000000000000000A"

// sampleToken stands for an emailed link's token in the screens' forms.
const sampleToken = "SAMPLETOKEN"

// otherScreens are the pages that show no flow step, with the view
// structs the edge fills for them (edge/errorpages.go, federation.go,
// protocol.go, link.go, activate.go, verify.go, account.go, security.go).
func otherScreens() []Screen {
	return []Screen{
		errorScreen("error-404", "error.http_404.title", Problem{Message: "error.http_404.text"}),
		// Going elsewhere does not lift a rate limit: the 429 has no link
		// home, as on the edge.
		errorScreen("error-429", "error.http_429.title", Problem{Message: "error.http_429.text",
			Retry: "error.http_429.retry", RetryParams: []string{"count", "30"}}),
		errorScreen("error-500", "error.http_500.title", Problem{Message: "error.http_500.text"}),
		handoverScreen(),
		screen("logout", "logout.title", func(p Page) templ.Component {
			return LogoutPage(p, LogoutForm{Action: "/oauth2/default/v1/logout", ClientID: sampleApp.ID,
				PostLogoutRedirectURI: "https://shop.acme.example/signed-out", State: "sample-state"})
		}),
		screen("logged-out", "logout.done", LoggedOutPage),
		screen("link-confirm", "link.confirm.title", func(p Page) templ.Component {
			return ConfirmPage(p, Confirm{Step: "confirm-link", App: sampleApp.Name, Intro: "link.confirm.intro",
				IntroParams: []string{"app", sampleApp.Name}, Button: "action.continue", Action: "/signin/email/" + sampleToken})
		}),
		infoScreen("link-elsewhere", "link.elsewhere.title", "link.elsewhere.help", "app", sampleApp.Name),
		screen("activate", "activate.title", func(p Page) templ.Component {
			return ConfirmPage(p, Confirm{Step: "confirm-activation", App: sampleApp.Name, Intro: "activate.intro",
				Button: "action.activate", Action: "/activate/" + sampleToken + "?app=" + sampleApp.ID})
		}),
		infoScreen("activate-done", "activate.done.title", "activate.done.help"),
		screen("verify-email", "verify_email.title", func(p Page) templ.Component {
			return ConfirmPage(p, Confirm{Step: "confirm-verification", Intro: "verify_email.intro",
				Button: "action.confirm_email", Action: "/verify-email/" + sampleToken})
		}),
		infoScreen("verify-email-done", "verify_email.done.title", "verify_email.done.help"),
		infoScreen("email-changed", "email.changed.title", "email.changed.help"),
		screen("security", "security.title", func(p Page) templ.Component { return SecurityPage(p, sampleSecurity()) }),
	}
}

// errorScreen is an error page: the request ID for support, and a link
// home when the brand has one (not on a 429).
func errorScreen(name, title string, e Problem) Screen {
	return screen(name, title, func(p Page) templ.Component {
		shown := e // a copy: each render sets its own
		shown.RequestID = sampleRequestID
		if shown.Retry == "" {
			shown.Home = p.Brand.Home
		}
		return ErrorPage(p, shown)
	})
}

// infoScreen is a page that tells one thing.
func infoScreen(name, title, message string, params ...string) Screen {
	return screen(name, title, func(p Page) templ.Component { return InfoPage(p, message, params...) })
}

// sampleSecurity is a person with one factor of each kind, a notice
// after a change, and every factor they may add (the engine's
// Enrollable).
func sampleSecurity() Security {
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 9, 41, 0, 0, time.UTC) }
	return Security{
		Login:  sampleUser,
		Notice: "security.renamed",
		Action: "/account/security",
		Factors: []SecurityFactor{
			{ID: "fac_passkey", Kind: "passkey", Label: "Work laptop", Added: day(time.January, 12), LastUsed: day(time.March, 2)},
			{ID: "fac_totp", Kind: "totp", Added: day(time.February, 3)},
			{ID: "fac_sms", Kind: "sms", Detail: "+44 ••• ••• ••23", Added: day(time.February, 3), LastUsed: day(time.February, 20)},
			{ID: "fac_codes", Kind: "recovery_code", Remaining: 8, Added: day(time.February, 3)},
		},
		Add: []string{"passkey", "totp", "sms", "security_answer", "recovery_code"},
	}
}
