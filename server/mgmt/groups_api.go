package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// GroupView is a group of users.
type GroupView struct {
	ID          string    `json:"id"`
	TenantID    string    `json:"tenant_id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func groupView(g directory.Group) GroupView {
	return GroupView{ID: g.ID, TenantID: g.TenantID, Name: g.Name, Description: g.Description, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt}
}

// MemberView is one membership.
type MemberView struct {
	UserID  string    `json:"user_id"`
	Source  string    `json:"source" enum:"manual,rule"`
	RuleID  string    `json:"rule_id,omitempty"`
	AddedAt time.Time `json:"added_at"`
}

// GroupPath names a group of a tenant.
type GroupPath struct {
	TenantPath
	Group string `path:"group" maxLength:"64"`
}

type groupBody struct {
	Name        string `json:"name" minLength:"1" maxLength:"100"`
	Description string `json:"description,omitempty" maxLength:"1000"`
}

func (a *API) registerGroups() {
	const tag = "Groups"
	base := Prefix + "/tenants/{tenant}/groups"
	register(a, Route{ID: "list-groups", Method: http.MethodGet, Path: base, Scope: ScopeGroupsRead}, tag, "List groups",
		func(ctx context.Context, in *struct {
			TenantPath
			Page
		}) (*Out[List[GroupView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]directory.Group, string, error) {
				return a.Directory.ListGroups(ctx, tx, principal(ctx).Target.ID, in.After, in.limit())
			}, groupView)
		})
	register(a, Route{ID: "create-group", Method: http.MethodPost, Path: base, Scope: ScopeGroupsWrite, Status: http.StatusCreated}, tag, "Create a group",
		func(ctx context.Context, in *struct {
			TenantPath
			Body groupBody
		}) (*Out[GroupView], error) {
			return changed(a, ctx, "group.created", func(g directory.Group) events.Ref { return events.Ref{Type: "group", ID: g.ID} },
				func(ctx context.Context, tx store.Tx, _ *events.Event) (directory.Group, error) {
					return a.Directory.CreateGroup(ctx, tx, principal(ctx).Target.ID, directory.GroupInput{Name: in.Body.Name, Description: in.Body.Description})
				}, groupView)
		})
	register(a, Route{ID: "get-group", Method: http.MethodGet, Path: base + "/{group}", Scope: ScopeGroupsRead}, tag, "Get a group",
		func(ctx context.Context, in *GroupPath) (*Out[GroupView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (directory.Group, error) {
				return a.Directory.Group(ctx, tx, principal(ctx).Target.ID, in.Group)
			}, groupView)
		})
	register(a, Route{ID: "update-group", Method: http.MethodPut, Path: base + "/{group}", Scope: ScopeGroupsWrite}, tag, "Replace a group's name and description",
		func(ctx context.Context, in *struct {
			GroupPath
			Body groupBody
		}) (*Out[GroupView], error) {
			return changed(a, ctx, "group.updated", ref[directory.Group]("group", in.Group),
				func(ctx context.Context, tx store.Tx, _ *events.Event) (directory.Group, error) {
					return a.Directory.UpdateGroup(ctx, tx, principal(ctx).Target.ID, in.Group, directory.GroupInput{Name: in.Body.Name, Description: in.Body.Description})
				}, groupView)
		})
	register(a, Route{ID: "delete-group", Method: http.MethodDelete, Path: base + "/{group}", Scope: ScopeGroupsWrite, Status: http.StatusNoContent}, tag, "Delete a group no rule targets",
		func(ctx context.Context, in *GroupPath) (*struct{}, error) {
			return deleted(a, ctx, "group.deleted", events.Ref{Type: "group", ID: in.Group}, func(ctx context.Context, tx store.Tx) error {
				return a.Directory.DeleteGroup(ctx, tx, principal(ctx).Target.ID, in.Group)
			})
		})
	register(a, Route{ID: "list-group-members", Method: http.MethodGet, Path: base + "/{group}/members", Scope: ScopeGroupsRead}, tag, "List a group's members",
		func(ctx context.Context, in *struct {
			GroupPath
			Page
		}) (*Out[List[MemberView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]directory.Member, string, error) {
				return a.Directory.Members(ctx, tx, principal(ctx).Target.ID, in.Group, in.After, in.limit())
			}, func(m directory.Member) MemberView {
				return MemberView{UserID: m.UserID, Source: string(m.Source), RuleID: m.RuleID, AddedAt: m.AddedAt}
			})
		})
	register(a, Route{ID: "add-group-member", Method: http.MethodPut, Path: base + "/{group}/members/{user}", Scope: ScopeGroupsWrite, Status: http.StatusNoContent}, tag, "Add a user to a group",
		func(ctx context.Context, in *struct {
			GroupPath
			User string `path:"user" maxLength:"64"`
		}) (*struct{}, error) {
			return deleted(a, ctx, "group.member.added", events.Ref{Type: "group", ID: in.Group}, func(ctx context.Context, tx store.Tx) error {
				return a.Directory.AddMember(ctx, tx, principal(ctx).Target.ID, in.Group, in.User)
			})
		})
	register(a, Route{ID: "remove-group-member", Method: http.MethodDelete, Path: base + "/{group}/members/{user}", Scope: ScopeGroupsWrite, Status: http.StatusNoContent}, tag, "Remove a user from a group",
		func(ctx context.Context, in *struct {
			GroupPath
			User string `path:"user" maxLength:"64"`
		}) (*struct{}, error) {
			return deleted(a, ctx, "group.member.removed", events.Ref{Type: "group", ID: in.Group}, func(ctx context.Context, tx store.Tx) error {
				return a.Directory.RemoveMember(ctx, tx, principal(ctx).Target.ID, in.Group, in.User)
			})
		})
}
