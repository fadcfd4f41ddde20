package mgmt

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// problemBody is the application/problem+json shape.
type problemBody struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
	} `json:"errors"`
}

// rowCounts counts what a refused request must not have changed.
func (w *world) rowCounts(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for _, table := range []string{"tenants", "apps", "app_secrets", "brands", "domains", "trusted_origins", "mgmt_tokens", "users", "user_types", "groups", "group_rules", "group_members", "credentials"} {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
				return err
			}
			out[table] = n
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBadInputChangesNothing sends each kind of bad request and expects a
// problem+json naming the field or scope, with nothing written.
func TestBadInputChangesNothing(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			apps := "/api/v1/mgmt/tenants/" + w.a.ID + "/apps"
			domain := "/api/v1/mgmt/tenants/" + w.a.ID + "/domains/" + w.fixture[w.a.ID]["domain"]
			admin := w.token[RoleTenantAdmin]
			cases := []struct {
				name, method, path, token, body string
				status                          int
				where                           string // a location or text the problem must name
			}{
				{"malformed JSON", http.MethodPost, apps, admin, `{"name": "x",`, http.StatusBadRequest, ""},
				{"unknown field", http.MethodPost, apps, admin, `{"name":"x","type":"web","redirect_uris":["https://a.example.com/cb"],"colour":"red"}`, http.StatusUnprocessableEntity, "body.colour"},
				{"oversize body", http.MethodPost, apps, admin, `{"name":"` + strings.Repeat("x", maxBody) + `"}`, http.StatusRequestEntityTooLarge, ""},
				{"redirect URI with a fragment", http.MethodPost, apps, admin, `{"name":"x","type":"web","redirect_uris":["https://a.example.com/cb#top"]}`, http.StatusUnprocessableEntity, "body.redirect_uris[0]"},
				{"wildcard redirect URI", http.MethodPost, apps, admin, `{"name":"x","type":"web","redirect_uris":["https://*.example.com/cb"]}`, http.StatusUnprocessableEntity, "body.redirect_uris[0]"},
				{"http redirect URI outside loopback", http.MethodPost, apps, admin, `{"name":"x","type":"web","redirect_uris":["https://ok.example.com/cb","http://a.example.com/cb"]}`, http.StatusUnprocessableEntity, "body.redirect_uris[1]"},
				{"duplicate app name", http.MethodPost, apps, admin, `{"name":"Fixture","type":"web","redirect_uris":["https://a.example.com/cb"]}`, http.StatusConflict, "body.name"},
				{"PATCH of a domain's state", http.MethodPatch, domain, admin, `{"state":"active"}`, http.StatusUnprocessableEntity, "body.state"},
				{"token for another tenant", http.MethodPost, "/api/v1/mgmt/tenants/" + w.b.ID + "/apps", admin, `{"name":"x","type":"web","redirect_uris":["https://a.example.com/cb"]}`, http.StatusForbidden, "tenant"},
				{"read-only admin writing", http.MethodPost, apps, w.token[RoleReadOnly], `{"name":"x","type":"web","redirect_uris":["https://a.example.com/cb"]}`, http.StatusForbidden, "apps:write"},
				{"token above the caller's role", http.MethodPost, "/api/v1/mgmt/tenants/" + w.a.ID + "/tokens", admin, `{"name":"x","role":"instance-admin"}`, http.StatusUnprocessableEntity, "body.role"},
				{"unknown query parameter", http.MethodGet, apps + "?colour=red", admin, "", http.StatusUnprocessableEntity, "query.colour"},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					before := w.rowCounts(t)
					status, h, body := w.do(t, c.method, c.path, c.token, c.body)
					if status != c.status {
						t.Fatalf("status %d, want %d: %s", status, c.status, body)
					}
					if ct := h.Get("Content-Type"); ct != "application/problem+json" {
						t.Fatalf("content type %q", ct)
					}
					var p problemBody
					if err := json.Unmarshal([]byte(body), &p); err != nil || p.Status != status {
						t.Fatalf("not a problem document: %s", body)
					}
					if c.where != "" {
						named := strings.Contains(p.Detail, c.where)
						for _, e := range p.Errors {
							named = named || e.Location == c.where
						}
						if !named {
							t.Fatalf("problem does not name %q: %s", c.where, body)
						}
					}
					if after := w.rowCounts(t); !equalCounts(before, after) {
						t.Fatalf("rows changed from %v to %v", before, after)
					}
				})
			}
		})
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestSecretsNeverShownAgain creates a client secret and a management token
// and checks that neither appears in any later answer nor in any log line.
func TestSecretsNeverShownAgain(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	admin := w.token[RoleTenantAdmin]
	base := "/api/v1/mgmt/tenants/" + w.a.ID
	status, _, body := w.do(t, http.MethodPost, base+"/apps", admin, `{"name":"Canary","type":"web","redirect_uris":["https://canary.example.com/cb"]}`)
	if status != http.StatusCreated {
		t.Fatalf("create app: %d %s", status, body)
	}
	var app struct {
		ID           string `json:"id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal([]byte(body), &app); err != nil || !strings.HasPrefix(app.ClientSecret, "lsec_") {
		t.Fatalf("no client secret in %s", body)
	}
	status, _, body = w.do(t, http.MethodPost, base+"/apps/"+app.ID+"/secrets", admin, `{"overlap_seconds":60}`)
	var rotated struct {
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal([]byte(body), &rotated); status != http.StatusCreated || err != nil || rotated.ClientSecret == "" {
		t.Fatalf("rotate: %d %s", status, body)
	}
	status, _, body = w.do(t, http.MethodPost, base+"/tokens", admin, `{"name":"canary","role":"read-only"}`)
	var tok struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(body), &tok); status != http.StatusCreated || err != nil || !strings.HasPrefix(tok.Token, TokenPrefix) {
		t.Fatalf("create token: %d %s", status, body)
	}
	// Use the new token once, so its use is recorded and logged.
	if status, _, body := w.do(t, http.MethodGet, base+"/apps", tok.Token, ""); status != http.StatusOK {
		t.Fatalf("use token: %d %s", status, body)
	}
	canaries := []string{app.ClientSecret, rotated.ClientSecret, tok.Token, admin}
	for _, path := range []string{
		base + "/apps", base + "/apps/" + app.ID, base + "/apps/" + app.ID + "/secrets",
		base + "/tokens", base + "/tokens/" + tok.ID, base + "/events?limit=200", base + "/events/export",
	} {
		status, _, body := w.do(t, http.MethodGet, path, admin, "")
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
		for _, c := range canaries[:3] {
			if strings.Contains(body, c) {
				t.Errorf("GET %s shows a secret again", path)
			}
		}
	}
	logs := w.logs.String()
	if !strings.Contains(logs, "http request") {
		t.Fatal("the log sink saw no requests; the canary check would prove nothing")
	}
	for _, c := range canaries {
		if strings.Contains(logs, c) {
			t.Errorf("a secret reached the log")
		}
	}
}

// TestChangesAreLogged checks the system log through the API: actor,
// tenant and request ID; queries by range and type; export; purge.
func TestChangesAreLogged(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	admin := w.token[RoleTenantAdmin]
	base := "/api/v1/mgmt/tenants/" + w.a.ID
	start := w.clock.Now()
	status, h, body := w.do(t, http.MethodPost, base+"/brands", admin, `{"name":"Logged"}`)
	if status != http.StatusCreated {
		t.Fatalf("create brand: %d %s", status, body)
	}
	reqID := h.Get("X-Request-Id")
	w.clock.Advance(3600e9)
	status, _, body = w.do(t, http.MethodGet, base+"/events?type=brand.*", admin, "")
	var list struct {
		Items []EventView `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &list); status != http.StatusOK || err != nil {
		t.Fatalf("events: %d %s", status, body)
	}
	if len(list.Items) != 1 {
		t.Fatalf("got %d brand events, want 1: %s", len(list.Items), body)
	}
	ev := list.Items[0]
	if ev.Type != "brand.created" || ev.Actor.ID != w.tokenRec[RoleTenantAdmin].ID || ev.TenantID != w.a.ID || ev.RequestID != reqID || ev.RequestID == "" {
		t.Fatalf("event %+v; want brand.created by %s in %s with request %s", ev, w.tokenRec[RoleTenantAdmin].ID, w.a.ID, reqID)
	}
	// A range that ends before the change finds nothing.
	q := "?from=" + start.Add(-3600e9).Format("2006-01-02T15:04:05Z") + "&to=" + start.Add(-1e9).Format("2006-01-02T15:04:05Z")
	if _, _, body := w.do(t, http.MethodGet, base+"/events"+q, admin, ""); !strings.Contains(body, `"items":[]`) {
		t.Fatalf("range before the change: %s", body)
	}
	status, h, body = w.do(t, http.MethodGet, base+"/events/export?type=brand.created", admin, "")
	if status != http.StatusOK || h.Get("Content-Type") != "application/jsonl" || strings.Count(body, "\n") != 1 || !strings.Contains(body, reqID) {
		t.Fatalf("export: %d %s %q", status, h.Get("Content-Type"), body)
	}
	// Retention: purging before now removes the event.
	n, err := w.events.Purge(context.Background(), w.clock.Now())
	if err != nil || n == 0 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID})
	if err != nil || len(evs) != 0 {
		t.Fatalf("after purge: %d events, %v", len(evs), err)
	}
}

// TestDelegationRevocationTakesEffectAtOnce revokes a child's delegation
// with the child's own token and checks the parent's next request fails.
func TestDelegationRevocationTakesEffectAtOnce(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	parent := w.token[RoleTenantAdmin]
	childApps := "/api/v1/mgmt/tenants/" + w.c1.ID + "/apps"
	if status, _, body := w.do(t, http.MethodGet, childApps, parent, ""); status != http.StatusOK {
		t.Fatalf("parent before revocation: %d %s", status, body)
	}
	var childToken string
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, secret, err := w.tokens.Create(ctx, tx, TokenInput{TenantID: w.c1.ID, Name: "child", Role: RoleTenantAdmin, CreatedBy: "test"}, false)
		childToken = secret
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if status, _, body := w.do(t, http.MethodDelete, "/api/v1/mgmt/tenants/"+w.c1.ID+"/delegation", childToken, ""); status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", status, body)
	}
	if status, _, body := w.do(t, http.MethodGet, childApps, parent, ""); status != http.StatusForbidden {
		t.Fatalf("parent after revocation: %d %s", status, body)
	}
}

// TestListsPageWithCursors creates apps and walks them three at a time.
func TestListsPageWithCursors(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	admin := w.token[RoleTenantAdmin]
	base := "/api/v1/mgmt/tenants/" + w.a.ID + "/apps"
	for i := range 7 {
		body := `{"name":"App ` + string(rune('a'+i)) + `","type":"spa","redirect_uris":["https://spa.example.com/cb"],"tags":["paged"]}`
		if status, _, resp := w.do(t, http.MethodPost, base, admin, body); status != http.StatusCreated {
			t.Fatalf("create: %d %s", status, resp)
		}
	}
	seen := map[string]bool{}
	next, pages := "", 0
	for {
		status, _, body := w.do(t, http.MethodGet, base+"?tag=paged&limit=3&after="+next, admin, "")
		var page struct {
			Items []AppView `json:"items"`
			Next  string    `json:"next"`
		}
		if err := json.Unmarshal([]byte(body), &page); status != http.StatusOK || err != nil {
			t.Fatalf("list: %d %s", status, body)
		}
		pages++
		for _, a := range page.Items {
			if seen[a.ID] {
				t.Fatalf("app %s on two pages", a.ID)
			}
			seen[a.ID] = true
		}
		if next = page.Next; next == "" {
			break
		}
	}
	if len(seen) != 7 || pages != 3 {
		t.Fatalf("saw %d apps on %d pages, want 7 on 3", len(seen), pages)
	}
}

// TestSubTenantDepthIsBounded nests tenants until the bound refuses one.
func TestSubTenantDepthIsBounded(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	admin := w.token[RoleInstanceAdmin]
	parent := w.c1.ID // depth 2
	status, _, body := w.do(t, http.MethodPost, "/api/v1/mgmt/tenants/"+parent+"/children", admin, `{"slug":"grandchild","name":"G"}`)
	if status != http.StatusCreated {
		t.Fatalf("depth 3: %d %s", status, body)
	}
	var g TenantView
	_ = json.Unmarshal([]byte(body), &g)
	status, _, body = w.do(t, http.MethodPost, "/api/v1/mgmt/tenants/"+g.ID+"/children", admin, `{"slug":"too-deep","name":"D"}`)
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("depth 4: %d %s", status, body)
	}
}
