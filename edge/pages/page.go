// Package pages holds the hosted pages as templ components: one layout and
// one generic renderer of the flow view model, so the hosted page and the
// widget's server-rendered fragment come from the same markup. Pages work
// with JavaScript off: every action is a form POST.
package pages

import (
	"github.com/lintel-id/lintel/server/engine/wire"
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
	// Refresh, when positive, reloads the page after that many seconds
	// (a meta refresh: the poll step works without JavaScript).
	Refresh int
}

// FlowForm is a flow step rendered as a form.
type FlowForm struct {
	// Flow is the view model from the engine.
	Flow wire.Flow
	// Action is where the form posts (the hosted page's own URL).
	Action string
	// Secret is the flow secret, carried as a hidden field.
	Secret string
}

// stepTitle maps a step to its heading's message ID.
func stepTitle(k wire.StepKind) string {
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

func messageID(field string) string { return "msg-" + field }

// messageRole is the ARIA role of a message: errors and warnings are
// alerts; information is a status, read out without interrupting.
func messageRole(level string) string {
	if level == wire.LevelInfo {
		return "status"
	}
	return "alert"
}
