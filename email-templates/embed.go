// Package emailtemplates holds Lintel's built-in email templates and
// renders them. It lives in the directory email-templates, but a Go
// package name cannot contain a hyphen, hence emailtemplates.
//
// Every message kind (Kinds: Passwordless, Lockout, Activation,
// VerifyEmail, Recovery, Recovered, EmailChange, EmailChanged, Welcome,
// PasswordChanged, FactorEnrolled, NewDevice) has one language-neutral
// subject line, plain-text body and HTML body, in the directory
// templates:
//
//	templates/passwordless.subject.txt   text/template, one line once rendered
//	templates/passwordless.txt           text/template, the text/plain body
//	templates/passwordless.html          html/template, the text/html body,
//	                                     filling in templates/layout.html
//
// Templates hold no prose: every sentence is a message of package
// locales ({{t "mail.passwordless.subject" "app" .App}}), rendered in
// the person's language by the catalog's localizer, which picks plural
// forms and isolates values in right-to-left languages. The templates
// are embedded (FS); an operator's directory with the same layout can
// replace them at run time (Load(os.DirFS(dir), cat)). Load refuses a
// set that lacks a file, holds an unexpected one, or has a template
// that does not parse or render in every language, listing every
// problem.
//
// Templates receive only flat view structs of strings and integers
// (PasswordlessView, LockoutView, …, NewDeviceView), each embedding the
// Audience (app ID and profile attributes) templates may branch on,
// with the brand's Theme as .Theme and the email's language as .Locale
// and .Dir. A method whose message has a link refuses a link that is
// not an absolute https URL of URL-safe ASCII with ErrBadLink. Rendered
// output is bounded: each part beyond MaxBodyLen bytes fails with
// ErrTooLarge. View values are cleaned before rendering (invalid UTF-8
// replaced, control characters turned into spaces, bidirectional
// embedding and isolate controls removed), HTML-escaped by html/template
// in the HTML body and inserted as they are in the text body, which is
// text/plain. The HTML's <style> is inlined into style attributes
// (go-premailer), as mail clients want.
//
// Set.With renders with a brand's Theme (colours, font, radius, logo)
// and a level's Overrides: a tenant's own templates, parsed and checked
// by Set.ParseOverrides in their own template trees, with fewer
// functions and more checks than the built-in templates; Set.WithTexts
// with a tenant's wording of the messages (see README.md).
//
// A Set is safe for concurrent use.
//
//	cat, err := locales.Load(locales.FS())
//	set, err := emailtemplates.New(cat)
//	msg, err := set.With(theme, overrides).Passwordless(locale, emailtemplates.PasswordlessView{…})
//	// msg.Subject, msg.Text, msg.HTML go to the mail outbox.
package emailtemplates

import (
	"embed"
	"io/fs"
)

// templates are the built-in templates.
//
//go:embed templates
var templates embed.FS

// FS returns the built-in templates: the directory templates at its
// root, as Load expects.
func FS() fs.FS { return templates }
