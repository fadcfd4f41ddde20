package pages

import (
	"strings"

	"github.com/lintel-id/lintel/server/engine/wire"
)

// Signing in through an identity provider: the engine offers each
// provider as a form action named "idp:" and the provider's ID, labelled
// federation.continue_with with the provider's display name ("name") and
// kind ("kind") as label parameters. A step shows its own actions and the
// providers' apart; widget/core renders the same markup.

// idpActionPrefix starts the name of an action that signs in through an
// identity provider.
const idpActionPrefix = "idp:"

// actionGroups splits a step's form actions into the step's own and
// those signing in through an identity provider, each in the engine's
// order.
func actionGroups(f wire.Flow) (own, idps []wire.Action) {
	for _, a := range f.FormActions() {
		if strings.HasPrefix(a.Name, idpActionPrefix) {
			idps = append(idps, a)
		} else {
			own = append(own, a)
		}
	}
	return own, idps
}

// labelParam is the value of a's label parameter name, "" when it has
// none.
func labelParam(a wire.Action, name string) string {
	for _, p := range a.LabelParams {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// postTarget is where a button posts instead of the page: on a
// redirect-idp step whose provider is chosen, the primary action's Href,
// which hands the flow over to the provider (the edge usually redirects
// there at once; the page shows when it could not, and works without
// JavaScript). Only an https address, or http on loopback, is used, as the
// widget checks before following it; otherwise, and for every other
// action, "" (the button posts with its form).
func postTarget(f wire.Flow, a wire.Action) string {
	if f.Step != wire.StepRedirectIdP || !a.Primary || a.Href == "" {
		return ""
	}
	return wire.Field{LabelParams: []wire.Param{{Name: "url", Value: a.Href}}}.DocumentURL()
}
