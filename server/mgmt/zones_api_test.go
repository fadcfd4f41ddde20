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

// zoneCount counts the network zones of every tenant.
func (w *world) zoneCount(t *testing.T) int {
	t.Helper()
	var n int
	err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM network_zones`).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestZonesAPI creates, reads, lists, changes and deletes a network zone,
// checks that each change is in the system log, and that refused requests
// name the field and write nothing.
func TestZonesAPI(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			admin := w.token[RoleTenantAdmin]
			base := "/api/v1/mgmt/tenants/" + w.a.ID + "/zones"
			zone := func(status int, body string, wantStatus int) ZoneView {
				t.Helper()
				var z ZoneView
				if err := json.Unmarshal([]byte(body), &z); status != wantStatus || err != nil {
					t.Fatalf("status %d, want %d: %s", status, wantStatus, body)
				}
				return z
			}

			status, _, body := w.do(t, http.MethodPost, base, admin,
				`{"name":"Office","cidrs":["192.0.2.9/24","2001:DB8::1","::ffff:198.51.100.0/120"],"description":"HQ"}`)
			created := zone(status, body, http.StatusCreated)
			if !strings.HasPrefix(created.ID, "nzn_") || created.TenantID != w.a.ID || created.Name != "Office" || created.Description != "HQ" ||
				!slices.Equal(created.CIDRs, []string{"192.0.2.0/24", "2001:db8::1/128", "198.51.100.0/24"}) {
				t.Fatalf("created %+v", created)
			}

			status, _, body = w.do(t, http.MethodGet, base+"/"+created.ID, w.token[RoleReadOnly], "")
			if got := zone(status, body, http.StatusOK); !slices.Equal(got.CIDRs, created.CIDRs) || got.Name != created.Name {
				t.Fatalf("read %+v, created %+v", got, created)
			}

			status, _, body = w.do(t, http.MethodGet, base+"?limit=1", w.token[RoleReadOnly], "")
			var page List[ZoneView]
			if err := json.Unmarshal([]byte(body), &page); status != http.StatusOK || err != nil || len(page.Items) != 1 || page.Next == "" {
				t.Fatalf("first page: %d %s", status, body)
			}
			status, _, body = w.do(t, http.MethodGet, base+"?limit=1&after="+page.Next, w.token[RoleReadOnly], "")
			var last List[ZoneView]
			if err := json.Unmarshal([]byte(body), &last); status != http.StatusOK || err != nil || len(last.Items) != 1 || last.Next != "" {
				t.Fatalf("second page: %d %s", status, body)
			}
			ids := []string{page.Items[0].ID, last.Items[0].ID}
			if !slices.Contains(ids, created.ID) || !slices.Contains(ids, w.fixture[w.a.ID]["zone"]) {
				t.Fatalf("listed %q", ids)
			}

			w.clock.Advance(time.Second) // events sort by time, then at random
			status, _, body = w.do(t, http.MethodPatch, base+"/"+created.ID, admin, `{"cidrs":["10.0.0.0/8"],"description":""}`)
			if got := zone(status, body, http.StatusOK); got.Name != "Office" || got.Description != "" || !slices.Equal(got.CIDRs, []string{"10.0.0.0/8"}) {
				t.Fatalf("updated %+v", got)
			}

			for _, c := range []struct {
				name, method, path, token, body string
				status                          int
				where                           string
			}{
				{"a bad prefix", http.MethodPost, base, admin, `{"name":"X","cidrs":["10.0.0.0/8","10.0.0.0/33"]}`, http.StatusUnprocessableEntity, "body.cidrs[1]"},
				{"a duplicate after normalization", http.MethodPost, base, admin, `{"name":"X","cidrs":["10.0.0.0/8","10.1.2.3/8"]}`, http.StatusUnprocessableEntity, "body.cidrs[1]"},
				{"no prefixes", http.MethodPost, base, admin, `{"name":"X","cidrs":[]}`, http.StatusUnprocessableEntity, "body.cidrs"},
				{"a name in use", http.MethodPost, base, admin, `{"name":"office","cidrs":["10.0.0.0/8"]}`, http.StatusConflict, "body.name"},
				{"a rename to a name in use", http.MethodPatch, base + "/" + created.ID, admin, `{"name":"FIXTURE"}`, http.StatusConflict, "body.name"},
				{"emptying the prefixes", http.MethodPatch, base + "/" + created.ID, admin, `{"cidrs":[]}`, http.StatusUnprocessableEntity, "body.cidrs"},
				{"a read-only admin writing", http.MethodPost, base, w.token[RoleReadOnly], `{"name":"X","cidrs":["10.0.0.0/8"]}`, http.StatusForbidden, "zones:write"},
				{"a help-desk admin reading", http.MethodGet, base, w.token[RoleHelpDesk], "", http.StatusForbidden, "zones:read"},
				{"another tenant's zone", http.MethodDelete, base + "/" + w.fixture[w.b.ID]["zone"], admin, "", http.StatusNotFound, ""},
			} {
				t.Run("refuses "+c.name, func(t *testing.T) {
					before := w.zoneCount(t)
					status, _, body := w.do(t, c.method, c.path, c.token, c.body)
					if status != c.status {
						t.Fatalf("status %d, want %d: %s", status, c.status, body)
					}
					var p problemBody
					if err := json.Unmarshal([]byte(body), &p); err != nil {
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
					if after := w.zoneCount(t); after != before {
						t.Fatalf("zones went from %d to %d", before, after)
					}
				})
			}

			w.clock.Advance(time.Second)
			if status, _, body := w.do(t, http.MethodDelete, base+"/"+created.ID, admin, ""); status != http.StatusNoContent {
				t.Fatalf("delete: %d %s", status, body)
			}
			if status, _, body := w.do(t, http.MethodGet, base+"/"+created.ID, admin, ""); status != http.StatusNotFound {
				t.Fatalf("get after delete: %d %s", status, body)
			}
			if status, _, body := w.do(t, http.MethodDelete, base+"/"+created.ID, admin, ""); status != http.StatusNotFound {
				t.Fatalf("delete again: %d %s", status, body)
			}

			evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Types: []string{"zone.*"}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range evs {
				if ev.Target.Type != "zone" || ev.Target.ID != created.ID || ev.Actor.ID != w.tokenRec[RoleTenantAdmin].ID {
					t.Errorf("event %+v", ev)
				}
				got = append(got, ev.Type)
			}
			if want := []string{"zone.created", "zone.updated", "zone.deleted"}; !slices.Equal(got, want) {
				t.Fatalf("logged %q, want %q", got, want)
			}
		})
	}
}
