package emailtemplates

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// samples returns views of kind k: first a typical one (what Sample
// renders), then views that exercise every branch of the built-in
// templates. Load renders each in every language, so that a template
// naming an unknown field or message ID, or calling a function wrongly,
// fails at load time; overrides are checked with them when saved.
func samples(k Kind) []any {
	eu := Audience{AppID: "shop", Profile: map[string]string{"region": "eu", "country": "DE"}}
	var views []any
	switch k {
	case Passwordless:
		views = append(views, PasswordlessView{Audience: eu, Brand: "Acme", App: "Acme Shop", Code: "123456", Link: "https://login.acme.example/magic?t=abc",
			ExpiresMinutes: 10, RequestedAt: "2026-03-14 09:26 UTC", IP: "203.0.113.7"})
	case Lockout:
		views = append(views, LockoutView{Audience: eu, Brand: "Acme", App: "Acme Shop", Until: "2026-03-14 09:56 UTC", Minutes: 30, Attempts: 5})
	case Activation:
		views = append(views, ActivationView{Audience: eu, Brand: "Acme", App: "Acme Shop", Link: "https://login.acme.example/activate?t=abc", ExpiresHours: 72, Name: "Layla"})
	case VerifyEmail:
		views = append(views, VerifyEmailView{Audience: eu, Brand: "Acme", App: "Acme Shop", Code: "482913", Link: "https://login.acme.example/verify?t=abc", ExpiresMinutes: 15})
	case Recovery:
		views = append(views, RecoveryView{Audience: eu, Brand: "Acme", App: "Acme Shop", Code: "705162", Link: "https://login.acme.example/recover?t=abc",
			ExpiresMinutes: 10, RequestedAt: "2026-03-14 09:26 UTC", IP: "203.0.113.7"})
	case EmailChange:
		views = append(views, EmailChangeView{Audience: eu, Brand: "Acme", App: "Acme Shop", Code: "319548", Link: "https://login.acme.example/email?t=abc", ExpiresMinutes: 30})
	}
	for _, n := range []int{1, 2, 3, 11, 100} {
		switch k {
		case Passwordless:
			views = append(views,
				PasswordlessView{Brand: "Acme", App: "Acme Shop", Code: "123456", Link: "https://login.acme.example/magic?t=abc",
					ExpiresMinutes: n, RequestedAt: "2026-03-14 09:26 UTC", IP: "203.0.113.7"},
				PasswordlessView{Brand: "Acme", ExpiresMinutes: n, Link: "https://login.acme.example/", RequestedAt: "2026-03-14 09:26 UTC"},
				PasswordlessView{Brand: "Acme", Code: "123456", ExpiresMinutes: n, Link: "https://login.acme.example/", IP: "203.0.113.7"})
		case Lockout:
			views = append(views,
				LockoutView{Brand: "Acme", App: "Acme Shop", Until: "2026-03-14 09:56 UTC", Minutes: n, Attempts: n},
				LockoutView{Brand: "Acme", Minutes: n, Attempts: n},
				LockoutView{Brand: "Acme", App: "Acme Shop", Minutes: n},
				LockoutView{Brand: "Acme", Until: "2026-03-14 09:56 UTC"},
				LockoutView{})
		case Activation:
			views = append(views,
				ActivationView{Brand: "Acme", App: "Acme Shop", Link: "https://login.acme.example/activate?t=abc", ExpiresHours: n, Name: "Layla"},
				ActivationView{ExpiresHours: n, Link: "https://login.acme.example/"})
		case VerifyEmail:
			views = append(views,
				VerifyEmailView{Brand: "Acme", App: "Acme Shop", Code: "123456", Link: "https://login.acme.example/verify?t=abc", ExpiresMinutes: n},
				VerifyEmailView{Code: "123456", ExpiresMinutes: n, Link: "https://login.acme.example/"},
				// Link only: its life in hours, or else in minutes.
				VerifyEmailView{Brand: "Acme", App: "Acme Shop", Link: "https://login.acme.example/verify-email/lver_abc", ExpiresHours: n},
				VerifyEmailView{ExpiresMinutes: n, Link: "https://login.acme.example/"})
		case Recovery:
			views = append(views,
				RecoveryView{Brand: "Acme", App: "Acme Shop", Code: "123456", Link: "https://login.acme.example/recover?t=abc",
					ExpiresMinutes: n, RequestedAt: "2026-03-14 09:26 UTC", IP: "203.0.113.7"},
				RecoveryView{ExpiresMinutes: n, Link: "https://login.acme.example/"})
		case EmailChange:
			views = append(views,
				EmailChangeView{Brand: "Acme", App: "Acme Shop", Code: "123456", Link: "https://login.acme.example/email?t=abc", ExpiresMinutes: n},
				EmailChangeView{ExpiresMinutes: n, Link: "https://login.acme.example/"})
		}
	}
	switch k {
	case Recovered:
		views = append(views,
			RecoveredView{Audience: eu, Brand: "Acme", At: "2026-03-14 09:31 UTC", IP: "203.0.113.7"},
			RecoveredView{At: "2026-03-14 09:26 UTC"},
			RecoveredView{IP: "203.0.113.7"},
			RecoveredView{})
	case EmailChanged:
		views = append(views,
			EmailChangedView{Audience: eu, Brand: "Acme", NewAddress: "j•••@example.com", At: "2026-03-14 09:40 UTC"},
			EmailChangedView{NewAddress: "j•••@example.com"},
			EmailChangedView{})
	case Welcome:
		views = append(views,
			WelcomeView{Audience: eu, Brand: "Acme", App: "Acme Shop", Name: "Layla", Login: "layla@example.com", Link: "https://shop.acme.example/"},
			WelcomeView{Brand: "Acme", Login: "layla"},
			WelcomeView{})
	case PasswordChanged:
		views = append(views,
			PasswordChangedView{Audience: eu, Brand: "Acme", App: "Acme Shop", ChangedAt: "2026-03-14 09:26 UTC", IP: "203.0.113.7", Device: "Firefox on Linux"},
			PasswordChangedView{Brand: "Acme", ChangedAt: "2026-03-14 09:26 UTC"},
			PasswordChangedView{})
	case FactorEnrolled:
		views = append(views,
			FactorEnrolledView{Audience: eu, Brand: "Acme", App: "Acme Shop", Factor: "passkey", Label: "My laptop", EnrolledAt: "2026-03-14 09:26 UTC",
				IP: "203.0.113.7", Device: "Safari on macOS"},
			FactorEnrolledView{Brand: "Acme", Factor: "totp"},
			FactorEnrolledView{Factor: "unknown"},
			FactorEnrolledView{})
	case NewDevice:
		views = append(views,
			NewDeviceView{Audience: eu, Brand: "Acme", App: "Acme Shop", At: "2026-03-14 09:26 UTC", IP: "203.0.113.7", Device: "Chrome on Android",
				Location: "Berlin, Germany", Link: "https://login.acme.example/security"},
			NewDeviceView{Brand: "Acme", At: "2026-03-14 09:26 UTC"},
			NewDeviceView{})
	}
	return views
}

// ErrUnknownKind is returned (wrapped) for a kind that is not one of
// Kinds: by ParseOverrides for an override of such a kind, by Sample.
var ErrUnknownKind = errors.New("unknown email kind")

// Sample renders the first sample view of kind k (a typical email of
// brand "Acme", app "Acme Shop", with example links, codes and times)
// in the language matching lang, with the set's theme, overrides and
// texts: what a preview shows. The error wraps ErrUnknownKind for a
// kind that is not one of Kinds, else as the kind's method's.
func (s *Set) Sample(lang string, k Kind) (Rendered, error) {
	return s.SampleFor(lang, k, Site{})
}

// Site is whose sample a preview shows: the brand's name, the app's, and
// the base URL of the brand's site ("https://login.acme.com"), which
// sample links start with. Empty fields keep the sample's.
type Site struct {
	Brand, App, Base string
}

// SampleFor is Sample as site would send it: its brand's and app's
// names, its links on site.Base (only an https base: a link must be
// https).
func (s *Set) SampleFor(lang string, k Kind, site Site) (Rendered, error) {
	if !slices.Contains(Kinds(), k) {
		return Rendered{}, fmt.Errorf("emailtemplates: %w: %q", ErrUnknownKind, cut(string(k), maxLangLen))
	}
	v := reflect.New(reflect.TypeOf(samples(k)[0])).Elem()
	v.Set(reflect.ValueOf(samples(k)[0]))
	if f := v.FieldByName("Brand"); site.Brand != "" && f.IsValid() {
		f.SetString(site.Brand)
	}
	if f := v.FieldByName("App"); site.App != "" && f.IsValid() {
		f.SetString(site.App)
	}
	if f := v.FieldByName("Link"); f.IsValid() && strings.HasPrefix(site.Base, "https://") {
		if rest, ok := strings.CutPrefix(f.String(), sampleBase); ok {
			f.SetString(strings.TrimSuffix(site.Base, "/") + rest)
		}
	}
	return s.send(lang, v.Interface())
}

// sampleBase is where the sample links point, before SampleFor moves
// them to a site.
const sampleBase = "https://login.acme.example"

// send renders view v, of any kind, with its kind's method, which
// checks and cleans it.
func (s *Set) send(lang string, v any) (Rendered, error) {
	switch v := v.(type) {
	case PasswordlessView:
		return s.Passwordless(lang, v)
	case LockoutView:
		return s.Lockout(lang, v)
	case ActivationView:
		return s.Activation(lang, v)
	case VerifyEmailView:
		return s.VerifyEmail(lang, v)
	case RecoveryView:
		return s.Recovery(lang, v)
	case RecoveredView:
		return s.Recovered(lang, v)
	case EmailChangeView:
		return s.EmailChange(lang, v)
	case EmailChangedView:
		return s.EmailChanged(lang, v)
	case WelcomeView:
		return s.Welcome(lang, v)
	case PasswordChangedView:
		return s.PasswordChanged(lang, v)
	case FactorEnrolledView:
		return s.FactorEnrolled(lang, v)
	case NewDeviceView:
		return s.NewDevice(lang, v)
	}
	panic(fmt.Sprintf("emailtemplates: %T is not a view", v)) // a programming error: samples are views
}

// check renders p, the templates of kind k, with every sample view of
// k in every sample theme in English, and with the first sample view in
// the first right-to-left language of the catalog. Every language has
// every message with the same parameters (package locales checks it),
// so the other languages differ only in their texts and direction; the
// package's tests render every kind in every language. Start-up stays
// cheap: it runs wherever a Set is made, every test world included. It
// leaves the CSS as it is but for one rendering: inlining does not
// depend on the language.
func (s *Set) check(k Kind, p *parts) error {
	views := samples(k)
	langs := []string{fallbackLang}
	for _, tag := range s.cat.Languages() {
		if s.cat.Localizer(tag).Dir() == "rtl" {
			langs = append(langs, tag.String())
			break
		}
	}
	for i, lang := range langs {
		themes, vs := sampleThemes(), views
		if i > 0 {
			themes, vs = themes[:1], views[:1]
		}
		for _, t := range themes {
			for _, v := range vs {
				if _, err := p.execute(v, func(over string) env { return s.envTheme(lang, over, t) }); err != nil {
					return err
				}
			}
		}
	}
	if _, err := p.render(views[0], func(over string) env { return s.env(fallbackLang, over) }); err != nil {
		return err
	}
	return nil
}

// envTheme is s.env with theme t.
func (s *Set) envTheme(lang, over string, t themeData) env {
	e := s.env(lang, over)
	e.Theme = t
	return e
}

// fallbackLang is the catalog's first language, which serves a person
// whose language it lacks.
const fallbackLang = "en"

// sampleThemes are the themes templates are checked with: the default,
// a brand's light theme with a logo, and a dark one without.
func sampleThemes() []themeData {
	return []themeData{DefaultTheme().data(), sampleBrandTheme().data(), sampleDarkTheme().data()}
}

// sampleBrandTheme is a brand's light theme: a blue accent, a serif-less
// font list with a quoted family, and a logo of known size.
func sampleBrandTheme() Theme {
	return Theme{
		Background: "#eef2ff", Surface: "#ffffff", Border: "#c7d2fe", Text: "#1e1b4b", Muted: "#4b5563",
		Accent: "#4338ca", OnAccent: "#ffffff", Link: "#4338ca",
		Font:   `"Helvetica Neue", Helvetica, Arial, sans-serif`,
		Radius: "12px",
		Logo:   "https://login.acme.example/branding/assets/ast_logo.png", LogoAlt: "Acme",
		LogoWidth: 320, LogoHeight: 96,
	}
}

// sampleDarkTheme is a dark theme: dark background and surface, light
// text, no logo.
func sampleDarkTheme() Theme {
	return Theme{
		Background: "#09090b", Surface: "#18181b", Border: "#3f3f46", Text: "#fafafa", Muted: "#a1a1aa",
		Accent: "#a5b4fc", OnAccent: "#1e1b4b", Link: "#a5b4fc",
		Font: "Arial, Helvetica, sans-serif", Radius: "8px", Dark: true,
	}
}
