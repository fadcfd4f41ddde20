package emailtemplates

// EmailChangeView is what the email-change templates receive: the email
// sent to a new address, asking to confirm it with a one-time code or a
// link before it becomes the account's sign-in email. Strings are shown
// as given (after cleaning, see the package doc); format numbers before.
type EmailChangeView struct {
	// Audience is who receives it, for conditions in templates.
	Audience
	// Brand is the product or company name shown: "Acme".
	Brand string
	// App is the app the change was asked for in: "Acme Shop". The
	// subject uses Brand when it is empty.
	App string
	// Code is the one-time code, "123456", as for
	// PasswordlessView.Code: in the bodies only, never in the link, the
	// subject or the preheader.
	Code string
	// Link is the confirmation link, as for PasswordlessView.Link. Its
	// GET shows a confirmation page. Set.EmailChange refuses any other
	// link with ErrBadLink.
	Link string
	// ExpiresMinutes is how long the code and the link stay valid.
	ExpiresMinutes int
}

// EmailChangedView is what the email-changed templates receive: the
// notice sent to the old address that the account's email address was
// changed. It holds no link. Strings are shown as given (after
// cleaning).
type EmailChangedView struct {
	// Audience is who receives it, for conditions in templates.
	Audience
	// Brand is the product or company name shown: "Acme".
	Brand string
	// NewAddress is the new address, masked by the caller:
	// "j•••@example.com". It is shown in the bodies only, never in the
	// subject or the preheader; "" leaves it out.
	NewAddress string
	// At is when the address was changed, preformatted in the person's
	// language and time zone; "" leaves it out.
	At string
}

// EmailChange renders the email sent to a new address to confirm it,
// with a code and a link, in the language matching lang (as for
// Passwordless). The link must pass the check Passwordless makes, or
// EmailChange returns ErrBadLink before anything is rendered. The error
// wraps ErrBadLink, ErrTooLarge, or a template execution error.
func (s *Set) EmailChange(lang string, v EmailChangeView) (Rendered, error) {
	v.Audience = cleanAudience(v.Audience)
	if err := checkLink(v.Link); err != nil {
		return Rendered{}, err
	}
	v.Brand, v.App, v.Code = clean(v.Brand), clean(v.App), clean(v.Code)
	return s.render(lang, EmailChange, v)
}

// EmailChanged renders the notice sent to the old address after the
// account's email address changed, in the language matching lang (as
// for Passwordless); it asks the person to contact support if the
// change was not theirs. The message holds no link. The error wraps
// ErrTooLarge or a template execution error.
func (s *Set) EmailChanged(lang string, v EmailChangedView) (Rendered, error) {
	v.Audience = cleanAudience(v.Audience)
	v.Brand, v.NewAddress, v.At = clean(v.Brand), clean(v.NewAddress), clean(v.At)
	return s.render(lang, EmailChanged, v)
}
