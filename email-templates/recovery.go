package emailtemplates

// RecoveryView is what the recovery templates receive: the email that
// carries a one-time code and a link to recover an account by resetting
// its password, after someone asked for it. Strings are shown as given
// (after cleaning, see the package doc); format numbers and times
// before.
type RecoveryView struct {
	// Audience is who receives it, for conditions in templates.
	Audience
	// Brand is the product or company name shown: "Acme".
	Brand string
	// App is the app the recovery was asked for while signing in to:
	// "Acme Shop"; "" leaves it out (the subject then uses Brand).
	App string
	// Code is the one-time code, "123456", as for
	// PasswordlessView.Code: in the bodies only, never in the link, the
	// subject or the preheader.
	Code string
	// Link is the recovery link, as for PasswordlessView.Link. Its GET
	// shows a confirmation page. Set.Recovery refuses any other link
	// with ErrBadLink.
	Link string
	// ExpiresMinutes is how long the code and the link stay valid.
	ExpiresMinutes int
	// RequestedAt is when the recovery was asked for, preformatted in
	// the person's language and time zone; "" leaves it out.
	RequestedAt string
	// IP is the client address that asked for it; "" leaves it out.
	IP string
}

// RecoveredView is what the recovered templates receive: the notice
// that an account was recovered, its password reset and every session
// ended. It holds no link. Strings are shown as given (after cleaning).
type RecoveredView struct {
	// Audience is who receives it, for conditions in templates.
	Audience
	// Brand is the product or company name shown: "Acme".
	Brand string
	// At is when the account was recovered, preformatted in the
	// person's language and time zone; "" leaves it out.
	At string
	// IP is the client address that recovered it; "" leaves it out.
	IP string
}

// Recovery renders the account-recovery email, with a code and a link,
// in the language matching lang (as for Passwordless). It says that
// nothing changes if the person did not ask for it. The link must pass
// the check Passwordless makes, or Recovery returns ErrBadLink before
// anything is rendered. The error wraps ErrBadLink, ErrTooLarge, or a
// template execution error.
func (s *Set) Recovery(lang string, v RecoveryView) (Rendered, error) {
	v.Audience = cleanAudience(v.Audience)
	if err := checkLink(v.Link); err != nil {
		return Rendered{}, err
	}
	v.Brand, v.App, v.Code = clean(v.Brand), clean(v.App), clean(v.Code)
	v.RequestedAt, v.IP = clean(v.RequestedAt), clean(v.IP)
	return s.render(lang, Recovery, v)
}

// Recovered renders the account-recovered notice in the language
// matching lang (as for Passwordless): the password was reset, every
// session signed out, and the person should contact support if it was
// not them. The message holds no link and no password. The error wraps
// ErrTooLarge or a template execution error.
func (s *Set) Recovered(lang string, v RecoveredView) (Rendered, error) {
	v.Audience = cleanAudience(v.Audience)
	v.Brand, v.At, v.IP = clean(v.Brand), clean(v.At), clean(v.IP)
	return s.render(lang, Recovered, v)
}
