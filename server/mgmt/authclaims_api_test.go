package mgmt

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestAuthClaimsAPI creates, reads, lists, replaces and deletes a custom
// claim, checks that each change is logged with the override choice, and
// that refused requests name the field and write nothing.
func TestAuthClaimsAPI(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	admin, reader := w.token[RoleTenantAdmin], w.token[RoleReadOnly]
	base := w.serversBase() + "/orders/claims"

	w.clock.Advance(time.Second)
	created := call[AuthClaimView](t, w, http.MethodPost, base, admin,
		`{"name":"app_name","target":"id","expression":"app.name","scopes":["orders.read"],"max_bytes":200}`, http.StatusCreated)
	if !strings.HasPrefix(created.ID, "clm_") || created.Name != "app_name" || created.Target != "id" || created.Expression != "app.name" ||
		!slices.Equal(created.Scopes, []string{"orders.read"}) || created.MaxBytes != 200 || created.OverrideEditable || !created.Active {
		t.Fatalf("created %+v", created)
	}
	if got := call[AuthClaimView](t, w, http.MethodGet, base+"/"+created.ID, reader, "", http.StatusOK); got.Expression != created.Expression || got.ServerID != created.ServerID {
		t.Fatalf("read %+v, created %+v", got, created)
	}
	list := call[List[AuthClaimView]](t, w, http.MethodGet, base, reader, "", http.StatusOK)
	if len(list.Items) != 2 || list.Items[0].Target != "access" || list.Items[1].ID != created.ID {
		t.Fatalf("listed %+v", list.Items)
	}

	// The default server (made here, on first use) has no custom claims.
	if def := call[List[AuthClaimView]](t, w, http.MethodGet, w.serversBase()+"/default/claims", reader, "", http.StatusOK); len(def.Items) != 0 {
		t.Fatalf("default claims %+v", def.Items)
	}

	// A change replaces every field: the scopes left out are gone, the
	// size is derived again, and the claim is inactive.
	w.clock.Advance(time.Second)
	updated := call[AuthClaimView](t, w, http.MethodPatch, base+"/"+created.ID, admin,
		`{"name":"plan","target":"access","expression":"\"pro\"","active":false}`, http.StatusOK)
	if updated.ID != created.ID || updated.Name != "plan" || updated.Target != "access" || len(updated.Scopes) != 0 || updated.Scopes == nil ||
		updated.MaxBytes == 200 || updated.MaxBytes <= 0 || updated.Active {
		t.Fatalf("updated %+v", updated)
	}

	w.checkRefusals(t, []refusal{
		{"a protocol claim", http.MethodPost, base, admin, `{"name":"sub","target":"access","expression":"\"x\""}`, http.StatusUnprocessableEntity, "body.name"},
		{"an expression that does not compile", http.MethodPost, base, admin, `{"name":"x","target":"access","expression":"user."}`, http.StatusUnprocessableEntity, "body.expression"},
		{"an unknown scope", http.MethodPost, base, admin, `{"name":"x","target":"access","expression":"\"x\"","scopes":["orders.nope"]}`, http.StatusUnprocessableEntity, "body.scopes[0]"},
		{"an editable attribute without the override", http.MethodPost, base, admin, `{"name":"x","target":"id","expression":"user.email","max_bytes":300}`, http.StatusUnprocessableEntity, "body.expression"},
		{"a name the target has", http.MethodPost, base, admin, `{"name":"tier","target":"access","expression":"\"x\""}`, http.StatusConflict, "body.name"},
		{"a change that is not whole", http.MethodPatch, base + "/" + created.ID, admin, `{"name":"plan","target":"access","expression":""}`, http.StatusUnprocessableEntity, "body.expression"},
		{"a claim of another server", http.MethodGet, w.serversBase() + "/default/claims/" + created.ID, admin, "", http.StatusNotFound, ""},
		{"a read-only admin writing", http.MethodDelete, base + "/" + created.ID, reader, "", http.StatusForbidden, "authservers:write"},
	})

	w.clock.Advance(time.Second)
	if status, _, body := w.do(t, http.MethodDelete, base+"/"+created.ID, admin, ""); status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", status, body)
	}
	if status, _, body := w.do(t, http.MethodDelete, base+"/"+created.ID, admin, ""); status != http.StatusNotFound {
		t.Fatalf("delete again: %d %s", status, body)
	}
	got := w.loggedTypes(t, "authserver.claim.*", "authserver_claim")
	if want := []string{"authserver.claim.created", "authserver.claim.updated", "authserver.claim.deleted"}; !slices.Equal(got, want) {
		t.Fatalf("logged %q, want %q", got, want)
	}
	evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Types: []string{"authserver.claim.created"}})
	if err != nil || len(evs) != 1 || evs[0].Details["override_editable"] != false || evs[0].Details["server"] != "orders" {
		t.Fatalf("created event %+v (%v)", evs, err)
	}
}
