package emailtemplates

import (
	"maps"
	"slices"
)

// Audience is embedded in every view: who receives the email, as far
// as templates may branch on it ({{if eq .Profile.region "eu"}},
// {{if eq .AppID "shop"}}). Built-in templates and overrides read it;
// no secret belongs in it.
type Audience struct {
	// AppID is the OAuth client ID of the app the person used; "" when
	// none.
	AppID string
	// Profile holds the person's profile attributes as strings
	// ("region": "eu", "country": "DE"); nil when unknown. A missing
	// attribute reads as "". Never secrets.
	Profile map[string]string
}

// cleanAudience cleans a's values as view strings are cleaned, and
// copies the profile so that the caller's map is never read while a
// template runs.
func cleanAudience(a Audience) Audience {
	a.AppID = clean(a.AppID)
	if a.Profile == nil {
		return a
	}
	p := make(map[string]string, len(a.Profile))
	for _, k := range slices.Sorted(maps.Keys(a.Profile)) {
		p[clean(k)] = clean(a.Profile[k])
	}
	a.Profile = p
	return a
}

// WelcomeView is what the welcome templates receive: the greeting sent
// once an account exists (registered, or activated). Strings are shown
// as given (after cleaning, see the package doc).
type WelcomeView struct {
	Audience
	// Brand is the product or company name shown: "Acme".
	Brand string
	// App is the app the account was made with: "Acme Shop"; "" leaves
	// it out (the subject then uses Brand).
	App string
	// Name is the person's name, for the greeting: "Layla"; "" greets
	// without a name.
	Name string
	// Login is what the person signs in with (their email address or
	// username); "" leaves it out.
	Login string
	// Link is an optional https link to the app or its sign-in page, as
	// for PasswordlessView.Link; "" for none. Set.Welcome refuses any
	// other non-empty link with ErrBadLink.
	Link string
}

// PasswordChangedView is what the password-changed templates receive:
// the notice that the account's password was changed. It holds no link
// and no password. Strings are shown as given (after cleaning);
// preformat times.
type PasswordChangedView struct {
	Audience
	// Brand is the product or company name shown: "Acme".
	Brand string
	// App is the app the change was made in; "" leaves it out.
	App string
	// ChangedAt is when, preformatted in the person's language and time
	// zone; "" leaves it out.
	ChangedAt string
	// IP is the client address that changed it; "" leaves it out.
	IP string
	// Device describes the browser and system ("Firefox on Linux"); ""
	// leaves it out.
	Device string
}

// FactorEnrolledView is what the factor-enrolled templates receive: the
// notice that a sign-in method was added to the account. It holds no
// link and no credential. Strings are shown as given (after cleaning).
type FactorEnrolledView struct {
	Audience
	// Brand is the product or company name shown: "Acme".
	Brand string
	// App is the app the method was added in; "" leaves it out.
	App string
	// Factor is the authenticator type: password, email, passkey, totp,
	// sms, voice, recovery_code or security_answer. It is shown through
	// the catalog's authenticator.<type> text ("Passkey"); another
	// value is shown as the generic "Verification method".
	Factor string
	// Label is the name the person gave the method ("My phone"); ""
	// leaves it out.
	Label string
	// EnrolledAt is when, preformatted; "" leaves it out.
	EnrolledAt string
	// IP is the client address that added it; "" leaves it out.
	IP string
	// Device describes the browser and system; "" leaves it out.
	Device string
}

// NewDeviceView is what the new-device templates receive: the notice
// that the account was signed in to from a device it had not been used
// on. Strings are shown as given (after cleaning).
type NewDeviceView struct {
	Audience
	// Brand is the product or company name shown: "Acme".
	Brand string
	// App is the app signed in to; "" leaves it out.
	App string
	// At is when, preformatted; "" leaves it out.
	At string
	// IP is the client address; "" leaves it out.
	IP string
	// Device describes the browser and system; "" leaves it out.
	Device string
	// Location is an approximate place from the IP address ("Berlin,
	// Germany"); "" leaves it out.
	Location string
	// Link is an optional https link to the account's sign-in methods
	// page, as for PasswordlessView.Link; "" for none.
	Link string
}

// Welcome renders the welcome email in the language matching lang (as
// for Passwordless). A non-empty link must pass the check Passwordless
// makes. The error wraps ErrBadLink, ErrTooLarge, or a template
// execution error.
func (s *Set) Welcome(lang string, v WelcomeView) (Rendered, error) {
	if v.Link != "" {
		if err := checkLink(v.Link); err != nil {
			return Rendered{}, err
		}
	}
	v.Audience = cleanAudience(v.Audience)
	v.Brand, v.App, v.Name, v.Login = clean(v.Brand), clean(v.App), clean(v.Name), clean(v.Login)
	return s.render(lang, Welcome, v)
}

// PasswordChanged renders the password-changed notice in the language
// matching lang (as for Passwordless): what happened, when, from where,
// and to contact support if it was not the person. The error wraps
// ErrTooLarge or a template execution error.
func (s *Set) PasswordChanged(lang string, v PasswordChangedView) (Rendered, error) {
	v.Audience = cleanAudience(v.Audience)
	v.Brand, v.App, v.ChangedAt = clean(v.Brand), clean(v.App), clean(v.ChangedAt)
	v.IP, v.Device = clean(v.IP), clean(v.Device)
	return s.render(lang, PasswordChanged, v)
}

// FactorEnrolled renders the notice that a sign-in method was added, in
// the language matching lang (as for Passwordless). The error wraps
// ErrTooLarge or a template execution error.
func (s *Set) FactorEnrolled(lang string, v FactorEnrolledView) (Rendered, error) {
	v.Audience = cleanAudience(v.Audience)
	v.Brand, v.App, v.Factor, v.Label = clean(v.Brand), clean(v.App), clean(v.Factor), clean(v.Label)
	v.EnrolledAt, v.IP, v.Device = clean(v.EnrolledAt), clean(v.IP), clean(v.Device)
	return s.render(lang, FactorEnrolled, v)
}

// NewDevice renders the new-device sign-in notice in the language
// matching lang (as for Passwordless). A non-empty link must pass the
// check Passwordless makes. The error wraps ErrBadLink, ErrTooLarge, or
// a template execution error.
func (s *Set) NewDevice(lang string, v NewDeviceView) (Rendered, error) {
	if v.Link != "" {
		if err := checkLink(v.Link); err != nil {
			return Rendered{}, err
		}
	}
	v.Audience = cleanAudience(v.Audience)
	v.Brand, v.App, v.At, v.IP = clean(v.Brand), clean(v.App), clean(v.At), clean(v.IP)
	v.Device, v.Location = clean(v.Device), clean(v.Location)
	return s.render(lang, NewDevice, v)
}
