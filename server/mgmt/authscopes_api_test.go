package mgmt

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestAuthScopesAPI creates, reads, lists, changes and deletes a scope of
// a custom server, checks that each change is logged, and that refused
// requests name the field and write nothing.
func TestAuthScopesAPI(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	admin, reader := w.token[RoleTenantAdmin], w.token[RoleReadOnly]
	base := w.serversBase() + "/orders/scopes"
	fixture := w.fixture[w.a.ID]["authscope"]

	w.clock.Advance(time.Second)
	created := call[AuthScopeView](t, w, http.MethodPost, base, admin,
		`{"name":"orders.write","description":"Change orders","kinds":["delegated","machine"],"implies":["orders.read"],"consent":true}`, http.StatusCreated)
	if !strings.HasPrefix(created.ID, "scp_") || created.Name != "orders.write" || created.Description != "Change orders" ||
		!slices.Equal(created.Kinds, []string{"delegated", "machine"}) || !slices.Equal(created.Implies, []string{"orders.read"}) ||
		!created.Consent || created.Default || created.Clients == nil || created.System {
		t.Fatalf("created %+v", created)
	}
	if got := call[AuthScopeView](t, w, http.MethodGet, base+"/"+created.ID, reader, "", http.StatusOK); got.Name != created.Name || got.ServerID != created.ServerID {
		t.Fatalf("read %+v, created %+v", got, created)
	}
	list := call[List[AuthScopeView]](t, w, http.MethodGet, base, reader, "", http.StatusOK)
	var names []string
	for _, s := range list.Items {
		names = append(names, s.Name)
	}
	if want := []string{"address", "email", "offline_access", "openid", "orders.read", "orders.write", "phone", "profile"}; !slices.Equal(names, want) {
		t.Fatalf("listed %q, want %q", names, want)
	}
	// The default server's scopes are its own.
	def := call[List[AuthScopeView]](t, w, http.MethodGet, w.serversBase()+"/default/scopes", reader, "", http.StatusOK)
	if len(def.Items) != 6+len(authserver.SCIMScopeNames) {
		t.Fatalf("default scopes %+v", def.Items)
	}

	w.clock.Advance(time.Second)
	updated := call[AuthScopeView](t, w, http.MethodPatch, base+"/"+created.ID, admin, `{"name":"orders.change","default":true,"clients":["app_1"]}`, http.StatusOK)
	if updated.Name != "orders.change" || !updated.Default || !slices.Equal(updated.Clients, []string{"app_1"}) || updated.Description != "Change orders" {
		t.Fatalf("updated %+v", updated)
	}

	openid := ""
	for _, s := range list.Items {
		if s.Name == "openid" {
			openid = s.ID
		}
	}
	w.checkRefusals(t, []refusal{
		{"a name outside the server's pattern", http.MethodPost, base, admin, `{"name":"shop.read","kinds":["machine"]}`, http.StatusUnprocessableEntity, "body.name"},
		{"a name in use", http.MethodPost, base, admin, `{"name":"orders.read","kinds":["machine"]}`, http.StatusConflict, "body.name"},
		{"an unknown kind", http.MethodPost, base, admin, `{"name":"orders.list","kinds":["robot"]}`, http.StatusUnprocessableEntity, "body.kinds[0]"},
		{"an implication cycle", http.MethodPatch, base + "/" + fixture, admin, `{"implies":["orders.change"]}`, http.StatusUnprocessableEntity, "body.implies"},
		{"renaming a system scope", http.MethodPatch, base + "/" + openid, admin, `{"name":"orders.openid"}`, http.StatusUnprocessableEntity, "body.name"},
		{"deleting a system scope", http.MethodDelete, base + "/" + openid, admin, "", http.StatusUnprocessableEntity, "body.name"},
		{"deleting a scope a rule allows", http.MethodDelete, base + "/" + fixture, admin, "", http.StatusUnprocessableEntity, "body.name"},
		{"a scope of another server", http.MethodGet, w.serversBase() + "/default/scopes/" + fixture, admin, "", http.StatusNotFound, ""},
		{"a scope of another tenant", http.MethodDelete, base + "/" + w.fixture[w.c1.ID]["authscope"], admin, "", http.StatusNotFound, ""},
		{"a read-only admin writing", http.MethodPost, base, reader, `{"name":"orders.list","kinds":["machine"]}`, http.StatusForbidden, "authservers:write"},
	})

	w.clock.Advance(time.Second)
	if status, _, body := w.do(t, http.MethodDelete, base+"/"+created.ID, admin, ""); status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", status, body)
	}
	if status, _, body := w.do(t, http.MethodGet, base+"/"+created.ID, admin, ""); status != http.StatusNotFound {
		t.Fatalf("get after delete: %d %s", status, body)
	}
	got := w.loggedTypes(t, "authserver.scope.*", "authserver_scope")
	if want := []string{"authserver.scope.created", "authserver.scope.updated", "authserver.scope.deleted"}; !slices.Equal(got, want) {
		t.Fatalf("logged %q, want %q", got, want)
	}
}
