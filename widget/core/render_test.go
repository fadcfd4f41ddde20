package core_test

import (
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/widget/core"
)

// idpTexts are the English texts the tests below need.
var idpTexts = wire.Catalog{Lang: "en", Messages: map[string]string{
	"federation.continue_with": "Continue with {name}",
	"federation.or":            "or",
	"action.next":              "Next",
	"action.back":              "Back",
}}

func idpAction(id, name, kind string) wire.Action {
	return wire.Action{Name: "idp:" + id, Method: "POST", Label: "federation.continue_with",
		LabelParams: []wire.Param{{Name: "name", Value: name}, {Name: "kind", Value: kind}}}
}

// outline lists the elements under n one a line, as tag, part and the
// attributes named, with the text of buttons and paragraphs, leaving out
// inputs and what lies inside a field.
func outline(n *core.Node, attrs ...string) string {
	var b strings.Builder
	var walk func(n *core.Node, depth int)
	walk = func(n *core.Node, depth int) {
		if n.Tag == "" || n.Tag == "input" {
			return
		}
		part, _ := n.Attr("part")
		b.WriteString(strings.Repeat("  ", depth) + n.Tag + "[" + part + "]")
		for _, a := range attrs {
			if v, ok := n.Attr(a); ok {
				b.WriteString(" " + a + "=" + v)
			}
		}
		if (n.Tag == "button" || n.Tag == "p") && len(n.Children) == 1 && n.Children[0].Tag == "" {
			b.WriteString(" " + n.Children[0].Text)
		}
		b.WriteString("\n")
		if part == "field" {
			return
		}
		for _, c := range n.Children {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

func TestRenderIdPButtons(t *testing.T) {
	for _, c := range []struct {
		name string
		flow wire.Flow
		want string
	}{
		{
			"identify: the step's own actions, an or divider, then the providers, each with its kind",
			wire.Flow{ID: "f1", Step: wire.StepIdentify,
				Fields: []wire.Field{{Name: "login", Type: wire.FieldEmail, Required: true}},
				Actions: []wire.Action{
					idpAction("g", "Google", "google"),
					{Name: "next", Method: "POST", Label: "action.next", Primary: true},
					idpAction("acme", `Acme "SSO" <&>`, "oidc"),
				}},
			`form[form]
  div[field]
  div[actions]
    button[button primary] name=action value=next Next
  p[divider] or
  div[idps]
    button[idp-button] name=action value=idp:g data-kind=google formnovalidate= Continue with Google
    button[idp-button] name=action value=idp:acme data-kind=oidc formnovalidate= Continue with Acme "SSO" <&>
`,
		},
		{
			"a choice of providers: the providers first, no divider, then back",
			wire.Flow{ID: "f1", Step: wire.StepRedirectIdP,
				Messages: []wire.Message{{ID: "federation.choose", Level: wire.LevelInfo}},
				Actions: []wire.Action{
					idpAction("a", "Acme", "saml"),
					{Name: "back", Method: "POST", Label: "action.back"},
					idpAction("b", "Beta", ""),
				}},
			`form[form]
  div[idps]
    button[idp-button] name=action value=idp:a data-kind=saml formnovalidate= Continue with Acme
    button[idp-button] name=action value=idp:b data-kind= formnovalidate= Continue with Beta
  div[actions]
    button[button] name=action value=back formnovalidate= Back
`,
		},
		{
			"a chosen provider: the primary button posts the flow over to its href",
			wire.Flow{ID: "f1", Step: wire.StepRedirectIdP,
				Actions: []wire.Action{
					{Name: "redirect", Method: "POST", Href: "https://login.acme.com/signin/f1/idp", Label: "federation.continue_with",
						LabelParams: []wire.Param{{Name: "name", Value: "Acme SSO"}, {Name: "kind", Value: "oidc"}}, Primary: true},
					{Name: "back", Method: "POST", Label: "action.back"},
				}},
			`form[form]
  div[actions]
    button[button primary] name=action value=redirect formaction=https://login.acme.com/signin/f1/idp Continue with Acme SSO
    button[button] name=action value=back formnovalidate= Back
`,
		},
		{
			"a chosen provider with an address the widget does not follow: no formaction",
			wire.Flow{ID: "f1", Step: wire.StepRedirectIdP,
				Actions: []wire.Action{{Name: "redirect", Method: "POST", Href: "javascript:alert(1)", Label: "federation.continue_with",
					LabelParams: []wire.Param{{Name: "name", Value: "Acme SSO"}}, Primary: true}}},
			`form[form]
  div[actions]
    button[button primary] name=action value=redirect Continue with Acme SSO
`,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.flow.Validate(); err != nil {
				t.Fatalf("the test's flow is not valid: %v", err)
			}
			n := core.Render(c.flow, idpTexts, core.Options{Action: "https://login.acme.com/api/v1/flows/f1", Secret: "s"})
			form := n.Find(func(n *core.Node) bool { return n.Tag == "form" })
			if form == nil {
				t.Fatalf("no form in %s", n.HTML())
			}
			if got := outline(form, "name", "value", "data-kind", "formaction", "formnovalidate"); got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

func TestRenderLinkLabelsTakeTheirParams(t *testing.T) {
	f := wire.Flow{ID: "f1", Step: wire.StepIdentify, Actions: []wire.Action{
		{Name: "sso", Method: "GET", Label: "federation.continue_with", LabelParams: []wire.Param{{Name: "name", Value: "Acme"}}},
	}}
	n := core.Render(f, idpTexts, core.Options{Action: "https://login.acme.com/api/v1/flows/f1"})
	a := n.Find(func(n *core.Node) bool { return n.Tag == "a" })
	if a == nil || len(a.Children) != 1 || a.Children[0].Text != "Continue with Acme" {
		t.Fatalf("link: %s", n.HTML())
	}
}
