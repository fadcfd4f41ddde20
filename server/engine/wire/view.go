package wire

import (
	"strconv"
	"strings"
)

// The view decisions below are shared by the two renderers of a flow:
// the hosted pages' templ components (edge/pages) and the widget's DOM
// builder (widget/core). Both must make the same choices (which message
// sits where, which field is described by what, which element gets focus)
// so that a step looks and reads the same in both places; keeping the
// choices here, next to the view model, is how they stay the same.

// Texter renders message IDs in one language: a locale Localizer on the
// server, a Catalog in the widget.
type Texter interface {
	// Text renders message id with name/value parameter pairs.
	Text(id string, params ...string) string
}

// StepTitle maps a step to the message ID of its heading, which is also
// the hosted page's title. Unknown kinds get "flow.title".
func StepTitle(k StepKind) string {
	switch k {
	case StepIdentify:
		return "identify.title"
	case StepChallengePassword:
		return "password.title"
	case StepConsent:
		return "consent.title"
	case StepPoll:
		return "poll.title"
	case StepChallengeEmail:
		return "code.title"
	case StepRecover:
		return "recover.title"
	case StepChallengeSecurityAnswer:
		return "answer.title"
	case EnrollStep("password"):
		return "new_password.title"
	case StepRegister:
		return "register.title"
	case StepTerms:
		return "terms.title"
	case StepProfile:
		return "profile.title"
	case StepChangeEmail:
		return "change_email.title"
	case StepSelectAuthenticator:
		return "select.title"
	case StepChallengePasskey:
		return "passkey.title"
	case StepChallengeTOTP:
		return "totp.title"
	case StepChallengeRecoveryCode:
		return "recovery_code.title"
	case StepChallengeSMS:
		return "sms.title"
	case StepChallengeVoice:
		return "voice.title"
	case EnrollStep("passkey"):
		return "enroll_passkey.title"
	case EnrollStep("totp"):
		return "enroll_totp.title"
	case EnrollStep("sms"), EnrollStep("voice"):
		return "enroll_phone.title"
	case EnrollStep("security_answer"):
		return "enroll_answer.title"
	case EnrollStep("recovery_code"):
		return "recovery_codes.title"
	case StepDone:
		return "done.title"
	case StepError:
		return "error.title"
	}
	return "flow.title"
}

// Params flattens parameters into the name/value pairs Texter.Text takes.
func Params(ps []Param) []string {
	out := make([]string, 0, 2*len(ps))
	for _, p := range ps {
		out = append(out, p.Name, p.Value)
	}
	return out
}

// InputType maps a field type to the type attribute of its HTML input;
// types without one of their own (otp, unknown ones) are "text", as the
// protocol asks.
func InputType(t FieldType) string {
	switch t {
	case FieldEmail, FieldPassword, FieldHidden, FieldTel, FieldNumber, FieldCheckbox:
		return string(t)
	}
	return "text"
}

// OptionText is a select option's text: its label message, or its value
// when the label is empty (a custom attribute's enum value, which no
// catalog names).
func OptionText(t Texter, o Option) string {
	if o.Label == "" {
		return o.Value
	}
	return t.Text(o.Label)
}

// FormActions are the actions a form submits (any method but GET).
func (f Flow) FormActions() []Action {
	var out []Action
	for _, a := range f.Actions {
		if a.Method != "GET" {
			out = append(out, a)
		}
	}
	return out
}

// LinkActions are the actions followed as links (GET): on a hosted page
// they lead back to the page itself, whose flow is read afresh.
func (f Flow) LinkActions() []Action {
	var out []Action
	for _, a := range f.Actions {
		if a.Method == "GET" {
			out = append(out, a)
		}
	}
	return out
}

// FieldMessages returns the messages about the field named field, in
// order; FieldMessages("") is FormMessages.
func (f Flow) FieldMessages(field string) []Message {
	var out []Message
	for _, m := range f.Messages {
		if m.Field == field {
			out = append(out, m)
		}
	}
	return out
}

// FormMessages returns the messages about the whole form, shown above it.
func (f Flow) FormMessages() []Message { return f.FieldMessages("") }

// FieldMessageID is the element ID of a field's i-th message: "msg-name",
// then "msg-name-1", "msg-name-2"…
func FieldMessageID(field string, i int) string {
	if i == 0 {
		return "msg-" + field
	}
	return "msg-" + field + "-" + strconv.Itoa(i)
}

// FormMessageID is the element ID of the form's i-th message.
func FormMessageID(i int) string { return "msg-form-" + strconv.Itoa(i) }

// Invalid reports whether the field named field has an error message.
func (f Flow) Invalid(field string) bool {
	for _, m := range f.Messages {
		if m.Field == field && m.Level == LevelError {
			return true
		}
	}
	return false
}

// InputFields are the fields a person types in or chooses: not hidden,
// not read-only (list, qr, codes) and not a WebAuthn ceremony.
func (f Flow) InputFields() []Field {
	var out []Field
	for _, x := range f.Fields {
		switch x.Type {
		case FieldHidden, FieldList, FieldQR, FieldCodes, FieldWebAuthn:
		default:
			out = append(out, x)
		}
	}
	return out
}

// FocusField names the field that gets focus first: the first input field
// with an error, else the first input field; "" when the step has none.
func (f Flow) FocusField() string {
	fields := f.InputFields()
	for _, x := range fields {
		if f.Invalid(x.Name) {
			return x.Name
		}
	}
	if len(fields) > 0 {
		return fields[0].Name
	}
	return ""
}

// DescribedBy lists, space-separated, the IDs of the messages that
// describe a field, for aria-describedby: its own, and on the first input
// field the form's errors and warnings (a wrong password is not said to be
// the password's fault, yet must be heard where focus starts).
func (f Flow) DescribedBy(field string) string {
	var ids []string
	if fields := f.InputFields(); len(fields) > 0 && fields[0].Name == field {
		for i, m := range f.FormMessages() {
			if m.Level != LevelInfo {
				ids = append(ids, FormMessageID(i))
			}
		}
	}
	for i := range f.FieldMessages(field) {
		ids = append(ids, FieldMessageID(field, i))
	}
	return strings.Join(ids, " ")
}

// MessageRole is the ARIA role of a form message: errors and warnings are
// alerts; information is a status, read out without interrupting.
func MessageRole(level string) string {
	if level == LevelInfo {
		return "status"
	}
	return "alert"
}

// HasWebAuthn reports whether the step carries a passkey ceremony: a
// webauthn field with options.
func (f Flow) HasWebAuthn() bool {
	for _, x := range f.Fields {
		if x.Type == FieldWebAuthn && x.Value != "" {
			return true
		}
	}
	return false
}

// The WebAuthn modes of a step (WebAuthnMode).
const (
	WebAuthnCreate      = "create"      // navigator.credentials.create
	WebAuthnGet         = "get"         // navigator.credentials.get
	WebAuthnConditional = "conditional" // get, offered by autofill too
)

// WebAuthnMode is what a client does with the step's ceremony: create a
// passkey on an enrolment step, offer one by autofill too (conditional
// mediation) at identify, else get one.
func (f Flow) WebAuthnMode() string {
	switch {
	case f.Step.IsEnroll():
		return WebAuthnCreate
	case f.Step == StepIdentify:
		return WebAuthnConditional
	}
	return WebAuthnGet
}

// WebAuthnAction is the action whose button runs the ceremony and under
// which its result is submitted: the step's primary action, or at
// identify the passkey button's ("passkey"); "" when there is none.
func (f Flow) WebAuthnAction() string {
	if f.Step == StepIdentify {
		return "passkey"
	}
	for _, a := range f.Actions {
		if a.Primary {
			return a.Name
		}
	}
	return ""
}
