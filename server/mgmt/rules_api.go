package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// RuleView is a group rule: users for whom the CEL expression holds are
// members of the group.
type RuleView struct {
	ID                string    `json:"id"`
	TenantID          string    `json:"tenant_id"`
	Name              string    `json:"name"`
	Expression        string    `json:"expression" doc:"CEL over user (a map of attributes), of type bool"`
	GroupID           string    `json:"group_id"`
	Attributes        []string  `json:"attributes" doc:"Attributes the expression reads"`
	UsesEditableAttrs bool      `json:"uses_editable_attributes"`
	OverrideEditable  bool      `json:"override_editable"`
	Status            string    `json:"status"`
	CreatedAt         time.Time `json:"created_at"`
}

func ruleView(r directory.Rule) RuleView {
	return RuleView{ID: r.ID, TenantID: r.TenantID, Name: r.Name, Expression: r.Expression, GroupID: r.GroupID, Attributes: nonNil(r.Attributes),
		UsesEditableAttrs: r.UsesEditableAttrs, OverrideEditable: r.OverrideEditable, Status: string(r.Status), CreatedAt: r.CreatedAt}
}

// RulePath names a group rule of a tenant.
type RulePath struct {
	TenantPath
	Rule string `path:"rule" maxLength:"64"`
}

func (a *API) registerRules() {
	const tag = "Groups"
	base := Prefix + "/tenants/{tenant}/group-rules"
	register(a, Route{ID: "list-group-rules", Method: http.MethodGet, Path: base, Scope: ScopeGroupsRead}, tag, "List group rules",
		func(ctx context.Context, in *struct {
			TenantPath
			Page
		}) (*Out[List[RuleView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]directory.Rule, string, error) {
				return a.Directory.ListRules(ctx, tx, principal(ctx).Target.ID, in.After, in.limit())
			}, ruleView)
		})
	register(a, Route{ID: "create-group-rule", Method: http.MethodPost, Path: base, Scope: ScopeGroupsWrite, Status: http.StatusCreated}, tag, "Create a group rule; reading user-editable attributes needs override_editable",
		func(ctx context.Context, in *struct {
			TenantPath
			Body struct {
				Name             string `json:"name" minLength:"1" maxLength:"100"`
				Expression       string `json:"expression" minLength:"1" maxLength:"2000"`
				GroupID          string `json:"group_id" minLength:"1" maxLength:"64"`
				OverrideEditable bool   `json:"override_editable,omitempty" doc:"Explicitly allow the rule to read attributes users may edit themselves"`
			}
		}) (*Out[RuleView], error) {
			b := in.Body
			return changed(a, ctx, "group_rule.created", func(r directory.Rule) events.Ref { return events.Ref{Type: "group_rule", ID: r.ID} },
				func(ctx context.Context, tx store.Tx, ev *events.Event) (directory.Rule, error) {
					tid := principal(ctx).Target.ID
					editable, err := a.Directory.EditableAttributes(ctx, tx, tid)
					if err != nil {
						return directory.Rule{}, err
					}
					ev.Details = map[string]any{"override_editable": b.OverrideEditable}
					return a.Directory.CreateRule(ctx, tx, tid, directory.RuleInput{Name: b.Name, Expression: b.Expression, GroupID: b.GroupID, OverrideEditable: b.OverrideEditable}, editable)
				}, ruleView)
		})
	register(a, Route{ID: "get-group-rule", Method: http.MethodGet, Path: base + "/{rule}", Scope: ScopeGroupsRead}, tag, "Get a group rule",
		func(ctx context.Context, in *RulePath) (*Out[RuleView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (directory.Rule, error) {
				return a.Directory.Rule(ctx, tx, principal(ctx).Target.ID, in.Rule)
			}, ruleView)
		})
	register(a, Route{ID: "delete-group-rule", Method: http.MethodDelete, Path: base + "/{rule}", Scope: ScopeGroupsWrite, Status: http.StatusNoContent}, tag, "Delete a group rule and the memberships it added",
		func(ctx context.Context, in *RulePath) (*struct{}, error) {
			return deleted(a, ctx, "group_rule.deleted", events.Ref{Type: "group_rule", ID: in.Rule}, func(ctx context.Context, tx store.Tx) error {
				return a.Directory.DeleteRule(ctx, tx, principal(ctx).Target.ID, in.Rule)
			})
		})
}
