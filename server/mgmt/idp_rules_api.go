package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/federation"
	"github.com/lintel-id/lintel/server/store"
)

// IdPRuleMatch is when an IdP routing rule applies: every condition that
// is not empty must hold.
type IdPRuleMatch struct {
	Domains []string `json:"domains" maxItems:"100" doc:"Email domains (acme.com matches that domain only, *.acme.com its subdomains); a rule with domains applies only once the person has typed an address"`
	Apps    []string `json:"apps" maxItems:"100" doc:"App IDs the sign-in is for"`
	Zones   []string `json:"zones" maxItems:"100" doc:"Network zone IDs the person's address must be in"`
	Groups  []string `json:"groups" maxItems:"100" doc:"Group names; the person must be in at least one"`
}

// IdPRuleView is an IdP routing rule: which identity providers a
// sign-in is offered, or sent to, once it matches.
type IdPRuleView struct {
	ID        string       `json:"id"`
	TenantID  string       `json:"tenant_id"`
	Name      string       `json:"name"`
	Priority  int          `json:"priority" doc:"Rules are tried lowest first (then by ID); the first that matches decides"`
	Match     IdPRuleMatch `json:"match"`
	IdPs      []string     `json:"idps" doc:"The identity providers (IDs) offered, in order; disabled ones are skipped"`
	Mode      string       `json:"mode" enum:"redirect,buttons" doc:"redirect: straight to the first enabled provider; buttons: offer them beside the other ways to sign in"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

func idpRuleView(r federation.Rule) IdPRuleView {
	return IdPRuleView{ID: r.ID, TenantID: r.TenantID, Name: r.Name, Priority: r.Priority,
		Match: IdPRuleMatch{Domains: nonNil(r.Match.Domains), Apps: nonNil(r.Match.Apps), Zones: nonNil(r.Match.Zones), Groups: nonNil(r.Match.Groups)},
		IdPs:  nonNil(r.IdPs), Mode: r.Mode, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// IdPRulePath names an IdP routing rule of a tenant.
type IdPRulePath struct {
	TenantPath
	Rule string `path:"rule" maxLength:"64" doc:"Routing rule ID"`
}

// idpRuleMatchBody is the condition of a routing rule as written: every
// list may be left out.
type idpRuleMatchBody struct {
	Domains []string `json:"domains,omitempty" maxItems:"100" doc:"Email domains (acme.com matches that domain only, *.acme.com its subdomains); a rule with domains applies only once the person has typed an address"`
	Apps    []string `json:"apps,omitempty" maxItems:"100" doc:"App IDs the sign-in is for"`
	Zones   []string `json:"zones,omitempty" maxItems:"100" doc:"Network zone IDs the person's address must be in"`
	Groups  []string `json:"groups,omitempty" maxItems:"100" doc:"Group names; the person must be in at least one"`
}

// idpRuleBody is an IdP routing rule as written.
type idpRuleBody struct {
	Name     string           `json:"name" minLength:"1" maxLength:"100"`
	Priority int              `json:"priority" minimum:"0" maximum:"1000000" doc:"Rules are tried lowest first (then by ID); the first that matches decides"`
	Match    idpRuleMatchBody `json:"match" doc:"Every condition that is not empty must hold; with none, the rule matches every sign-in"`
	IdPs     []string         `json:"idps" minItems:"1" maxItems:"20" doc:"Identity provider IDs of the tenant, in the order offered"`
	Mode     string           `json:"mode,omitempty" enum:"redirect,buttons" doc:"redirect: straight to the first enabled provider; buttons (the default): offer them beside the other ways to sign in"`
}

func (b idpRuleBody) input() federation.RuleInput {
	m := b.Match
	return federation.RuleInput{Name: b.Name, Priority: b.Priority, IdPs: b.IdPs, Mode: b.Mode,
		Match: federation.Match{Domains: m.Domains, Apps: m.Apps, Zones: m.Zones, Groups: m.Groups}}
}

func idpRuleRef(r federation.Rule) events.Ref { return events.Ref{Type: "idp_rule", ID: r.ID} }

// idpRuleDetails are a routing rule's event details.
func idpRuleDetails(r federation.Rule) map[string]any {
	return map[string]any{"name": r.Name, "priority": r.Priority, "idps": nonNil(r.IdPs), "mode": r.Mode}
}

func (a *API) registerIdPRules() {
	const tag = "Identity providers"
	base := Prefix + "/tenants/{tenant}/idp-routing-rules"
	register(a, Route{ID: "list-idp-routing-rules", Method: http.MethodGet, Path: base, Scope: ScopeIdPsRead}, tag,
		"List the tenant's IdP routing rules in the order they are tried",
		func(ctx context.Context, in *TenantPath) (*Out[List[IdPRuleView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]federation.Rule, string, error) {
				rules, err := a.Federation.ListRules(ctx, tx, principal(ctx).Target.ID)
				return rules, "", federationErr(err)
			}, idpRuleView)
		})
	register(a, Route{ID: "create-idp-routing-rule", Method: http.MethodPost, Path: base, Scope: ScopeIdPsWrite, Status: http.StatusCreated}, tag,
		"Create an IdP routing rule: which identity providers a sign-in that matches is offered or sent to",
		func(ctx context.Context, in *struct {
			TenantPath
			Body idpRuleBody
		}) (*Out[IdPRuleView], error) {
			return changed(a, ctx, "idp_rule.created", idpRuleRef, func(ctx context.Context, tx store.Tx, ev *events.Event) (federation.Rule, error) {
				r, err := a.Federation.CreateRule(ctx, tx, principal(ctx).Target.ID, in.Body.input())
				ev.Details = idpRuleDetails(r)
				return r, federationErr(err)
			}, idpRuleView)
		})
	register(a, Route{ID: "get-idp-routing-rule", Method: http.MethodGet, Path: base + "/{rule}", Scope: ScopeIdPsRead}, tag,
		"Get an IdP routing rule",
		func(ctx context.Context, in *IdPRulePath) (*Out[IdPRuleView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (federation.Rule, error) {
				r, err := a.Federation.Rule(ctx, tx, principal(ctx).Target.ID, in.Rule)
				return r, federationErr(err)
			}, idpRuleView)
		})
	register(a, Route{ID: "update-idp-routing-rule", Method: http.MethodPut, Path: base + "/{rule}", Scope: ScopeIdPsWrite}, tag,
		"Replace an IdP routing rule",
		func(ctx context.Context, in *struct {
			IdPRulePath
			Body idpRuleBody
		}) (*Out[IdPRuleView], error) {
			return changed(a, ctx, "idp_rule.updated", ref[federation.Rule]("idp_rule", in.Rule), func(ctx context.Context, tx store.Tx, ev *events.Event) (federation.Rule, error) {
				r, err := a.Federation.UpdateRule(ctx, tx, principal(ctx).Target.ID, in.Rule, in.Body.input())
				ev.Details = idpRuleDetails(r)
				return r, federationErr(err)
			}, idpRuleView)
		})
	register(a, Route{ID: "delete-idp-routing-rule", Method: http.MethodDelete, Path: base + "/{rule}", Scope: ScopeIdPsWrite, Status: http.StatusNoContent}, tag,
		"Delete an IdP routing rule",
		func(ctx context.Context, in *IdPRulePath) (*struct{}, error) {
			return deleted(a, ctx, "idp_rule.deleted", events.Ref{Type: "idp_rule", ID: in.Rule}, func(ctx context.Context, tx store.Tx) error {
				return federationErr(a.Federation.DeleteRule(ctx, tx, principal(ctx).Target.ID, in.Rule))
			})
		})
}
