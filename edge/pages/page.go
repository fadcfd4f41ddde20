// Package pages holds the hosted pages as templ components: one layout and
// one generic renderer of the flow view model, so the hosted page and the
// widget's server-rendered fragment come from the same markup. Pages work
// with JavaScript off: every action is a form POST.
package pages

import (
	"net/url"
	"strconv"
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
	// Brand names the brand for the header; empty shows the app's name.
	Brand string
	// Refresh, when above zero, makes a waiting page look again every
	// Refresh seconds: a <noscript> refresh without JavaScript, and with
	// it a script that reloads only once the page stopped waiting.
	Refresh int
	// Nonce is the CSP nonce of the page's scripts.
	Nonce string
	// Passkey loads passkey.js, which runs the WebAuthn ceremonies of a
	// step's webauthn field.
	Passkey bool
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

// stepEnrollPassword is the step that asks for a new password.
var stepEnrollPassword = wire.EnrollStep("password")

// StepTitle maps a step to the message ID of its heading, which is also
// the page's title.
func StepTitle(k wire.StepKind) string {
	switch k {
	case wire.StepIdentify:
		return "identify.title"
	case wire.StepChallengePassword:
		return "password.title"
	case wire.StepConsent:
		return "consent.title"
	case wire.StepPoll:
		return "poll.title"
	case wire.StepChallengeEmail:
		return "code.title"
	case wire.StepRecover:
		return "recover.title"
	case wire.StepChallengeSecurityAnswer:
		return "answer.title"
	case stepEnrollPassword:
		return "new_password.title"
	case wire.StepRegister:
		return "register.title"
	case wire.StepTerms:
		return "terms.title"
	case wire.StepProfile:
		return "profile.title"
	case wire.StepChangeEmail:
		return "change_email.title"
	case wire.StepSelectAuthenticator:
		return "select.title"
	case wire.StepChallengePasskey:
		return "passkey.title"
	case wire.StepChallengeTOTP:
		return "totp.title"
	case wire.StepChallengeRecoveryCode:
		return "recovery_code.title"
	case wire.StepChallengeSMS:
		return "sms.title"
	case wire.StepChallengeVoice:
		return "voice.title"
	case wire.EnrollStep("passkey"):
		return "enroll_passkey.title"
	case wire.EnrollStep("totp"):
		return "enroll_totp.title"
	case wire.EnrollStep("sms"), wire.EnrollStep("voice"):
		return "enroll_phone.title"
	case wire.EnrollStep("security_answer"):
		return "enroll_answer.title"
	case wire.EnrollStep("recovery_code"):
		return "recovery_codes.title"
	case wire.StepDone:
		return "done.title"
	case wire.StepError:
		return "error.title"
	}
	return "flow.title"
}

// params flattens wire parameters into name/value pairs for Text.
func params(ps []wire.Param) []string {
	out := make([]string, 0, 2*len(ps))
	for _, p := range ps {
		out = append(out, p.Name, p.Value)
	}
	return out
}

// inputType maps a field type to an HTML input type; unknown types are
// rendered as text, as the protocol asks.
func inputType(t wire.FieldType) string {
	switch t {
	case wire.FieldEmail, wire.FieldPassword, wire.FieldHidden, wire.FieldTel, wire.FieldNumber, wire.FieldCheckbox:
		return string(t)
	}
	return "text"
}

// documentURL is the address of the document a field accepts (a terms
// checkbox's "url" label parameter), when it is an https URL (or http on
// a loopback host, for development); "" otherwise.
func documentURL(f wire.Field) string {
	for _, p := range f.LabelParams {
		if p.Name != "url" {
			continue
		}
		u, err := url.Parse(p.Value)
		if err != nil || u.Host == "" || u.User != nil {
			return ""
		}
		if u.Scheme == "https" || u.Scheme == "http" && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1") {
			return u.String()
		}
	}
	return ""
}

// optionLabel is a select option's text: its label message, or its
// value when the label is empty (a custom attribute's enum value, which
// no catalog names).
func optionLabel(p Page, o wire.Option) string {
	if o.Label == "" {
		return o.Value
	}
	return p.L.Text(o.Label)
}

// formActions are the actions a form submits (POST); the others are links.
func formActions(v wire.Flow) []wire.Action {
	var out []wire.Action
	for _, a := range v.Actions {
		if a.Method != "GET" {
			out = append(out, a)
		}
	}
	return out
}

// linkActions are the actions followed as links (GET): on a hosted page
// they lead back to the page itself, whose flow is read afresh.
func linkActions(v wire.Flow) []wire.Action {
	var out []wire.Action
	for _, a := range v.Actions {
		if a.Method == "GET" {
			out = append(out, a)
		}
	}
	return out
}

// fieldMessages returns the messages about one field.
func fieldMessages(v wire.Flow, field string) []wire.Message {
	var out []wire.Message
	for _, m := range v.Messages {
		if m.Field == field {
			out = append(out, m)
		}
	}
	return out
}

// formMessages returns the messages about the whole form.
func formMessages(v wire.Flow) []wire.Message { return fieldMessages(v, "") }

// fieldMessageID is the element ID of a field's i-th message.
func fieldMessageID(field string, i int) string {
	if i == 0 {
		return "msg-" + field
	}
	return "msg-" + field + "-" + strconv.Itoa(i)
}

// formMessageID is the element ID of the form's i-th message.
func formMessageID(i int) string { return "msg-form-" + strconv.Itoa(i) }

// invalid reports whether a field has an error.
func invalid(v wire.Flow, field string) bool {
	for _, m := range fieldMessages(v, field) {
		if m.Level == wire.LevelError {
			return true
		}
	}
	return false
}

// inputFields are the fields a person types in or chooses: neither hidden
// nor read-only lists.
func inputFields(v wire.Flow) []wire.Field {
	var out []wire.Field
	for _, f := range v.Fields {
		switch f.Type {
		case wire.FieldHidden, wire.FieldList, wire.FieldQR, wire.FieldCodes, wire.FieldWebAuthn:
		default:
			out = append(out, f)
		}
	}
	return out
}

// focusField names the field that gets focus first: the first with an
// error, else the first; "" when the step has none.
func focusField(v wire.Flow) string {
	fields := inputFields(v)
	for _, f := range fields {
		if invalid(v, f.Name) {
			return f.Name
		}
	}
	if len(fields) > 0 {
		return fields[0].Name
	}
	return ""
}

// describedBy lists the IDs of the messages that describe a field, for
// aria-describedby: its own, and on the first field the form's errors and
// warnings (a wrong password is not said to be the password's fault, yet
// must be heard where focus starts).
func describedBy(v wire.Flow, field string) string {
	var ids []string
	if fields := inputFields(v); len(fields) > 0 && fields[0].Name == field {
		for i, m := range formMessages(v) {
			if m.Level != wire.LevelInfo {
				ids = append(ids, formMessageID(i))
			}
		}
	}
	for i := range fieldMessages(v, field) {
		ids = append(ids, fieldMessageID(field, i))
	}
	return strings.Join(ids, " ")
}

// messageRole is the ARIA role of a message: errors and warnings are
// alerts; information is a status, read out without interrupting.
func messageRole(level string) string {
	if level == wire.LevelInfo {
		return "status"
	}
	return "alert"
}

// HasWebAuthn reports whether a step carries a passkey ceremony, for which
// the page loads passkey.js.
func HasWebAuthn(v wire.Flow) bool {
	for _, f := range v.Fields {
		if f.Type == wire.FieldWebAuthn && f.Value != "" {
			return true
		}
	}
	return false
}

// webauthnMode is what passkey.js does with a step's ceremony: "create" a
// passkey, "get" one, or "conditional" (get, offered by autofill too).
func webauthnMode(v wire.Flow) string {
	switch {
	case v.Step.IsEnroll():
		return "create"
	case v.Step == wire.StepIdentify:
		return "conditional"
	}
	return "get"
}

// webauthnAction is the action whose button runs the ceremony: the
// step's primary action, or at identify the passkey button's.
func webauthnAction(v wire.Flow) string {
	if v.Step == wire.StepIdentify {
		return "passkey"
	}
	for _, a := range v.Actions {
		if a.Primary {
			return a.Name
		}
	}
	return ""
}

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

// keyOf is the key of an otpauth:// URI in groups of four, for typing.
func keyOf(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" {
		return ""
	}
	return totp.Group(u.Query().Get("secret"))
}
