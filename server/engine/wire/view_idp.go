package wire

import "strings"

// Signing in through an identity provider: the engine offers each
// provider as a form action named IdPActionPrefix and the provider's ID,
// labelled federation.continue_with with the provider's display name
// ("name") and kind ("kind", e.g. "google", "oidc", "saml") as label
// parameters. Once a provider is chosen, a redirect-idp step's primary
// action posts the flow over to it (PostTarget). The view decisions below
// are shared by the hosted pages and the widget, as those of view.go.

// IdPActionPrefix starts the name of an action that signs in through an
// identity provider.
const IdPActionPrefix = "idp:"

// IsIdP reports whether a signs in through an identity provider.
func (a Action) IsIdP() bool { return strings.HasPrefix(a.Name, IdPActionPrefix) }

// LabelParam returns the value of a's label parameter name, "" when it
// has none.
func (a Action) LabelParam(name string) string {
	for _, p := range a.LabelParams {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// ActionGroups splits the form actions (FormActions) into the step's own
// and those signing in through an identity provider, each in the flow's
// order. The providers' buttons are shown apart: on a step with fields
// (identify) after its own actions, below an "or" divider; on a step
// without (a choice of providers) before them (IdPsFirst).
func (f Flow) ActionGroups() (own, idps []Action) {
	for _, a := range f.FormActions() {
		if a.IsIdP() {
			idps = append(idps, a)
		} else {
			own = append(own, a)
		}
	}
	return own, idps
}

// IdPsFirst reports whether the identity providers' buttons come before
// the step's own actions (a step without fields, where they are the
// choice) rather than after them below an "or" divider.
func (f Flow) IdPsFirst() bool { return len(f.Fields) == 0 }

// PostTarget is where a's button posts instead of the flow: on a
// redirect-idp step, the Href of the primary action when its Method is
// POST and WebURL accepts it; it hands the flow over to Lintel's hosted
// pages, and from there to the provider. "" for every other action (the
// button posts with its form).
func (f Flow) PostTarget(a Action) string {
	if f.Step != StepRedirectIdP || !a.Primary || a.Method != "POST" {
		return ""
	}
	return WebURL(a.Href)
}
