package emailtemplates

// ActivationView is what the activation templates receive: the email
// that invites a person whose account an administrator created to
// activate it. Its link lets them confirm their email address and choose
// how they sign in: a passkey, a password, or neither (one-time codes by
// email). Strings are shown as given (after cleaning, see the package
// doc); format numbers before.
type ActivationView struct {
	// Audience is who receives it, for conditions in templates.
	Audience
	// Brand is the product or company name shown: "Acme".
	Brand string
	// App is the app the account was made for: "Acme Shop"; "" leaves
	// it out.
	App string
	// Link is the activation link, as for PasswordlessView.Link: an
	// absolute https URL of URL-safe ASCII. Set.Activation refuses any
	// other link with ErrBadLink. Templates never put it in the subject
	// or the preheader.
	Link string
	// ExpiresHours is how long the link stays valid, in hours.
	ExpiresHours int
	// Name is the person's name, used in the greeting: "Layla"; ""
	// leaves the greeting out.
	Name string
}

// VerifyEmailView is what the verify-email templates receive: the email
// that asks a person who registered to confirm their address, with a
// one-time code and a link (verification before the account exists), or
// with a link only (verification after: the account exists already, and
// there is no page waiting for a code). Strings are shown as given
// (after cleaning); format numbers before.
type VerifyEmailView struct {
	// Audience is who receives it, for conditions in templates.
	Audience
	// Brand is the product or company name shown: "Acme".
	Brand string
	// App is the app the person registered with: "Acme Shop". The
	// templates use Brand when it is empty.
	App string
	// Code is the one-time code, "123456", as for
	// PasswordlessView.Code: in the bodies only, never in the link, the
	// subject or the preheader. "" (after cleaning) makes the link-only
	// email: no code, no request to enter one, and the expiry told of
	// the link alone.
	Code string
	// Link is the confirmation link, as for PasswordlessView.Link. Its
	// GET shows a confirmation page. Set.VerifyEmail refuses any other
	// link with ErrBadLink.
	Link string
	// ExpiresMinutes is how long the code and the link stay valid.
	ExpiresMinutes int
	// ExpiresHours, in the link-only email (Code ""), is how long the
	// link stays valid, in hours; when it is 0, that email tells
	// ExpiresMinutes instead. An email with a code ignores it.
	ExpiresHours int
}

// Activation renders the account-activation email in the language
// matching lang (as for Passwordless). The link must pass the check
// Passwordless makes, or Activation returns ErrBadLink before anything
// is rendered. The error wraps ErrBadLink, ErrTooLarge, or a template
// execution error.
func (s *Set) Activation(lang string, v ActivationView) (Rendered, error) {
	v.Audience = cleanAudience(v.Audience)
	if err := checkLink(v.Link); err != nil {
		return Rendered{}, err
	}
	v.Brand, v.App, v.Name = clean(v.Brand), clean(v.App), clean(v.Name)
	return s.render(lang, Activation, v)
}

// VerifyEmail renders the email-confirmation email of a registration,
// with a code and a link, or with the link only when v.Code is empty
// (see VerifyEmailView), in the language matching lang (as for
// Passwordless). The link must pass the check Passwordless
// makes, or VerifyEmail returns ErrBadLink before anything is rendered.
// The error wraps ErrBadLink, ErrTooLarge, or a template execution
// error.
func (s *Set) VerifyEmail(lang string, v VerifyEmailView) (Rendered, error) {
	v.Audience = cleanAudience(v.Audience)
	if err := checkLink(v.Link); err != nil {
		return Rendered{}, err
	}
	v.Brand, v.App, v.Code = clean(v.Brand), clean(v.App), clean(v.Code)
	return s.render(lang, VerifyEmail, v)
}
