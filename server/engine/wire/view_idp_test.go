package wire

import "testing"

func TestActionGroups(t *testing.T) {
	acme := Action{Name: "idp:acme", Method: "POST", Label: "federation.continue_with", LabelParams: []Param{{"name", "Acme SSO"}, {"kind", "oidc"}}}
	identify := Flow{ID: "f", Step: StepIdentify,
		Fields: []Field{{Name: "login", Type: FieldEmail}},
		Actions: []Action{
			{Name: "idp:google", Method: "POST"}, {Name: "next", Method: "POST", Primary: true}, acme,
			{Name: "help", Method: "GET"}, {Name: "register", Method: "POST"},
		}}
	choice := Flow{ID: "f", Step: StepRedirectIdP, Actions: []Action{acme, {Name: "back", Method: "POST"}}}
	actionName := func(a Action) string { return a.Name }
	own, idps := identify.ActionGroups()
	choiceOwn, choiceIdPs := choice.ActionGroups()
	for _, c := range []struct{ name, got, want string }{
		{"own actions are the form's others, in order", names(own, actionName), "next register"},
		{"providers' actions are the idp: ones, in order", names(idps, actionName), "idp:google idp:acme"},
		{"a choice's own action", names(choiceOwn, actionName), "back"},
		{"a choice's providers", names(choiceIdPs, actionName), "idp:acme"},
		{"a label parameter", acme.LabelParam("kind"), "oidc"},
		{"a label parameter it lacks", acme.LabelParam("url"), ""},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if identify.IdPsFirst() || !choice.IdPsFirst() {
		t.Error("IdPsFirst: after the own actions on a step with fields, first on one without")
	}
	if !acme.IsIdP() || (Action{Name: "idp"}).IsIdP() || (Action{Name: "next"}).IsIdP() {
		t.Error("IsIdP: only names that start with idp:")
	}
}

func TestPostTarget(t *testing.T) {
	redirect := func(a Action) Flow { return Flow{ID: "f", Step: StepRedirectIdP, Actions: []Action{a}} }
	hand := Action{Name: "redirect", Method: "POST", Href: "https://login.acme.example/signin/f/idp", Primary: true}
	for _, c := range []struct {
		name string
		f    Flow
		want string
	}{
		{"the primary POST action of redirect-idp posts to its href", redirect(hand), hand.Href},
		{"http on loopback, for development", redirect(Action{Name: "redirect", Method: "POST", Href: "http://localhost:8080/signin/f/idp", Primary: true}), "http://localhost:8080/signin/f/idp"},
		{"never javascript:", redirect(Action{Name: "redirect", Method: "POST", Href: "javascript:alert(1)", Primary: true}), ""},
		{"never plain http", redirect(Action{Name: "redirect", Method: "POST", Href: "http://acme.example/idp", Primary: true}), ""},
		{"not a secondary action", redirect(Action{Name: "redirect", Method: "POST", Href: hand.Href}), ""},
		{"not a GET action", redirect(Action{Name: "redirect", Method: "GET", Href: hand.Href, Primary: true}), ""},
		{"not on another step", Flow{ID: "f", Step: StepIdentify, Actions: []Action{hand}}, ""},
	} {
		if got := c.f.PostTarget(c.f.Actions[0]); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
