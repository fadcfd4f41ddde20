// Package emailtemplates holds Lintel's built-in email templates and
// renders them. It lives in the directory email-templates, but a Go
// package name cannot contain a hyphen, hence emailtemplates.
//
// Every message kind (Passwordless, Lockout, Activation, VerifyEmail,
// Recovery, Recovered, EmailChange, EmailChanged) has, for every
// language, a subject line, a plain-text body and an HTML body, in one
// directory per language named by its BCP 47 tag:
//
//	en/passwordless.subject.txt   text/template, one line once rendered
//	en/passwordless.txt           text/template, the text/plain body
//	en/passwordless.html          html/template, the text/html body
//
// The templates are embedded (FS); an operator's directory with the same
// layout can replace them at run time (Load(os.DirFS(dir))). Load refuses
// a set that lacks a file, holds an unexpected one, or has a template
// that does not parse or render, listing every problem.
//
// Templates receive only flat view structs of strings and integers
// (PasswordlessView, LockoutView, ActivationView, VerifyEmailView,
// RecoveryView, RecoveredView, EmailChangeView, EmailChangedView), with
// the brand's Theme beside the view's fields as .Theme, and two
// functions: plural, the CLDR plural category of an integer in the
// template's language ("one", "few"…), and isolate, which wraps a value
// in Unicode directional isolates for right-to-left text. A method whose
// message has a link refuses a link that is not an absolute https URL of
// URL-safe ASCII with ErrBadLink. Rendered output is bounded: each part
// beyond MaxBodyLen bytes fails with ErrTooLarge. View values are
// cleaned before rendering (invalid UTF-8 replaced, control characters
// turned into spaces, bidirectional embedding and isolate controls
// removed), HTML-escaped by html/template in the HTML body and inserted
// as they are in the text body, which is text/plain.
//
// Set.With renders with a brand's Theme (colours, font, radius, logo)
// and a level's Overrides: a tenant's own templates, parsed and checked
// by ParseOverrides in their own template trees, with fewer functions
// and more checks than the built-in templates (see README.md).
//
// A Set is safe for concurrent use.
//
//	set, err := emailtemplates.New()
//	msg, err := set.With(theme, overrides).Passwordless(locale, emailtemplates.PasswordlessView{…})
//	// msg.Subject, msg.Text, msg.HTML go to the mail outbox.
package emailtemplates

import (
	"embed"
	"io/fs"
)

// templates are the built-in templates, one directory per language. A
// new language is a new directory, added to this directive.
//
//go:embed en ar
var templates embed.FS

// FS returns the built-in templates: one directory per language at its
// root, as Load expects.
func FS() fs.FS { return templates }
