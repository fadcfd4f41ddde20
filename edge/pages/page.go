// Package pages holds the hosted pages as templ components: one layout and
// one generic renderer of the flow view model, so the hosted page and the
// widget's server-rendered fragment come from the same markup. Pages work
// with JavaScript off: every action is a form POST.
//
// Every page wears its brand's Theme (Page.Theme), which the edge
// resolves from the branding cascade: the design tokens as CSS custom
// properties after lintel.css, a logo, a favicon, the colour scheme, and
// optionally the brand's own page template (themes/pagetemplate) with
// Lintel's parts in its slots. The zero Theme is Lintel's default look.
//
// Screens is the catalog of every page a person can meet, each rendered
// from sample data (SampleFlows for the flow steps): the golden files in
// testdata/screens (every screen in every built-in theme, left to right
// and right to left), the management API's preview, the studio and the
// screenshots all show these screens.
package pages

import (
	"strings"

	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/factor/totp"
)

// Localizer translates message IDs for one language.
type Localizer interface {
	// Text renders message id with name/value parameter pairs.
	Text(id string, params ...string) string
	// Lang is the BCP 47 tag for <html lang>.
	Lang() string
	// Dir is "ltr" or "rtl".
	Dir() string
}

// Page is what every page renders with.
type Page struct {
	// L translates the page's texts.
	L Localizer
	// Title is a message ID.
	Title string
	// CSRF is the token every form carries.
	CSRF string
	// Brand is the brand the page shows; the zero Brand shows none.
	Brand Brand
	// Theme is the brand's and app's look; the zero Theme is Lintel's
	// default.
	Theme Theme
	// Assets names the static files' URLs; nil serves them at their
	// plain names under /assets/.
	Assets Assets
	// Refresh, when above zero, makes a waiting page look again every
	// Refresh seconds: a <noscript> refresh without JavaScript, and with
	// it a script that reloads only once the page stopped waiting.
	Refresh int
	// RefreshTo, when not empty, sends the browser on to this address at
	// once, by a meta refresh: the hand-over to an identity provider
	// (IdPRedirect), where a redirect answering the form's POST would be
	// checked against the page's CSP form-action, which names only the
	// site. An address wire.WebURL refuses (not https, nor http on
	// loopback) is not followed.
	RefreshTo string
	// Nonce is the CSP nonce of the page's scripts.
	Nonce string
	// Passkey loads passkey.js, which runs the WebAuthn ceremonies of a
	// step's webauthn field.
	Passkey bool
	// AutoPost loads autopost.js, which submits the page's form marked
	// data-autopost when it loads (PostPage).
	AutoPost bool
}

// PostField is a hidden field of a form PostPage sends on.
type PostField struct {
	Name, Value string
}

// Brand is what a page shows of the brand of the site it is on. The edge
// fills it in one place (the site's custom domain's brand, else its
// tenant); the brand's look (design tokens, logo, page template) is the
// page's Theme.
type Brand struct {
	// Name is shown above the page's heading; empty shows none. It is the
	// tenant's text: the template escapes it and isolates its direction.
	Name string
	// Home is a link back to the site's start, "" when it has none.
	Home string
}

// Assets maps a static file's name ("lintel.css") to the URL the page
// references it by: its content-hashed name, cached for ever.
type Assets interface {
	URL(name string) string
}

// Asset returns the URL of the static file name.
func (p Page) Asset(name string) string {
	if p.Assets == nil {
		return "/assets/" + name
	}
	return p.Assets.URL(name)
}

// Problem is what an error page says: message IDs and parameters, never
// an error's text (the details are in the log under the request ID).
type Problem struct {
	// Message is the message ID of the text under the heading, with
	// name/value Params.
	Message string
	Params  []string
	// Retry, when not empty, is a second message ID with RetryParams,
	// saying when to try again.
	Retry       string
	RetryParams []string
	// RequestID is shown for support, when not empty.
	RequestID string
	// Home links back to the site's start when not empty.
	Home string
}

// FlowForm is a flow step rendered as a form.
type FlowForm struct {
	// Flow is the view model from the engine.
	Flow wire.Flow
	// Action is where the form posts (the hosted page's own URL).
	Action string
	// Secret is the flow secret, carried as a hidden field.
	Secret string
	// Autofocus puts focus, when the page loads, on the first field with
	// an error, else on the first field. The hosted page sets it; the
	// widget's fragment does not, so that it never takes focus from the
	// page it is embedded in (the widget moves focus itself).
	Autofocus bool
}

// StepTitle maps a step to the message ID of its heading, which is also
// the page's title (wire.StepTitle, shared with the widget).
func StepTitle(k wire.StepKind) string { return wire.StepTitle(k) }

// HasWebAuthn reports whether a step carries a passkey ceremony, for which
// the page loads passkey.js.
func HasWebAuthn(v wire.Flow) bool { return v.HasWebAuthn() }

// The view decisions (which message goes where, what describes a field,
// where focus starts, the ceremony's mode and action) are wire's, shared
// with the widget, which renders the same markup from the flow's JSON.

// qrSVG is the QR code of an authenticator app's key URI, "" when it
// cannot be drawn (the page still shows the key itself).
func qrSVG(uri string) string {
	if !strings.HasPrefix(uri, "otpauth://") {
		return ""
	}
	svg, err := totp.QR(uri)
	if err != nil {
		return ""
	}
	// The figure around it is the image with a name; the drawing itself
	// is hidden from assistive technology.
	return strings.Replace(svg, `role="img"`, `aria-hidden="true" focusable="false"`, 1)
}

// chosenIdPName is the display name of the identity provider a
// redirect-idp step hands over to: its primary action's "name" label
// parameter, "" when it has none.
func chosenIdPName(f wire.Flow) string {
	for _, a := range f.Actions {
		if a.Primary {
			return a.LabelParam("name")
		}
	}
	return ""
}
