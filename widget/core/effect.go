package core

import "github.com/lintel-id/lintel/server/engine/wire"

// PollSeconds is how often a waiting step (poll) reads the flow again.
const PollSeconds = 3

// SecretField is the name under which a form carries the flow secret:
// the hidden input of every rendered step, and the one field of the
// top-level form that hands a flow over to Lintel's hosted pages.
const SecretField = "flow_secret"

// EffectKind is what the widget does with a step.
type EffectKind int

// The effects of a step.
const (
	// EffectRender shows the step; with Poll set, it reads the flow
	// again every PollSeconds while the step waits.
	EffectRender EffectKind = iota
	// EffectDone hands the flow's redirect (the app's redirect URI with
	// code and state) to the loader, which checks state and calls the
	// app's onSuccess.
	EffectDone
	// EffectNavigate sends the whole page (the top-level browsing
	// context) to URL: an identity provider's sign-in cannot run inside
	// the widget (the provider's page cannot be framed, and its callback
	// comes back to Lintel's site). With Method "GET" the page follows
	// URL as a link; with "POST" it submits a form to URL carrying the
	// flow secret as the hidden value SecretField, which hands the flow
	// over to Lintel's hosted pages without the secret ever being in a
	// URL. The core does not hold the secret: the DOM adds it.
	EffectNavigate
)

// Effect is the widget's decision about a step.
type Effect struct {
	Kind EffectKind
	URL  string // EffectDone: the redirect; EffectNavigate: where to go
	// Method is how EffectNavigate goes to URL: "GET" or "POST".
	Method string
	// SecretField is, for EffectNavigate by POST, the name of the form's
	// hidden input that carries the flow secret; "" otherwise.
	SecretField string
	Poll        bool // EffectRender: read the flow again every PollSeconds
}

// EffectOf decides what to do with step f. A done step without a
// redirect, or a redirect-idp step without an address the widget may go
// to, is rendered (the server's messages say what went wrong).
func EffectOf(f wire.Flow) Effect {
	switch f.Step {
	case wire.StepDone:
		if f.Redirect != "" {
			return Effect{Kind: EffectDone, URL: f.Redirect}
		}
	case wire.StepRedirectIdP:
		if a, ok := idpAction(f); ok {
			return NavigateTo(a)
		}
	case wire.StepPoll:
		return Effect{Kind: EffectRender, Poll: true}
	}
	return Effect{Kind: EffectRender}
}

// NavigateTo is the effect of following action a out of the widget: a
// top-level form POST to its Href when its Method is POST, else a link
// to it; EffectRender when Href is not an https URL (or http on
// loopback, for development), which is never followed (javascript:,
// data:).
func NavigateTo(a wire.Action) Effect {
	u := wire.WebURL(a.Href)
	switch {
	case u == "":
		return Effect{Kind: EffectRender}
	case a.Method == "POST":
		return Effect{Kind: EffectNavigate, URL: u, Method: "POST", SecretField: SecretField}
	}
	return Effect{Kind: EffectNavigate, URL: u, Method: "GET"}
}

// SubmitEffect is what submitting the form with action does on step f:
// where the action's button posts the flow over to another address
// (wire.Flow.PostTarget: a redirect-idp step's hand-over), the top-level
// POST a form without JavaScript would make; otherwise EffectRender, and
// the widget continues the flow through the API.
func SubmitEffect(f wire.Flow, action string) Effect {
	for _, a := range f.FormActions() {
		if a.Name == action && f.PostTarget(a) != "" {
			return NavigateTo(a)
		}
	}
	return Effect{Kind: EffectRender}
}

// idpAction is the action of a redirect-idp step that leads to the
// provider: the primary action if it has an href, else the first action
// with one.
func idpAction(f wire.Flow) (wire.Action, bool) {
	var found wire.Action
	ok := false
	for _, a := range f.Actions {
		if a.Href != "" && (!ok || a.Primary) {
			found, ok = a, true
			if a.Primary {
				break
			}
		}
	}
	return found, ok
}
