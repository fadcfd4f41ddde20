package scim

import (
	"net/http"
	"strings"
	"testing"
)

func bulkOps(body map[string]any) []map[string]any {
	var out []map[string]any
	for _, op := range body["Operations"].([]any) {
		out = append(out, op.(map[string]any))
	}
	return out
}

func TestBulk(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		r := e.do(t, "POST", "/Bulk", allScopes, map[string]any{
			"schemas": []string{SchemaBulkRequest},
			"Operations": []map[string]any{
				{"method": "POST", "path": "/Users", "bulkId": "alice", "data": alice()},
				{"method": "POST", "path": "/Groups", "bulkId": "team", "data": map[string]any{
					"displayName": "Team", "members": []map[string]any{{"type": "User", "value": "bulkId:alice"}}}},
				{"method": "PATCH", "path": "/Users/bulkId:alice", "data": patchBody(map[string]any{"op": "replace", "path": "displayName", "value": "Al"})},
				{"method": "POST", "path": "/Users", "bulkId": "dup", "data": alice()},
				{"method": "DELETE", "path": "/Groups/bulkId:nobody"},
			},
		}).want(t, http.StatusOK)
		ops := bulkOps(r.body)
		if len(ops) != 5 {
			t.Fatalf("results %v", ops)
		}
		for i, want := range []string{"201", "201", "200", "409", "409"} {
			if ops[i]["status"] != want {
				t.Errorf("operation %d: %v, want status %s", i, ops[i], want)
			}
		}
		userLoc, _ := ops[0]["location"].(string)
		groupLoc, _ := ops[1]["location"].(string)
		if !strings.HasPrefix(userLoc, e.srv.URL+"/scim/v2/Users/usr_") || ops[0]["version"] == nil {
			t.Errorf("user result %v", ops[0])
		}
		userID := userLoc[strings.LastIndex(userLoc, "/")+1:]
		g := e.do(t, "GET", strings.TrimPrefix(groupLoc, e.srv.URL+"/scim/v2"), allScopes, nil).want(t, http.StatusOK)
		ms, _ := g.body["members"].([]any)
		if len(ms) != 1 || str(ms[0].(map[string]any), "value") != userID || str(ms[0].(map[string]any), "display") != "Al" {
			t.Errorf("group %v", g.body)
		}
		if resp, _ := ops[3]["response"].(map[string]any); str(resp, "scimType") != "uniqueness" {
			t.Errorf("duplicate result %v", ops[3])
		}

		// failOnErrors stops after that many errors; each operation needs
		// its own scope.
		r = e.do(t, "POST", "/Bulk", "scim.users.write", map[string]any{
			"failOnErrors": 1,
			"Operations": []map[string]any{
				{"method": "POST", "path": "/Groups", "bulkId": "g", "data": map[string]any{"displayName": "G"}},
				{"method": "POST", "path": "/Users", "bulkId": "b", "data": map[string]any{"userName": "bob"}},
			},
		}).want(t, http.StatusOK)
		if ops := bulkOps(r.body); len(ops) != 1 || ops[0]["status"] != "403" {
			t.Errorf("failOnErrors: %v", ops)
		}

		many := make([]map[string]any, MaxBulkOperations+1)
		for i := range many {
			many[i] = map[string]any{"method": "DELETE", "path": "/Users/x"}
		}
		e.do(t, "POST", "/Bulk", allScopes, map[string]any{"Operations": many}).wantError(t, http.StatusRequestEntityTooLarge, "tooMany")
		for _, op := range []map[string]any{
			{"method": "POST", "path": "/Users", "data": map[string]any{"userName": "x"}}, // no bulkId
			{"method": "GET", "path": "/Users"},
			{"method": "DELETE", "path": "/Schemas/x"},
			{"method": "POST", "path": "/Users/x", "bulkId": "x", "data": map[string]any{"userName": "x"}},
		} {
			r := e.do(t, "POST", "/Bulk", allScopes, map[string]any{"Operations": []map[string]any{op}}).want(t, http.StatusOK)
			if ops := bulkOps(r.body); len(ops) != 1 || ops[0]["status"] != "400" {
				t.Errorf("%v: %v", op, ops)
			}
		}
		big := map[string]any{"Operations": []map[string]any{{"method": "POST", "path": "/Users", "bulkId": "x", "data": map[string]any{"userName": strings.Repeat("x", MaxBulkPayload)}}}}
		e.do(t, "POST", "/Bulk", allScopes, big).wantError(t, http.StatusRequestEntityTooLarge, "")
	})
}
