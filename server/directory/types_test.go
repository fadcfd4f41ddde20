package directory

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// staffSchema is a type's schema used across the tests.
const staffSchema = `{
	"type": "object", "additionalProperties": false,
	"properties": {
		"employee_id": {"type": "string", "maxLength": 10, "pattern": "^E[0-9]+$"},
		"secret_note": {"type": "string", "maxLength": 20, "pattern": "^[A-Z0-9-]+$"},
		"tags": {"type": "array", "maxItems": 3, "items": {"type": "string", "maxLength": 10}},
		"age": {"type": "integer", "minimum": 0}
	},
	"required": ["employee_id"]
}`

var staffAttrs = map[string]Attribute{
	"employee_id": {Required: true, Unique: true, Source: "admin"},
	"secret_note": {Sensitive: true, UserEditable: true, Source: "user"},
}

// staffType creates the staff type of tenantA.
func (e *env) staffType(t *testing.T) UserType {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (UserType, error) {
		return e.dir.CreateUserType(ctx, tx, tenantA, UserTypeInput{Name: "staff", Schema: json.RawMessage(staffSchema), Attributes: staffAttrs})
	})
}

// createUser creates a user and returns the error.
func (e *env) createUser(t *testing.T, in UserInput) (User, error) {
	var u User
	err := e.do(t, func(ctx context.Context, tx store.Tx) (err error) {
		u, err = e.dir.CreateUser(ctx, tx, tenantA, in)
		return err
	})
	return u, err
}

func TestCreateUserTypeRefusesUnboundedOrRemoteSchemas(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		for _, tc := range []struct {
			name, schema string
			attrs        map[string]Attribute
			field        string
		}{
			{"refuses a string without maxLength", `{"type":"object","additionalProperties":false,"properties":{"a":{"type":"string"}}}`, nil, "schema"},
			{"refuses an array without maxItems", `{"type":"object","additionalProperties":false,"properties":{"a":{"type":"array","items":{"type":"integer"}}}}`, nil, "schema"},
			{"refuses a nested unbounded string", `{"type":"object","additionalProperties":false,"properties":{"a":{"type":"array","maxItems":2,"items":{"type":["string","null"]}}}}`, nil, "schema"},
			{"refuses an unbounded string in $defs", `{"type":"object","additionalProperties":false,"$defs":{"s":{"type":"string"}}}`, nil, "schema"},
			{"refuses a remote reference", `{"type":"object","additionalProperties":false,"properties":{"a":{"$ref":"https://example.com/s.json"}}}`, nil, "schema"},
			{"refuses a root that is not an object", `{"type":"string","maxLength":3}`, nil, "schema"},
			{"refuses open additional properties", `{"type":"object","properties":{}}`, nil, "schema"},
			{"refuses text that is not JSON", `{"type":`, nil, "schema"},
			{"refuses flags on a property the schema lacks", `{"type":"object","additionalProperties":false}`, map[string]Attribute{"x": {}}, "attributes.x"},
			{"refuses an unknown source", staffSchema, map[string]Attribute{"age": {Source: "fax"}}, "attributes.age.source"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.dir.CreateUserType(ctx, tx, tenantA, UserTypeInput{Name: "t", Schema: json.RawMessage(tc.schema), Attributes: tc.attrs})
					return err
				})
				wantFields(t, err, tc.field)
			})
		}
		t.Run("accepts a bounded schema with a local reference", func(t *testing.T) {
			schema := `{"type":"object","additionalProperties":false,"$defs":{"s":{"type":"string","maxLength":5}},"properties":{"a":{"$ref":"#/$defs/s"}}}`
			ty := get(t, e, func(ctx context.Context, tx store.Tx) (UserType, error) {
				return e.dir.CreateUserType(ctx, tx, tenantA, UserTypeInput{Name: "local", Schema: json.RawMessage(schema)})
			})
			if _, err := e.createUser(t, UserInput{Login: "loc", TypeID: ty.ID, Profile: map[string]any{"a": "toolong"}}); len(invalid.All(err)) == 0 {
				t.Fatalf("got %v, want the referenced maxLength enforced", err)
			}
		})
		t.Run("refuses a second type of the same name", func(t *testing.T) {
			e.staffType(t)
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.CreateUserType(ctx, tx, tenantA, UserTypeInput{Name: "staff", Schema: json.RawMessage(staffSchema)})
				return err
			})
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("got %v, want ErrConflict", err)
			}
		})
	})
}

func TestProfileIsCheckedAgainstTheSchema(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ty := e.staffType(t)
		for _, tc := range []struct {
			name    string
			profile map[string]any
			fields  []string
			rule    string
		}{
			{"refuses a missing required attribute", map[string]any{"age": 3}, []string{"profile.employee_id", "profile.employee_id"}, "required"},
			{"refuses a string over maxLength", map[string]any{"employee_id": "E123456789012"}, []string{"profile.employee_id"}, "maxLength"},
			{"refuses a value against its pattern", map[string]any{"employee_id": "X1"}, []string{"profile.employee_id"}, "pattern"},
			{"refuses a wrong type", map[string]any{"employee_id": "E1", "age": "old"}, []string{"profile.age"}, "type"},
			{"refuses too many items", map[string]any{"employee_id": "E1", "tags": []string{"a", "b", "c", "d"}}, []string{"profile.tags"}, "maxItems"},
			{"names the path inside an array", map[string]any{"employee_id": "E1", "tags": []any{"a", 2}}, []string{"profile.tags.1"}, "type"},
			{"refuses an attribute the type lacks", map[string]any{"employee_id": "E1", "shoe": 42}, []string{"profile.shoe"}, "additionalProperties"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.createUser(t, UserInput{Login: "bad", TypeID: ty.ID, Profile: tc.profile})
				wantFields(t, err, tc.fields...)
				if !strings.Contains(err.Error(), tc.rule) {
					t.Fatalf("error %q does not name the rule %s", err, tc.rule)
				}
			})
		}
		t.Run("stores a valid profile", func(t *testing.T) {
			u, err := e.createUser(t, UserInput{Login: "good", TypeID: ty.ID, Profile: map[string]any{"employee_id": "E1", "age": 30}})
			read := get(t, e, func(ctx context.Context, tx store.Tx) (User, error) { return e.dir.User(ctx, tx, tenantA, u.ID) })
			if err != nil || read.TypeID != ty.ID || read.Profile["employee_id"] != "E1" || read.Profile["age"] != float64(30) {
				t.Fatalf("got %v, %+v", err, read.Profile)
			}
		})
		t.Run("refuses an unknown type", func(t *testing.T) {
			if _, err := e.createUser(t, UserInput{Login: "x", TypeID: "uty_nope"}); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		})
	})
}
