package emailtemplates

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// PasswordlessView is what the passwordless templates receive: the
// sign-in email carrying a one-time code and a magic link. Every string
// is shown as given (after cleaning, see the package doc): format
// numbers and times before.
type PasswordlessView struct {
	// Audience is who receives it, for conditions in templates.
	Audience
	// Brand is the product or company name shown: "Acme".
	Brand string
	// App is the name of the app being signed in to: "Acme Shop". The
	// templates use Brand when it is empty.
	App string
	// Code is the one-time code, "123456". Templates show it as given,
	// in the bodies only: never in the link, nor in the subject or the
	// preheader, which show on lock screens and in inbox lists.
	Code string
	// Link is the magic link: an absolute https URL of URL-safe ASCII
	// (percent-encode the rest), without user info. Its GET shows a
	// confirmation page. Set.Passwordless refuses any other link with
	// ErrBadLink.
	Link string
	// ExpiresMinutes is how long the code and the link stay valid.
	ExpiresMinutes int
	// RequestedAt is when the sign-in was requested, preformatted in the
	// person's language and time zone; "" leaves it out.
	RequestedAt string
	// IP is the client address that requested it; "" leaves it out.
	IP string
}

// LockoutView is what the lockout templates receive: the notice that an
// account was locked after failed sign-in attempts. Strings are shown as
// given (after cleaning); format numbers and times before.
type LockoutView struct {
	// Audience is who receives it, for conditions in templates.
	Audience
	// Brand is the product or company name shown: "Acme".
	Brand string
	// App is the app the attempts were made on: "Acme Shop"; "" leaves it
	// out.
	App string
	// Until is when the lock ends, preformatted; "" when the lock has no
	// end time.
	Until string
	// Minutes is how many minutes the lock lasts; 0 when it has no end
	// time. With Until "" and Minutes 0, the message says the account
	// stays locked until an administrator unlocks it.
	Minutes int
	// Attempts is the number of failed attempts; 0 leaves it out.
	Attempts int
}

// ErrBadLink is returned (wrapped) by the Set methods of messages with a
// link (Passwordless, Activation, VerifyEmail, Recovery, EmailChange)
// when the link is not an absolute https URL of URL-safe ASCII. The error
// never quotes the link: it is a credential.
var ErrBadLink = errors.New("link is not an absolute https URL")

// Passwordless renders the sign-in email with a code and a magic link in
// the language matching lang (a BCP 47 tag: "ar-EG" gets Arabic, an
// unknown or malformed one English).
//
// The link must be an absolute https URL made only of characters that
// html/template leaves as they are in an href (letters, digits,
// -._~!#$&*+,/:;=?@[] and %XX escapes), so that the link in the HTML
// body, once HTML-unescaped, and the link in the text body are exactly
// v.Link. Any other link, http:// and javascript: included, is refused
// with ErrBadLink before anything is rendered. (Should an unsafe URL
// ever reach the HTML template, html/template itself replaces it with
// "#ZgotmplZ".)
//
// The error wraps ErrBadLink, ErrTooLarge, or a template execution error.
func (s *Set) Passwordless(lang string, v PasswordlessView) (Rendered, error) {
	v.Audience = cleanAudience(v.Audience)
	if err := checkLink(v.Link); err != nil {
		return Rendered{}, err
	}
	v.Brand, v.App, v.Code = clean(v.Brand), clean(v.App), clean(v.Code)
	v.RequestedAt, v.IP = clean(v.RequestedAt), clean(v.IP)
	return s.render(lang, Passwordless, v)
}

// Lockout renders the account-locked notice in the language matching
// lang (as for Passwordless). The message holds no link and no password.
// The error wraps ErrTooLarge or a template execution error.
func (s *Set) Lockout(lang string, v LockoutView) (Rendered, error) {
	v.Audience = cleanAudience(v.Audience)
	v.Brand, v.App, v.Until = clean(v.Brand), clean(v.App), clean(v.Until)
	return s.render(lang, Lockout, v)
}

// checkLink accepts an absolute https URL (or http to a loopback host)
// with a host, no user info, and only bytes html/template's URL
// normaliser leaves as they are.
func checkLink(link string) error {
	if !strings.HasPrefix(link, "https://") && !strings.HasPrefix(link, "http://") {
		return fmt.Errorf("emailtemplates: %w: the scheme must be https", ErrBadLink)
	}
	for i := 0; i < len(link); i++ {
		c := link[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			strings.IndexByte("-._~!#$&*+,/:;=?@[]", c) >= 0:
		case c == '%' && i+2 < len(link) && isHex(link[i+1]) && isHex(link[i+2]):
		default:
			return fmt.Errorf("emailtemplates: %w: byte %d must be percent-encoded", ErrBadLink, i)
		}
	}
	u, err := url.Parse(link)
	switch {
	case err != nil:
		return fmt.Errorf("emailtemplates: %w: it does not parse", ErrBadLink)
	case u.Hostname() == "":
		return fmt.Errorf("emailtemplates: %w: it has no host", ErrBadLink)
	case u.User != nil:
		return fmt.Errorf("emailtemplates: %w: it has user info", ErrBadLink)
	case u.Scheme == "http" && !loopback(u.Hostname()):
		// Plain http only for a developer's own machine (make run), which
		// browsers treat as a secure context too.
		return fmt.Errorf("emailtemplates: %w: the scheme must be https", ErrBadLink)
	}
	return nil
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
