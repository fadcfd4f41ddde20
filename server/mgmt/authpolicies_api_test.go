package mgmt

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestAccessPoliciesAPI creates, reads, lists, changes and deletes an
// access policy and a rule of it (lifetimes in seconds), checks that each
// change is logged, and that refused requests name the field and write
// nothing.
func TestAccessPoliciesAPI(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	admin, reader := w.token[RoleTenantAdmin], w.token[RoleReadOnly]
	base := w.serversBase() + "/orders/policies"
	fixture := w.fixture[w.a.ID]

	w.clock.Advance(time.Second)
	pol := call[AccessPolicyView](t, w, http.MethodPost, base, admin,
		`{"name":"Partners","description":"Partner apps","priority":5,"clients":["app_1","app_2"]}`, http.StatusCreated)
	if !strings.HasPrefix(pol.ID, "pol_") || pol.Name != "Partners" || pol.Priority != 5 || !slices.Equal(pol.Clients, []string{"app_1", "app_2"}) || !pol.Active {
		t.Fatalf("created policy %+v", pol)
	}
	if got := call[AccessPolicyView](t, w, http.MethodGet, base+"/"+pol.ID, reader, "", http.StatusOK); got.Name != pol.Name {
		t.Fatalf("read %+v", got)
	}
	policies := call[List[AccessPolicyView]](t, w, http.MethodGet, base, reader, "", http.StatusOK)
	if len(policies.Items) != 2 || policies.Items[0].ID != fixture["policy"] || policies.Items[1].ID != pol.ID {
		t.Fatalf("listed %+v", policies.Items)
	}

	rules := base + "/" + pol.ID + "/rules"
	w.clock.Advance(time.Second)
	rule := call[AccessRuleView](t, w, http.MethodPost, rules, admin,
		`{"name":"Office","priority":1,"grant_types":["client_credentials","device_code"],"scopes":["*"],"zones":["`+fixture["zone"]+`"],
		  "access_token_lifetime":900,"refresh_token_lifetime":86400,"refresh_token_idle":3600}`, http.StatusCreated)
	if !strings.HasPrefix(rule.ID, "rul_") || rule.PolicyID != pol.ID || rule.Name != "Office" ||
		!slices.Equal(rule.GrantTypes, []string{"client_credentials", "urn:ietf:params:oauth:grant-type:device_code"}) ||
		!slices.Equal(rule.Scopes, []string{"*"}) || !slices.Equal(rule.Zones, []string{fixture["zone"]}) || rule.Groups == nil || rule.ExcludeZones == nil ||
		rule.AccessTokenLifetime != 900 || rule.RefreshTokenLifetime != 86400 || rule.RefreshTokenIdle != 3600 || rule.Deny || !rule.Active {
		t.Fatalf("created rule %+v", rule)
	}
	if got := call[AccessRuleView](t, w, http.MethodGet, rules+"/"+rule.ID, reader, "", http.StatusOK); got.AccessTokenLifetime != 900 {
		t.Fatalf("read rule %+v", got)
	}
	if list := call[List[AccessRuleView]](t, w, http.MethodGet, rules, reader, "", http.StatusOK); len(list.Items) != 1 || list.Items[0].ID != rule.ID {
		t.Fatalf("listed rules %+v", list.Items)
	}

	w.clock.Advance(time.Second)
	rule = call[AccessRuleView](t, w, http.MethodPatch, rules+"/"+rule.ID, admin, `{"access_token_lifetime":0,"deny":true,"zones":[]}`, http.StatusOK)
	if rule.AccessTokenLifetime != 0 || !rule.Deny || len(rule.Zones) != 0 || rule.RefreshTokenLifetime != 86400 {
		t.Fatalf("updated rule %+v", rule)
	}
	w.clock.Advance(time.Second)
	pol = call[AccessPolicyView](t, w, http.MethodPatch, base+"/"+pol.ID, admin, `{"clients":["*"],"active":false}`, http.StatusOK)
	if !slices.Equal(pol.Clients, []string{"*"}) || pol.Active || pol.Name != "Partners" {
		t.Fatalf("updated policy %+v", pol)
	}

	defPolicies := call[List[AccessPolicyView]](t, w, http.MethodGet, w.serversBase()+"/default/policies", reader, "", http.StatusOK)
	if len(defPolicies.Items) != 1 {
		t.Fatalf("default policies %+v", defPolicies.Items)
	}
	defPolicy := defPolicies.Items[0].ID
	w.checkRefusals(t, []refusal{
		{"a policy name in use", http.MethodPost, base, admin, `{"name":"Fixture","priority":1,"clients":["*"]}`, http.StatusConflict, "body.name"},
		{"every client beside others", http.MethodPost, base, admin, `{"name":"X","priority":1,"clients":["*","app_1"]}`, http.StatusUnprocessableEntity, "body.clients"},
		{"a priority out of range", http.MethodPatch, base + "/" + pol.ID, admin, `{"priority":0}`, http.StatusUnprocessableEntity, "body.priority"},
		{"an access token lifetime too short", http.MethodPost, rules, admin, `{"name":"X","priority":2,"grant_types":["client_credentials"],"scopes":["*"],"access_token_lifetime":60}`, http.StatusUnprocessableEntity, "body.access_token_lifetime"},
		{"a lifetime beyond any bound", http.MethodPatch, rules + "/" + rule.ID, admin, `{"refresh_token_lifetime":9223372036}`, http.StatusUnprocessableEntity, "body.refresh_token_lifetime"},
		{"an unknown grant type", http.MethodPost, rules, admin, `{"name":"X","priority":2,"grant_types":["password"],"scopes":["*"]}`, http.StatusUnprocessableEntity, "body.grant_types[0]"},
		{"a scope the server lacks", http.MethodPost, rules, admin, `{"name":"X","priority":2,"grant_types":["client_credentials"],"scopes":["orders.nope"]}`, http.StatusUnprocessableEntity, "body.scopes[0]"},
		{"a zone that does not exist", http.MethodPatch, rules + "/" + rule.ID, admin, `{"zones":["nzn_00000000000000000000000000"]}`, http.StatusUnprocessableEntity, "body.zones[0]"},
		{"a rule name in use", http.MethodPost, rules, admin, `{"name":"Office","priority":2,"grant_types":["client_credentials"],"scopes":["*"]}`, http.StatusConflict, "body.name"},
		{"a policy of another server", http.MethodGet, base + "/" + defPolicy, admin, "", http.StatusNotFound, ""},
		{"a rule under a policy of another server", http.MethodPost, w.serversBase() + "/orders/policies/" + defPolicy + "/rules", admin, `{"name":"X","priority":2,"grant_types":["client_credentials"],"scopes":["*"]}`, http.StatusNotFound, ""},
		{"a rule of another policy", http.MethodGet, rules + "/" + fixture["policyrule"], admin, "", http.StatusNotFound, ""},
		{"a policy of another tenant", http.MethodDelete, base + "/" + w.fixture[w.c1.ID]["policy"], admin, "", http.StatusNotFound, ""},
		{"a read-only admin writing", http.MethodPost, rules, reader, `{"name":"X","priority":2,"grant_types":["client_credentials"],"scopes":["*"]}`, http.StatusForbidden, "authservers:write"},
	})

	w.clock.Advance(time.Second)
	if status, _, body := w.do(t, http.MethodDelete, rules+"/"+rule.ID, admin, ""); status != http.StatusNoContent {
		t.Fatalf("delete rule: %d %s", status, body)
	}
	w.clock.Advance(time.Second)
	if status, _, body := w.do(t, http.MethodDelete, base+"/"+pol.ID, admin, ""); status != http.StatusNoContent {
		t.Fatalf("delete policy: %d %s", status, body)
	}
	if status, _, body := w.do(t, http.MethodGet, rules, admin, ""); status != http.StatusNotFound {
		t.Fatalf("rules after delete: %d %s", status, body)
	}
	// Deleting a policy deletes its rules.
	w.clock.Advance(time.Second)
	if status, _, body := w.do(t, http.MethodDelete, base+"/"+fixture["policy"], admin, ""); status != http.StatusNoContent {
		t.Fatalf("delete fixture policy: %d %s", status, body)
	}
	// Left: the fixture rules of the four tenants and the default rule of
	// A's default server (made above), less A's fixture rule.
	if n := w.authCounts(t)["auth_policy_rules"]; n != 4+1-1 {
		t.Fatalf("%d rules left", n)
	}

	if got, want := w.loggedTypes(t, "authserver.policy.*", "authserver_policy"), []string{"authserver.policy.created", "authserver.policy.updated",
		"authserver.policy.deleted", "authserver.policy.deleted"}; !slices.Equal(got, want) {
		t.Fatalf("logged %q, want %q", got, want)
	}
	if got, want := w.loggedTypes(t, "authserver.rule.*", "authserver_rule"), []string{"authserver.rule.created", "authserver.rule.updated",
		"authserver.rule.deleted"}; !slices.Equal(got, want) {
		t.Fatalf("logged %q, want %q", got, want)
	}
}
