package pages

import (
	"github.com/a-h/templ"

	"github.com/lintel-id/lintel/server/engine/wire"
)

// idpAction is the engine's action that signs in through the identity
// provider id, shown as name, of kind (a federation.Kind).
func idpAction(flow, id, name, kind string) wire.Action {
	a := act(flow, wire.IdPActionPrefix+id, "federation.continue_with", false)
	a.LabelParams = []wire.Param{param("name", name), param("kind", kind)}
	return a
}

// sampleSite is the hosted pages' origin in the samples.
const sampleSite = "https://login.acme.example"

// federationSamples are the steps of signing in through an identity
// provider: the providers offered beside the login, a choice between
// the providers that a routing rule found for the person's address, and
// the hand-over to the chosen one, which the hosted page shows only when
// the edge's redirect to the provider did not happen.
func federationSamples() []stepSample {
	return []stepSample{
		{"identify-idps", wire.Flow{ID: "flw_identify_idps", Step: wire.StepIdentify, Context: wire.Context{App: sampleApp},
			Fields: []wire.Field{loginField("", "username")},
			Actions: []wire.Action{act("flw_identify_idps", "next", "action.next", true),
				act("flw_identify_idps", "recover", "action.recover", false), act("flw_identify_idps", "register", "action.register", false),
				idpAction("flw_identify_idps", "idp_google", "Google", "google"),
				idpAction("flw_identify_idps", "idp_acme_sso", "Acme SSO", "saml")}}},
		{"redirect-idp-choice", wire.Flow{ID: "flw_redirect_idp_choice", Step: wire.StepRedirectIdP, Context: signedIn(),
			Actions: []wire.Action{idpAction("flw_redirect_idp_choice", "idp_acme_sso", "Acme SSO", "saml"),
				idpAction("flw_redirect_idp_choice", "idp_acme_partners", "Acme Partners", "oidc"),
				act("flw_redirect_idp_choice", "back", "action.back", false)},
			Messages: []wire.Message{info("federation.choose")}}},
		{"redirect-idp", chosenIdP()},
	}
}

// chosenIdP is a redirect-idp step whose provider is chosen: its primary
// action posts the flow over to the site (the hand-over), and from there
// to the provider.
func chosenIdP() wire.Flow {
	chosen := act("flw_redirect_idp", "redirect", "federation.continue_with", true)
	chosen.Href = sampleSite + "/signin/flw_redirect_idp/idp"
	chosen.LabelParams = []wire.Param{param("name", "Acme SSO"), param("kind", "saml")}
	return wire.Flow{ID: "flw_redirect_idp", Step: wire.StepRedirectIdP, Context: signedIn(),
		Actions: []wire.Action{chosen, act("flw_redirect_idp", "back", "action.back", false)}}
}

// sampleIdPURL is where the sample hand-over sends the browser: the
// provider's authorization endpoint.
const sampleIdPURL = "https://sso.acme.example/oauth2/authorize?client_id=lintel&response_type=code&state=STATE"

// handoverScreen is the page of the hand-over to the provider. It leaves
// p.RefreshTo unset, so that a preview stays on the page; the edge sets it
// to the provider's address, and the page moves on at once.
func handoverScreen() Screen {
	return screen("redirect-idp-handover", StepTitle(wire.StepRedirectIdP), func(p Page) templ.Component {
		return IdPRedirect(p, chosenIdP(), sampleIdPURL)
	})
}

// idpEdgeCases are flows of signing in through identity providers that
// no screen shows, for the renderers' tests: a provider's name with
// markup in it, one without a kind, a choice without a way back, a
// hand-over address that must not be used (javascript:), and the
// federation messages on the steps where the engine puts them.
func idpEdgeCases() []wire.Flow {
	hostile := wire.Action{Name: "idp:idp_1", Method: "POST", Label: "federation.continue_with",
		LabelParams: []wire.Param{{Name: "name", Value: `Acme <SSO> & "Co"`}, {Name: "kind", Value: `oidc" onclick="x`}}}
	plain := wire.Action{Name: "idp:idp_2", Method: "POST", Label: "federation.continue_with",
		LabelParams: []wire.Param{{Name: "name", Value: "Beta"}}}
	name := []wire.Param{{Name: "name", Value: "Beta"}}
	return []wire.Flow{
		{
			ID: "f17", Step: wire.StepIdentify,
			Fields:   []wire.Field{{Name: "login", Type: wire.FieldText, Label: "field.login.label", Required: true}},
			Actions:  []wire.Action{{Name: "next", Method: "POST", Label: "action.next", Primary: true}, hostile, plain},
			Messages: []wire.Message{{ID: "federation.error.email_taken", Level: wire.LevelError, Params: name}},
		},
		{
			ID: "f18", Step: wire.StepRedirectIdP, Actions: []wire.Action{plain, hostile},
			Messages: []wire.Message{
				{ID: "federation.choose", Level: wire.LevelInfo},
				{ID: "federation.error.denied", Level: wire.LevelError, Params: name},
			},
		},
		{
			ID: "f19", Step: wire.StepRedirectIdP,
			Actions: []wire.Action{{Name: "redirect", Method: "POST", Href: "javascript:alert(1)", Label: "federation.continue_with",
				LabelParams: name, Primary: true}},
			Messages: []wire.Message{{ID: "federation.error.expired", Level: wire.LevelError, Params: name}},
		},
		{
			ID: "f20", Step: wire.StepChallengePassword, Context: wire.Context{UserHint: "ada@example.com"},
			Fields: []wire.Field{{Name: "password", Type: wire.FieldPassword, Label: "field.password.label", Required: true, Secret: true}},
			Actions: []wire.Action{{Name: "sign-in", Method: "POST", Label: "action.sign_in", Primary: true},
				{Name: "back", Method: "POST", Label: "action.back"}},
			Messages: []wire.Message{{ID: "federation.link.prove", Level: wire.LevelInfo, Params: name}},
		},
	}
}
