package scim

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func patchBody(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{SchemaPatchOp}, "Operations": ops}
}

func TestPatchUser(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		schema := `{"type":"object","additionalProperties":false,"properties":{"employee_number":{"type":"string","maxLength":20},"level":{"type":"integer"}},"required":["employee_number"]}`
		storetest.Get(t, e.st, func(ctx context.Context, tx store.Tx) (directory.UserType, error) {
			return e.dir.CreateUserType(ctx, tx, tenant, directory.UserTypeInput{Name: "staff", Schema: json.RawMessage(schema)})
		})
		urn := ProfileSchemaPrefix + "staff:2.0:User"
		body := alice()
		body[urn] = map[string]any{"employee_number": "E1"}
		created := e.do(t, "POST", "/Users", allScopes, body).want(t, http.StatusCreated)
		id := str(created.body, "id")
		user := func() directory.User {
			return storetest.Get(t, e.st, func(ctx context.Context, tx store.Tx) (directory.User, error) {
				return e.dir.User(ctx, tx, tenant, id)
			})
		}

		steps := []struct {
			name  string
			ops   []map[string]any
			check func(u directory.User) bool
		}{
			{"replace with path", []map[string]any{{"op": "replace", "path": "displayName", "value": "Al"}},
				func(u directory.User) bool { return u.Name == "Al" }},
			{"replace sub-attribute", []map[string]any{{"op": "Replace", "path": "name.familyName", "value": "Hargreaves"}},
				func(u directory.User) bool { return u.FamilyName == "Hargreaves" && u.GivenName == "Alice" }},
			{"replace without path", []map[string]any{{"op": "replace", "value": map[string]any{"displayName": "Alice H.", "active": false}}},
				func(u directory.User) bool { return u.Name == "Alice H." && u.Status == directory.StatusSuspended }},
			{"value filter", []map[string]any{{"op": "replace", "path": `emails[primary eq true].value`, "value": "alice@work.example"}},
				func(u directory.User) bool { return u.Email == "alice@work.example" && !u.EmailVerified }},
			{"add to the profile extension", []map[string]any{{"op": "add", "path": urn + ":level", "value": 4}},
				func(u directory.User) bool {
					return u.Profile["level"] == float64(4) && u.Profile["employee_number"] == "E1"
				}},
			{"remove", []map[string]any{{"op": "remove", "path": "phoneNumbers"}, {"op": "add", "value": map[string]any{"active": true}}},
				func(u directory.User) bool { return u.Phone == "" && u.Status == directory.StatusActive }},
		}
		for _, st := range steps {
			r := e.do(t, "PATCH", "/Users/"+id, allScopes, patchBody(st.ops...)).want(t, http.StatusOK)
			if u := user(); !st.check(u) {
				t.Errorf("%s: user %+v; response %v", st.name, u, r.body)
			}
		}

		// What the type's schema refuses changes nothing, the earlier
		// operations of the request included.
		before := user()
		tag := e.do(t, "GET", "/Users/"+id, allScopes, nil).want(t, http.StatusOK).header.Get("ETag")
		refused := []struct {
			ops      []map[string]any
			status   int
			scimType string
		}{
			{[]map[string]any{{"op": "replace", "path": "displayName", "value": "X"}, {"op": "remove", "path": urn + ":employee_number"}}, 400, "invalidValue"},
			{[]map[string]any{{"op": "replace", "path": "displayName", "value": "X"}, {"op": "replace", "path": urn + ":level", "value": "high"}}, 400, "invalidValue"},
			{[]map[string]any{{"op": "replace", "path": "userName", "value": "bob"}}, 400, "mutability"},
			{[]map[string]any{{"op": "replace", "path": "id", "value": "usr_x"}}, 400, "mutability"},
			{[]map[string]any{{"op": "remove"}}, 400, "noTarget"},
			{[]map[string]any{{"op": "replace", "path": `emails[type eq "home"].value`, "value": "x@y.z"}}, 400, "noTarget"},
			{[]map[string]any{{"op": "replace", "path": `emails[type eq`, "value": "x"}}, 400, "invalidPath"},
			{[]map[string]any{{"op": "move", "path": "displayName"}}, 400, "invalidSyntax"},
		}
		for _, tc := range refused {
			e.do(t, "PATCH", "/Users/"+id, allScopes, patchBody(tc.ops...)).wantError(t, tc.status, tc.scimType)
		}
		e.do(t, "PATCH", "/Users/"+id, allScopes, patchBody(), "If-Match", tag).wantError(t, http.StatusBadRequest, "invalidValue")
		e.do(t, "PATCH", "/Users/"+id, allScopes, patchBody(map[string]any{"op": "replace", "path": "displayName", "value": "Y"}), "If-Match", `W/"old"`).
			wantError(t, http.StatusPreconditionFailed, "")
		if after := user(); after.Name != before.Name || after.Profile["employee_number"] != "E1" || !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Errorf("a refused PATCH changed the user: %+v", after)
		}
	})
}

func TestPatchGroup(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var users []string
		for _, n := range []string{"u1", "u2", "u3"} {
			users = append(users, str(e.do(t, "POST", "/Users", allScopes, map[string]any{"userName": n}).want(t, http.StatusCreated).body, "id"))
		}
		id := str(e.do(t, "POST", "/Groups", allScopes, map[string]any{"displayName": "Team", "members": []map[string]any{{"value": users[0]}}}).
			want(t, http.StatusCreated).body, "id")
		members := func(r response) []string {
			var out []string
			ms, _ := r.body["members"].([]any)
			for _, m := range ms {
				out = append(out, str(m.(map[string]any), "value"))
			}
			return out
		}
		steps := []struct {
			ops  []map[string]any
			want []string
		}{
			{[]map[string]any{{"op": "add", "path": "members", "value": []map[string]any{{"value": users[1]}, {"value": users[2]}}}}, users},
			{[]map[string]any{{"op": "remove", "path": `members[value eq "` + users[1] + `"]`}}, []string{users[0], users[2]}},
			{[]map[string]any{{"op": "Remove", "path": "members", "value": []map[string]any{{"value": users[0]}}}}, []string{users[2]}},
			{[]map[string]any{{"op": "replace", "value": map[string]any{"displayName": "Crew"}}}, []string{users[2]}},
			{[]map[string]any{{"op": "replace", "path": "members", "value": []map[string]any{{"value": users[0]}}}}, []string{users[0]}},
		}
		for i, st := range steps {
			r := e.do(t, "PATCH", "/Groups/"+id, allScopes, patchBody(st.ops...)).want(t, http.StatusOK)
			got, want := members(r), slices.Clone(st.want)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("step %d: members %v, want %v", i, got, want)
			}
		}
		r := e.do(t, "GET", "/Groups/"+id, allScopes, nil).want(t, http.StatusOK)
		if str(r.body, "displayName") != "Crew" {
			t.Errorf("group %v", r.body)
		}
		e.do(t, "PATCH", "/Groups/"+id, allScopes, patchBody(
			map[string]any{"op": "replace", "path": "displayName", "value": "Other"},
			map[string]any{"op": "add", "path": "members", "value": []map[string]any{{"value": "usr_nobody"}}},
		)).wantError(t, http.StatusBadRequest, "invalidValue")
		if r := e.do(t, "GET", "/Groups/"+id, allScopes, nil).want(t, http.StatusOK); str(r.body, "displayName") != "Crew" {
			t.Errorf("a refused PATCH renamed the group: %v", r.body)
		}
	})
}

// TestPatchProfileRefused breaks the user type's profile schema through
// PATCH in every way a client can: each is refused as invalidValue (or
// invalidPath, noTarget for a path that names nothing) and changes
// nothing, the operations before it in the request included.
func TestPatchProfileRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		schema := `{"type":"object","additionalProperties":false,"properties":{"employee_number":{"type":"string","maxLength":20},"level":{"type":"integer"}},"required":["employee_number"]}`
		for _, name := range []string{"staff", "contractor"} {
			storetest.Get(t, e.st, func(ctx context.Context, tx store.Tx) (directory.UserType, error) {
				return e.dir.CreateUserType(ctx, tx, tenant, directory.UserTypeInput{Name: name, Schema: json.RawMessage(schema)})
			})
		}
		urn, other := ProfileSchemaPrefix+"staff:2.0:User", ProfileSchemaPrefix+"contractor:2.0:User"
		body := alice()
		body[urn] = map[string]any{"employee_number": "E1", "level": 2}
		id := str(e.do(t, "POST", "/Users", allScopes, body).want(t, http.StatusCreated).body, "id")
		user := func() directory.User {
			return storetest.Get(t, e.st, func(ctx context.Context, tx store.Tx) (directory.User, error) {
				return e.dir.User(ctx, tx, tenant, id)
			})
		}
		before := user()
		tag := e.do(t, "GET", "/Users/"+id, allScopes, nil).want(t, http.StatusOK).header.Get("ETag")
		e.clk.Advance(time.Minute) // a write would move UpdatedAt

		tests := []struct {
			name     string
			op       map[string]any
			scimType string
		}{
			{"a string for an integer", map[string]any{"op": "replace", "path": urn + ":level", "value": "high"}, ScimInvalidValue},
			{"a fraction for an integer", map[string]any{"op": "replace", "path": urn + ":level", "value": 1.5}, ScimInvalidValue},
			{"an array for a string", map[string]any{"op": "replace", "path": urn + ":employee_number", "value": []any{"E1"}}, ScimInvalidValue},
			{"a number for a string in the whole extension", map[string]any{"op": "replace", "path": urn, "value": map[string]any{"employee_number": 7}}, ScimInvalidValue},
			{"a string too long", map[string]any{"op": "replace", "path": urn + ":employee_number", "value": strings.Repeat("E", 21)}, ScimInvalidValue},
			{"an unknown attribute", map[string]any{"op": "add", "path": urn + ":nickname", "value": "Al"}, ScimInvalidValue},
			{"an unknown attribute without a path", map[string]any{"op": "add", "value": map[string]any{urn: map[string]any{"nickname": "Al"}}}, ScimInvalidValue},
			{"a required attribute removed", map[string]any{"op": "remove", "path": urn + ":employee_number"}, ScimInvalidValue},
			{"a required attribute nulled", map[string]any{"op": "replace", "path": urn + ":employee_number", "value": nil}, ScimInvalidValue},
			{"the whole extension removed", map[string]any{"op": "remove", "path": urn}, ScimInvalidValue},
			{"the extension replaced by a string", map[string]any{"op": "replace", "path": urn, "value": "E1"}, ScimInvalidValue},
			{"another type's extension added", map[string]any{"op": "add", "path": other + ":employee_number", "value": "E2"}, ScimInvalidValue},
			{"an unknown type's extension added", map[string]any{"op": "add", "path": ProfileSchemaPrefix + "nobody:2.0:User:x", "value": 1}, ScimInvalidValue},
			{"a sub-attribute of a string", map[string]any{"op": "replace", "path": urn + ":employee_number.part", "value": "x"}, ScimInvalidPath},
			{"an extension path without an attribute", map[string]any{"op": "replace", "path": urn + ":", "value": "x"}, ScimInvalidPath},
			{"a value filter on a string", map[string]any{"op": "replace", "path": urn + `:employee_number[value eq "E1"]`, "value": "x"}, ScimNoTarget},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				ops := patchBody(map[string]any{"op": "replace", "path": "displayName", "value": "Changed"}, tc.op)
				e.do(t, "PATCH", "/Users/"+id, allScopes, ops).wantError(t, http.StatusBadRequest, tc.scimType)
				after := user()
				if after.Name != before.Name || !after.UpdatedAt.Equal(before.UpdatedAt) || after.TypeID != before.TypeID ||
					!reflect.DeepEqual(after.Profile, before.Profile) {
					t.Errorf("changed %+v into %+v", before, after)
				}
				if got := e.do(t, "GET", "/Users/"+id, allScopes, nil).want(t, http.StatusOK).header.Get("ETag"); got != tag {
					t.Errorf("ETag %s, want %s", got, tag)
				}
			})
		}
	})
}
