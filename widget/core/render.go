package core

import (
	"strconv"
	"strings"

	"github.com/lintel-id/lintel/server/engine/wire"
)

// Options are what a rendering needs besides the flow and its texts.
type Options struct {
	// Action is where the form posts (the flow API's URL of the flow);
	// the widget submits through the flow API and never lets it post.
	Action string
	// Secret is the flow secret, carried as a hidden field.
	Secret string
	// CSRF is the form's CSRF token; the widget's forms have none.
	CSRF string
	// Autofocus puts autofocus on the field FocusField names. The widget
	// leaves it off and moves focus itself.
	Autofocus bool
}

// Render returns the markup of a flow step: exactly what the hosted
// pages' templ component FlowFragment (edge/pages/flow.templ) writes for
// the same flow, texts and options, as a node tree. Fields, actions and
// messages come from the view model and the view decisions of package
// wire; unknown step kinds and field types render generically.
func Render(f wire.Flow, t wire.Texter, o Options) *Node {
	section := El("section", "class", "lt-flow", "data-step", string(f.Step), "part", "flow")
	if f.Context.App.Name != "" {
		section.Append(El("p", "class", "lt-app", "part", "app").Append(TextNode(f.Context.App.Name)))
	}
	section.Append(El("h1", "class", "lt-title", "part", "title").Append(TextNode(t.Text(wire.StepTitle(f.Step)))))
	if f.Context.UserHint != "" {
		section.Append(El("p", "class", "lt-user", "part", "user").Append(TextNode(f.Context.UserHint)))
	}
	for i, m := range f.FormMessages() {
		section.Append(message(t, m, wire.FormMessageID(i), wire.MessageRole(m.Level)))
	}
	if len(f.Actions) == 0 {
		return section
	}
	form := El("form", "method", "post", "action", o.Action, "class", "lt-form", "part", "form", "novalidate", "")
	form.Append(
		El("input", "type", "hidden", "name", "csrf", "value", o.CSRF),
		El("input", "type", "hidden", "name", SecretField, "value", o.Secret),
	)
	for _, fld := range f.Fields {
		form.Append(field(f, t, o, fld)...)
	}
	own, idps := f.ActionGroups()
	if len(idps) > 0 && f.IdPsFirst() {
		form.Append(idpButtons(t, idps))
	}
	actions := El("div", "class", "lt-actions", "part", "actions")
	for _, a := range own {
		actions.Append(button(f, t, a))
	}
	form.Append(actions)
	if len(idps) > 0 && !f.IdPsFirst() {
		form.Append(
			El("p", "class", "lt-divider", "part", "divider").Append(TextNode(t.Text("federation.or"))),
			idpButtons(t, idps))
	}
	section.Append(form)
	for _, a := range f.LinkActions() {
		section.Append(El("p", "class", "lt-help", "part", "help").Append(
			El("a", "href", o.Action, "part", "link").Append(label(t, a))))
	}
	return section
}

// label is an action's text: its label message with its parameters.
func label(t wire.Texter, a wire.Action) *Node {
	return TextNode(t.Text(a.Label, wire.Params(a.LabelParams)...))
}

// button submits the form with one of the step's own actions. Only the
// primary action checks the fields; a redirect-idp step's primary action
// posts to its own address (wire.Flow.PostTarget).
func button(f wire.Flow, t wire.Texter, a wire.Action) *Node {
	if !a.Primary {
		return El("button", "type", "submit", "name", "action", "value", a.Name, "class", "lt-button lt-secondary", "part", "button", "formnovalidate", "").
			Append(label(t, a))
	}
	b := El("button", "type", "submit", "name", "action", "value", a.Name, "class", "lt-button lt-primary", "part", "button primary")
	if u := f.PostTarget(a); u != "" {
		b.Set("formaction", u)
	}
	return b.Append(label(t, a))
}

// idpButtons offers signing in through identity providers: a button per
// provider, labelled with its name, its kind in data-kind for styling.
// Choosing one needs no field filled in (formnovalidate).
func idpButtons(t wire.Texter, idps []wire.Action) *Node {
	div := El("div", "class", "lt-actions lt-idps", "part", "idps")
	for _, a := range idps {
		div.Append(El("button", "type", "submit", "name", "action", "value", a.Name, "class", "lt-button lt-secondary lt-idp",
			"part", "idp-button", "data-kind", a.LabelParam("kind"), "formnovalidate", "").Append(label(t, a)))
	}
	return div
}

// message is a message paragraph with its id and role.
func message(t wire.Texter, m wire.Message, id, role string) *Node {
	return El("p", "id", id, "class", "lt-message lt-message-"+m.Level, "role", role, "part", "message").
		Append(TextNode(t.Text(m.ID, wire.Params(m.Params)...)))
}

// field renders one field by its type, as the templ component field.
func field(f wire.Flow, t wire.Texter, o Options, x wire.Field) []*Node {
	switch x.Type {
	case wire.FieldList:
		return []*Node{list(t, x)}
	case wire.FieldWebAuthn:
		return webauthn(f, t, x)
	case wire.FieldQR:
		return []*Node{qrField(t, x)}
	case wire.FieldCodes:
		return []*Node{codes(t, x)}
	}
	return []*Node{input(f, t, o, x)}
}

// webauthn is the hidden field of a passkey ceremony and the note shown
// when the browser has no WebAuthn.
func webauthn(f wire.Flow, t wire.Texter, x wire.Field) []*Node {
	out := []*Node{
		El("input", "type", "hidden", "name", x.Name, "value", "", "data-webauthn", f.WebAuthnMode(),
			"data-action", f.WebAuthnAction(), "data-options", x.Value),
		El("p", "class", "lt-message lt-message-warning", "role", "status", "data-passkey-unsupported", "", "hidden", "", "part", "message").
			Append(TextNode(t.Text("passkey.unsupported"))),
	}
	if f.Step != wire.StepIdentify {
		out = append(out, El("noscript").Append(
			El("p", "class", "lt-message lt-message-warning", "part", "message").Append(TextNode(t.Text("passkey.unsupported")))))
	}
	return out
}

// qrField is an authenticator app's key as a QR code, with the key
// itself for typing by hand.
func qrField(t wire.Texter, x wire.Field) *Node {
	code := El("div", "class", "lt-qr-code", "role", "img", "aria-label", t.Text(x.Label))
	if strings.HasPrefix(x.Value, "otpauth://") {
		code.Append(qrSVG(x.Value))
	}
	fig := El("figure", "class", "lt-qr", "part", "qr").Append(code)
	if key := wire.ManualKey(x.Value); key != "" {
		fig.Append(El("figcaption", "class", "lt-help", "part", "help").Append(
			TextNode(t.Text("totp.key_manual", "key", "")),
			El("code", "class", "lt-key", "dir", "ltr").Append(TextNode(key))))
	}
	return fig
}

// codes lists codes to write down, once.
func codes(t wire.Texter, x wire.Field) *Node {
	ol := El("ol", "aria-labelledby", "f-"+x.Name, "dir", "ltr", "part", "list")
	for _, c := range strings.Fields(x.Value) {
		ol.Append(El("li", "part", "list-item").Append(El("code").Append(TextNode(c))))
	}
	return El("div", "class", "lt-field lt-codes", "part", "field codes").Append(
		El("p", "id", "f-"+x.Name, "class", "lt-list-label", "part", "label").Append(TextNode(t.Text(x.Label))),
		ol)
}

// list shows a read-only field: its label, then its options' labels.
func list(t wire.Texter, x wire.Field) *Node {
	ul := El("ul", "aria-labelledby", "f-"+x.Name, "part", "list")
	for _, o := range x.Options {
		ul.Append(El("li", "part", "list-item").Append(TextNode(t.Text(o.Label))))
	}
	return El("div", "class", "lt-field lt-list", "part", "field list").Append(
		El("p", "id", "f-"+x.Name, "class", "lt-list-label", "part", "label").Append(TextNode(t.Text(x.Label))),
		ul)
}

// input is one field with its label and its messages.
func input(f wire.Flow, t wire.Texter, o Options, x wire.Field) *Node {
	div := El("div", "class", "lt-field", "part", "field")
	if x.Type != wire.FieldHidden {
		div.Append(El("label", "for", "f-"+x.Name, "part", "label").Append(TextNode(t.Text(x.Label, wire.Params(x.LabelParams)...))))
	}
	var el *Node
	if x.Type == wire.FieldSelect {
		el = El("select", "id", "f-"+x.Name, "name", x.Name)
		describe(el, f, o, x, x.Required)
		el.Set("part", "input")
		if !x.Required {
			el.Append(El("option", "value", ""))
		}
		for _, opt := range x.Options {
			op := El("option", "value", opt.Value)
			if opt.Value == x.Value {
				op.Set("selected", "")
			}
			el.Append(op.Append(TextNode(wire.OptionText(t, opt))))
		}
	} else {
		el = El("input", "id", "f-"+x.Name, "name", x.Name, "type", wire.InputType(x.Type))
		switch {
		case x.Type == wire.FieldCheckbox:
			el.Set("value", "true")
			if x.Value == "true" {
				el.Set("checked", "")
			}
		case !x.Secret:
			el.Set("value", x.Value)
		}
		if x.Required {
			el.Set("required", "")
		}
		if x.Constraints.MaxLength > 0 {
			el.Set("maxlength", strconv.Itoa(x.Constraints.MaxLength))
		}
		if x.Constraints.Autocomplete != "" {
			el.Set("autocomplete", x.Constraints.Autocomplete)
		}
		if x.Constraints.InputMode != "" {
			el.Set("inputmode", x.Constraints.InputMode)
		}
		describe(el, f, o, x, false) // required is set above, in templ's order
		el.Set("dir", "auto").Set("part", "input")
	}
	div.Append(el)
	if u := x.DocumentURL(); u != "" {
		div.Append(El("p", "class", "lt-help", "part", "help").Append(
			El("a", "href", u, "target", "_blank", "rel", "noopener noreferrer", "part", "link").
				Append(TextNode(t.Text("terms.read", wire.Params(x.LabelParams)...)))))
	}
	for i, m := range f.FieldMessages(x.Name) {
		div.Append(message(t, m, wire.FieldMessageID(x.Name, i), "alert"))
	}
	return div
}

// describe sets required (when asked), aria-invalid, aria-describedby
// and autofocus.
func describe(el *Node, f wire.Flow, o Options, x wire.Field, required bool) {
	if required {
		el.Set("required", "")
	}
	if f.Invalid(x.Name) {
		el.Set("aria-invalid", "true")
	}
	if ids := f.DescribedBy(x.Name); ids != "" {
		el.Set("aria-describedby", ids)
	}
	if o.Autofocus && x.Name == f.FocusField() {
		el.Set("autofocus", "")
	}
}
