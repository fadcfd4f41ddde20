package mgmt

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// serversBase is the path of tenant A's authorization servers.
func (w *world) serversBase() string {
	return "/api/v1/mgmt/tenants/" + w.a.ID + "/authorization-servers"
}

// authCounts counts the rows of every authorization server table and
// the authserver.* events, all tenants together.
func (w *world) authCounts(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for _, table := range []string{"auth_servers", "auth_scopes", "auth_claims", "auth_policies", "auth_policy_rules"} {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
				return err
			}
			out[table] = n
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM events WHERE type LIKE 'authserver.%'`).Scan(&n); err != nil {
			return err
		}
		out["events"] = n
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// refusal is a request the API must refuse, with the location or text
// its problem names ("" for none).
type refusal struct {
	name, method, path, token, body string
	status                          int
	where                           string
}

// checkRefusals sends each request and expects its status, a problem
// naming where, and no change to authorization servers or their log.
func (w *world) checkRefusals(t *testing.T, cases []refusal) {
	t.Helper()
	for _, c := range cases {
		t.Run("refuses "+c.name, func(t *testing.T) {
			before := w.authCounts(t)
			status, h, body := w.do(t, c.method, c.path, c.token, c.body)
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, body)
			}
			var p problemBody
			if err := json.Unmarshal([]byte(body), &p); err != nil || h.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("not a problem document: %s", body)
			}
			if c.where != "" && !p.names(c.where) {
				t.Fatalf("problem does not name %q: %s", c.where, body)
			}
			if after := w.authCounts(t); !equalCounts(before, after) {
				t.Fatalf("rows changed from %v to %v", before, after)
			}
		})
	}
}

// names reports whether a problem names where: an error's location or
// text in its detail.
func (p problemBody) names(where string) bool {
	for _, e := range p.Errors {
		if e.Location == where {
			return true
		}
	}
	return strings.Contains(p.Detail, where)
}

// call sends a request, checks the answer's status and decodes its body.
func call[V any](t *testing.T, w *world, method, path, token, body string, want int) V {
	t.Helper()
	status, _, b := w.do(t, method, path, token, body)
	var v V
	if err := json.Unmarshal([]byte(b), &v); status != want || err != nil {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, b)
	}
	return v
}

// loggedTypes returns the types of tenant A's events matching pattern,
// oldest first, checking that the tenant admin is their actor and
// target has their target type.
func (w *world) loggedTypes(t *testing.T, pattern, target string) []string {
	t.Helper()
	evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Types: []string{pattern}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		if ev.Target.Type != target || ev.Target.ID == "" || ev.Actor.ID != w.tokenRec[RoleTenantAdmin].ID || ev.Outcome != events.Success {
			t.Errorf("event %+v", ev)
		}
		got = append(got, ev.Type)
	}
	return got
}

// TestAuthServersAPI creates, reads, lists, changes and deletes an
// authorization server, checks that the default server is made on first
// use and each change is logged, and that refused requests name the field
// and write nothing.
func TestAuthServersAPI(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			admin, reader := w.token[RoleTenantAdmin], w.token[RoleReadOnly]
			base := w.serversBase()

			// The default server does not exist yet: listing makes it.
			list := call[List[AuthServerView]](t, w, http.MethodGet, base, reader, "", http.StatusOK)
			var names []string
			for _, s := range list.Items {
				names = append(names, s.Name)
			}
			if !slices.Equal(names, []string{"default", "orders"}) || list.Next != "" {
				t.Fatalf("listed %q (next %q)", names, list.Next)
			}
			def := call[AuthServerView](t, w, http.MethodGet, base+"/default", reader, "", http.StatusOK)
			if def.Name != "default" || !def.Active || def.IssuerMode != "dynamic" || def.Audiences == nil || def.TenantID != w.a.ID {
				t.Fatalf("default %+v", def)
			}

			w.clock.Advance(time.Second) // events sort by time, then at random
			created := call[AuthServerView](t, w, http.MethodPost, base, admin,
				`{"name":"billing","description":"Billing API","audiences":["https://billing.example.com"],"scope_pattern":"billing\\.[a-z]+","max_token_bytes":2048}`,
				http.StatusCreated)
			if !strings.HasPrefix(created.ID, "aus_") || created.Name != "billing" || created.Description != "Billing API" ||
				!slices.Equal(created.Audiences, []string{"https://billing.example.com"}) || created.ScopePattern != `billing\.[a-z]+` ||
				created.MaxTokenBytes != 2048 || !created.Active || created.IssuerMode != "dynamic" || created.CreatedAt.IsZero() {
				t.Fatalf("created %+v", created)
			}
			got := call[AuthServerView](t, w, http.MethodGet, base+"/billing", reader, "", http.StatusOK)
			if got.ID != created.ID || !got.CreatedAt.Equal(created.CreatedAt) {
				t.Fatalf("read %+v, created %+v", got, created)
			}
			scopes := call[List[AuthScopeView]](t, w, http.MethodGet, base+"/billing/scopes", reader, "", http.StatusOK)
			if len(scopes.Items) != 6 || !scopes.Items[0].System {
				t.Fatalf("a new server's scopes: %+v", scopes.Items)
			}

			w.clock.Advance(time.Second)
			updated := call[AuthServerView](t, w, http.MethodPatch, base+"/billing", admin, `{"description":"","active":false,"audiences":[]}`, http.StatusOK)
			if updated.Description != "" || updated.Active || len(updated.Audiences) != 0 || updated.Audiences == nil || updated.ScopePattern != created.ScopePattern {
				t.Fatalf("updated %+v", updated)
			}

			w.checkRefusals(t, []refusal{
				{"a name that is no DNS label", http.MethodPost, base, admin, `{"name":"Billing API"}`, http.StatusUnprocessableEntity, "body.name"},
				{"the reserved name default", http.MethodPost, base, admin, `{"name":"default"}`, http.StatusUnprocessableEntity, "body.name"},
				{"a name in use", http.MethodPost, base, admin, `{"name":"orders"}`, http.StatusConflict, "body.name"},
				{"a bad scope pattern", http.MethodPost, base, admin, `{"name":"x","scope_pattern":"("}`, http.StatusUnprocessableEntity, "body.scope_pattern"},
				{"a fixed issuer without a host", http.MethodPost, base, admin, `{"name":"x","issuer_mode":"fixed"}`, http.StatusUnprocessableEntity, "body.issuer_host"},
				{"a rename", http.MethodPatch, base + "/billing", admin, `{"name":"invoices"}`, http.StatusUnprocessableEntity, "body.name"},
				{"a scope pattern existing scopes do not match", http.MethodPatch, base + "/orders", admin, `{"scope_pattern":"shop\\.[a-z]+"}`, http.StatusUnprocessableEntity, "body.scope_pattern"},
				{"deactivating the default server", http.MethodPatch, base + "/default", admin, `{"active":false}`, http.StatusUnprocessableEntity, "body.active"},
				{"deleting the default server", http.MethodDelete, base + "/default", admin, "", http.StatusUnprocessableEntity, "body.name"},
				{"an unknown server", http.MethodPatch, base + "/nope", admin, `{"description":"x"}`, http.StatusNotFound, ""},
				{"a read-only admin writing", http.MethodPost, base, reader, `{"name":"x"}`, http.StatusForbidden, "authservers:write"},
				{"a help-desk admin reading", http.MethodGet, base, w.token[RoleHelpDesk], "", http.StatusForbidden, "authservers:read"},
				{"another tenant's servers", http.MethodGet, "/api/v1/mgmt/tenants/" + w.b.ID + "/authorization-servers/orders", admin, "", http.StatusForbidden, "tenant"},
			})

			w.clock.Advance(time.Second)
			if status, _, body := w.do(t, http.MethodDelete, base+"/billing", admin, ""); status != http.StatusNoContent {
				t.Fatalf("delete: %d %s", status, body)
			}
			if status, _, body := w.do(t, http.MethodGet, base+"/billing", admin, ""); status != http.StatusNotFound {
				t.Fatalf("get after delete: %d %s", status, body)
			}
			if status, _, body := w.do(t, http.MethodDelete, base+"/billing", admin, ""); status != http.StatusNotFound {
				t.Fatalf("delete again: %d %s", status, body)
			}
			if got, want := w.loggedTypes(t, "authserver.*", "authorization_server"), []string{"authserver.created", "authserver.updated", "authserver.deleted"}; !slices.Equal(got, want) {
				t.Fatalf("logged %q, want %q", got, want)
			}
		})
	}
}
