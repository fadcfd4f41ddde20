package mgmt

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// AttributeView holds an attribute's flags beside the schema.
type AttributeView struct {
	Required     bool   `json:"required,omitempty"`
	Unique       bool   `json:"unique,omitempty"`
	Sensitive    bool   `json:"sensitive,omitempty" doc:"Never in logs, events or tokens"`
	UserEditable bool   `json:"user_editable,omitempty" doc:"Cannot feed access-granting rules without an explicit override"`
	Registration bool   `json:"registration,omitempty"`
	Source       string `json:"source,omitempty" enum:"user,admin,import,ldap,idp"`
}

// UserTypeView is a user type with its profile schema.
type UserTypeView struct {
	ID         string                   `json:"id"`
	TenantID   string                   `json:"tenant_id"`
	Name       string                   `json:"name"`
	Schema     map[string]any           `json:"schema" doc:"JSON Schema 2020-12 of the custom attributes"`
	Attributes map[string]AttributeView `json:"attributes"`
	CreatedAt  time.Time                `json:"created_at"`
	UpdatedAt  time.Time                `json:"updated_at"`
}

func userTypeView(t directory.UserType) UserTypeView {
	v := UserTypeView{ID: t.ID, TenantID: t.TenantID, Name: t.Name, Schema: map[string]any{}, Attributes: map[string]AttributeView{}, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	_ = json.Unmarshal(t.Schema, &v.Schema)
	for name, a := range t.Attributes {
		v.Attributes[name] = AttributeView{Required: a.Required, Unique: a.Unique, Sensitive: a.Sensitive, UserEditable: a.UserEditable, Registration: a.Registration, Source: a.Source}
	}
	return v
}

// UserTypePath names a user type of a tenant.
type UserTypePath struct {
	TenantPath
	Type string `path:"type" maxLength:"64"`
}

type userTypeBody struct {
	Name       string                   `json:"name" minLength:"1" maxLength:"100"`
	Schema     map[string]any           `json:"schema"`
	Attributes map[string]AttributeView `json:"attributes,omitempty"`
}

func (b userTypeBody) input() (directory.UserTypeInput, error) {
	schema, err := json.Marshal(b.Schema)
	if err != nil {
		return directory.UserTypeInput{}, err
	}
	in := directory.UserTypeInput{Name: b.Name, Schema: schema, Attributes: map[string]directory.Attribute{}}
	for name, a := range b.Attributes {
		in.Attributes[name] = directory.Attribute{Required: a.Required, Unique: a.Unique, Sensitive: a.Sensitive, UserEditable: a.UserEditable, Registration: a.Registration, Source: a.Source}
	}
	return in, nil
}

func (a *API) registerUserTypes() {
	const tag = "User types"
	base := Prefix + "/tenants/{tenant}/user-types"
	register(a, Route{ID: "create-user-type", Method: http.MethodPost, Path: base, Scope: ScopeSchemasWrite, Status: http.StatusCreated}, tag, "Create a user type with its profile schema",
		func(ctx context.Context, in *struct {
			TenantPath
			Body userTypeBody
		}) (*Out[UserTypeView], error) {
			return changed(a, ctx, "user_type.created", func(t directory.UserType) events.Ref { return events.Ref{Type: "user_type", ID: t.ID} },
				func(ctx context.Context, tx store.Tx, _ *events.Event) (directory.UserType, error) {
					input, err := in.Body.input()
					if err != nil {
						return directory.UserType{}, err
					}
					return a.Directory.CreateUserType(ctx, tx, principal(ctx).Target.ID, input)
				}, userTypeView)
		})
	register(a, Route{ID: "get-user-type", Method: http.MethodGet, Path: base + "/{type}", Scope: ScopeSchemasRead}, tag, "Get a user type",
		func(ctx context.Context, in *UserTypePath) (*Out[UserTypeView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (directory.UserType, error) {
				return a.Directory.UserType(ctx, tx, principal(ctx).Target.ID, in.Type)
			}, userTypeView)
		})
	register(a, Route{ID: "update-user-type", Method: http.MethodPut, Path: base + "/{type}", Scope: ScopeSchemasWrite}, tag, "Replace a user type's schema; refused when existing users would break it",
		func(ctx context.Context, in *struct {
			UserTypePath
			Body userTypeBody
		}) (*Out[UserTypeView], error) {
			return changed(a, ctx, "user_type.updated", ref[directory.UserType]("user_type", in.Type),
				func(ctx context.Context, tx store.Tx, _ *events.Event) (directory.UserType, error) {
					input, err := in.Body.input()
					if err != nil {
						return directory.UserType{}, err
					}
					return a.Directory.UpdateUserType(ctx, tx, principal(ctx).Target.ID, in.Type, input)
				}, userTypeView)
		})
	register(a, Route{ID: "delete-user-type", Method: http.MethodDelete, Path: base + "/{type}", Scope: ScopeSchemasWrite, Status: http.StatusNoContent}, tag, "Delete a user type no user has",
		func(ctx context.Context, in *UserTypePath) (*struct{}, error) {
			return deleted(a, ctx, "user_type.deleted", events.Ref{Type: "user_type", ID: in.Type}, func(ctx context.Context, tx store.Tx) error {
				return a.Directory.DeleteUserType(ctx, tx, principal(ctx).Target.ID, in.Type)
			})
		})
}
