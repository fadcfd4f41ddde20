package scim

import (
	"encoding/json"
	"testing"

	"github.com/lintel-id/lintel/server/store/storetest"
)

// FuzzUserFromMap reads any JSON object as a User resource: it must refuse
// or accept without panicking, and an accepted one has a userName.
func FuzzUserFromMap(f *testing.F) {
	f.Add(`{"userName":"a","name":{"givenName":"A"},"emails":[{"value":"a@b.c","primary":true}],"active":false}`)
	f.Add(`{"userName":"a","urn:lintel:params:scim:schemas:extension:staff:2.0:User":{"x":1}}`)
	f.Add(`{"userName":"a","urn:lintel:params:scim:schemas:extension::2.0:User":[]}`)
	f.Add(`{"userName":1,"emails":"x"}`)
	f.Fuzz(func(t *testing.T, s string) {
		var raw map[string]any
		if json.Unmarshal([]byte(s), &raw) != nil {
			return
		}
		b, err := userFromMap(raw)
		if err == nil && b.UserName == "" {
			t.Errorf("accepted %q without a userName", s)
		}
		_ = primary(b.Emails)
	})
}

// FuzzNames reads any attributes parameter into lowercase names without
// dots outside URNs.
func FuzzNames(f *testing.F) {
	f.Add("userName,name.givenName")
	f.Add("urn:ietf:params:scim:schemas:core:2.0:User:emails.value, meta")
	f.Add("urn:lintel:params:scim:schemas:extension:staff:2.0:User")
	f.Fuzz(func(t *testing.T, s string) {
		for n := range names(s) {
			if len(n) < 4 || n[:4] != "urn:" {
				for _, c := range n {
					if c == '.' {
						t.Errorf("names(%q) kept %q", s, n)
					}
				}
			}
		}
	})
}

// FuzzApplyPatch applies any operations to a User resource: they must
// apply or be refused without panicking.
func FuzzApplyPatch(f *testing.F) {
	f.Add(`[{"op":"replace","path":"emails[primary eq true].value","value":"x@y.z"}]`)
	f.Add(`[{"op":"add","value":{"name.givenName":"A","emails":[{"value":"b"}]}}]`)
	f.Add(`[{"op":"remove","path":"members","value":[{"value":"u"}]},{"op":"add","path":"urn:lintel:params:scim:schemas:extension:t:2.0:User:x","value":1}]`)
	f.Add(`[{"op":"remove","path":"name.familyName"},{"op":"replace","path":"urn:lintel:params:scim:schemas:extension:t:2.0:User","value":{"a":[]}}]`)
	f.Fuzz(func(t *testing.T, s string) {
		var ops []patchOp
		if json.Unmarshal([]byte(s), &ops) != nil {
			return
		}
		res := map[string]any{
			"id": "usr_1", "userName": "a", "name": map[string]any{"givenName": "A"},
			"emails":  []any{map[string]any{"value": "a@b.c", "primary": true}},
			"members": []any{map[string]any{"value": "u"}},
			"urn:lintel:params:scim:schemas:extension:t:2.0:User": map[string]any{"x": 1.0},
		}
		if err := applyPatch(res, ops); err == nil && res["id"] != "usr_1" {
			t.Errorf("%s changed the id", s)
		}
	})
}

// FuzzBulk sends any operations to /Bulk on one SQLite service: the answer
// is always a BulkResponse or a SCIM error, never a server error.
func FuzzBulk(f *testing.F) {
	f.Add(`[{"method":"POST","path":"/Users","bulkId":"a","data":{"userName":"a"}},{"method":"POST","path":"/Groups","bulkId":"g","data":{"displayName":"g","members":[{"value":"bulkId:a"}]}}]`)
	f.Add(`[{"method":"PATCH","path":"/Users/bulkId:a","data":{"Operations":[{"op":"remove","path":"name"}]}}]`)
	f.Add(`[{"method":"DELETE","path":"/Groups/bulkId:bulkId:x"},{"method":"put","path":"/Users/%zz"}]`)
	e := newEnv(f, storetest.SQLite().Open(f))
	f.Fuzz(func(t *testing.T, s string) {
		var ops any
		if json.Unmarshal([]byte(s), &ops) != nil {
			return
		}
		r := e.do(t, "POST", "/Bulk", allScopes, map[string]any{"schemas": []string{SchemaBulkRequest}, "Operations": ops})
		if r.status >= 500 {
			t.Fatalf("%s: %d %v", s, r.status, r.body)
		}
		if r.status == 200 {
			for _, op := range bulkOps(r.body) {
				if st, _ := op["status"].(string); st == "" || st[0] == '5' {
					t.Fatalf("%s: operation %v", s, op)
				}
			}
		}
	})
}

// FuzzPatchUser sends any operations as a PATCH of one user: the answer
// is the user or a SCIM error, never a server error.
func FuzzPatchUser(f *testing.F) {
	f.Add(`[{"op":"replace","path":"emails[primary eq true].value","value":"b@example.com"}]`)
	f.Add(`[{"op":"add","value":{"name":{"givenName":3},"active":"yes"}}]`)
	f.Add(`[{"op":"replace","path":"urn:lintel:params:scim:schemas:extension:default:2.0:User","value":{"x":[1]}}]`)
	f.Add(`[{"op":"remove","path":"userName"},{"op":"add","path":"phoneNumbers","value":{"value":"+1"}}]`)
	e := newEnv(f, storetest.SQLite().Open(f))
	id := e.do(f, "POST", "/Users", allScopes, map[string]any{"userName": "a@example.com"}).body["id"].(string)
	f.Fuzz(func(t *testing.T, s string) {
		var ops any
		if json.Unmarshal([]byte(s), &ops) != nil {
			return
		}
		r := e.do(t, "PATCH", "/Users/"+id, allScopes, map[string]any{"schemas": []string{SchemaPatchOp}, "Operations": ops})
		if r.status >= 500 || (r.status != 200 && r.body["scimType"] == nil) {
			t.Fatalf("%s: %d %v", s, r.status, r.body)
		}
	})
}
