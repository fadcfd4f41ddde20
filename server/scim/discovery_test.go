package scim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestDiscoveryByID(t *testing.T) {
	e := newEnv(t, storetest.SQLite().Open(t))
	schema := `{"type":"object","additionalProperties":false,"properties":{"employee_number":{"type":"string","maxLength":20}},"required":["employee_number"]}`
	storetest.Get(t, e.st, func(ctx context.Context, tx store.Tx) (directory.UserType, error) {
		return e.dir.CreateUserType(ctx, tx, tenant, directory.UserTypeInput{Name: "staff", Schema: json.RawMessage(schema)})
	})
	urn := ProfileSchemaPrefix + "staff:2.0:User"
	found := []struct {
		path, id, kind string
	}{
		{"/Schemas/" + SchemaUser, SchemaUser, "Schema"},
		{"/Schemas/" + SchemaGroup, SchemaGroup, "Schema"},
		{"/Schemas/" + url.PathEscape(urn), urn, "Schema"},
		{"/ResourceTypes/User", "User", "ResourceType"},
		{"/ResourceTypes/Group", "Group", "ResourceType"},
	}
	for _, tc := range found {
		r := e.do(t, "GET", tc.path, "", nil).want(t, http.StatusOK)
		if str(r.body, "id") != tc.id || str(r.body, "meta", "resourceType") != tc.kind ||
			str(r.body, "meta", "location") != e.srv.URL+"/scim/v2"+tc.path {
			t.Errorf("%s: %v", tc.path, r.body)
		}
	}
	ext := e.do(t, "GET", "/Schemas/"+urn, "", nil).want(t, http.StatusOK)
	if attrs, _ := ext.body["attributes"].([]any); len(attrs) != 1 || str(attrs[0].(map[string]any), "name") != "employee_number" {
		t.Errorf("extension schema %v", ext.body)
	}
	user := e.do(t, "GET", "/ResourceTypes/User", "", nil).want(t, http.StatusOK)
	if exts, _ := user.body["schemaExtensions"].([]any); len(exts) != 1 || str(exts[0].(map[string]any), "schema") != urn {
		t.Errorf("User resource type %v", user.body)
	}
	for _, path := range []string{
		"/Schemas/urn:ietf:params:scim:schemas:core:2.0:Nothing",
		"/Schemas/" + ProfileSchemaPrefix + "nobody:2.0:User",
		"/Schemas/" + ProfileSchemaPrefix + "STAFF:2.0:User",
		"/ResourceTypes/user",
		"/ResourceTypes/Nothing",
	} {
		e.do(t, "GET", path, "", nil).wantError(t, http.StatusNotFound, "")
	}
}
