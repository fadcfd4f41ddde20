package mgmt

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// fakePreviewer answers every preview with a canned result (the zero
// result until set) and keeps the last request; a server named "nope"
// does not exist.
type fakePreviewer struct {
	mu     sync.Mutex
	result oidc.PreviewResult
	calls  int
	last   struct {
		tenantID, server string
		in               oidc.PreviewInput
	}
}

func (f *fakePreviewer) Preview(_ context.Context, tenantID, server string, in oidc.PreviewInput) (oidc.PreviewResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.last.tenantID, f.last.server, f.last.in = tenantID, server, in
	if server == "nope" {
		return oidc.PreviewResult{}, fmt.Errorf("%w: authorization server %q", store.ErrNotFound, server)
	}
	return f.result, nil
}

func (f *fakePreviewer) set(r oidc.PreviewResult) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.result, f.calls = r, 0
}

func (f *fakePreviewer) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

var _ Previewer = (*fakePreviewer)(nil)

// TestPreviewAPI checks how a preview's result is shown, that the request
// reaches the previewer as sent, and what is refused before it.
func TestPreviewAPI(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	admin := w.token[RoleTenantAdmin]
	path := w.serversBase() + "/orders/preview"

	t.Run("shows a granted request with its trace and claims", func(t *testing.T) {
		w.preview.set(oidc.PreviewResult{
			Decision: authserver.Decision{
				Granted: true, Scopes: []string{"orders.read", "orders.write"},
				Policy: &authserver.Policy{ID: "pol_1", Name: "Shop"}, Rule: &authserver.Rule{ID: "rul_2", Name: "Staff"},
				AccessTokenLifetime: 30 * time.Minute, RefreshTokenLifetime: 48 * time.Hour, RefreshTokenIdle: 6 * time.Hour,
				Trace: []authserver.Step{
					{PolicyID: "pol_0", PolicyName: "Partners", Reason: "does not apply to this client"},
					{PolicyID: "pol_1", PolicyName: "Shop", RuleID: "rul_1", RuleName: "Office", Reason: "the client is not in zone Office"},
					{PolicyID: "pol_1", PolicyName: "Shop", RuleID: "rul_2", RuleName: "Staff", Matched: true, Reason: "matched"},
				},
			},
			Access: map[string]any{"sub": "usr_1", "scope": "orders.read orders.write", "tier": "gold"},
			ID:     map[string]any{"sub": "usr_1", "name": "Ada"},
		})
		status, _, body := w.do(t, http.MethodPost, path, admin,
			`{"client_id":"app_1","grant_type":"authorization_code","scopes":["orders.write"],"user_id":"usr_1","ip":"::ffff:192.0.2.7"}`)
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		var want map[string]any
		if err := json.Unmarshal([]byte(`{
			"granted": true, "error": "", "error_description": "",
			"scopes": ["orders.read", "orders.write"],
			"policy": {"id": "pol_1", "name": "Shop"}, "rule": {"id": "rul_2", "name": "Staff"},
			"access_token_lifetime": 1800, "refresh_token_lifetime": 172800, "refresh_token_idle": 21600,
			"trace": [
				{"policy_id": "pol_0", "policy_name": "Partners", "rule_id": "", "rule_name": "", "matched": false, "reason": "does not apply to this client"},
				{"policy_id": "pol_1", "policy_name": "Shop", "rule_id": "rul_1", "rule_name": "Office", "matched": false, "reason": "the client is not in zone Office"},
				{"policy_id": "pol_1", "policy_name": "Shop", "rule_id": "rul_2", "rule_name": "Staff", "matched": true, "reason": "matched"}
			],
			"access_token_claims": {"sub": "usr_1", "scope": "orders.read orders.write", "tier": "gold"},
			"id_token_claims": {"sub": "usr_1", "name": "Ada"}
		}`), &want); err != nil {
			t.Fatal(err)
		}
		delete(got, "$schema")
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %s", body)
		}
		last := w.preview.last
		if last.tenantID != w.a.ID || last.server != "orders" || last.in.ClientID != "app_1" || last.in.GrantType != "authorization_code" ||
			!slices.Equal(last.in.Scopes, []string{"orders.write"}) || last.in.UserID != "usr_1" || last.in.IP != netip.MustParseAddr("::ffff:192.0.2.7") {
			t.Fatalf("previewer got %+v", last)
		}
	})

	t.Run("shows a refused request with empty lists and no ID token", func(t *testing.T) {
		w.preview.set(oidc.PreviewResult{Error: "access_denied", ErrorDescription: "no rule allows the request"})
		status, _, body := w.do(t, http.MethodPost, path, w.token[RoleReadOnly], `{"client_id":"app_1","grant_type":"client_credentials"}`)
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		for k, v := range map[string]any{"granted": false, "error": "access_denied", "error_description": "no rule allows the request",
			"scopes": []any{}, "trace": []any{}, "access_token_claims": map[string]any{}, "access_token_lifetime": 0.0} {
			if !reflect.DeepEqual(got[k], v) {
				t.Errorf("%s = %#v, want %#v", k, got[k], v)
			}
		}
		for _, k := range []string{"policy", "rule", "id_token_claims"} {
			if _, ok := got[k]; ok {
				t.Errorf("%s is shown: %s", k, body)
			}
		}
		if w.preview.last.in.UserID != "" || w.preview.last.in.IP.IsValid() {
			t.Errorf("previewer got %+v", w.preview.last.in)
		}
	})

	// A token that may read authorization servers but not users.
	var narrow string
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		_, narrow, err = w.tokens.Create(ctx, tx, TokenInput{TenantID: w.a.ID, Name: "servers only", Role: RoleReadOnly,
			Scopes: []Scope{ScopeAuthServersRead}, CreatedBy: "test"}, false)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	w.preview.set(oidc.PreviewResult{})
	for _, c := range []struct {
		name, token, path, body string
		status                  int
		where                   string
		calls                   int
	}{
		{"a user's tokens without users:read", narrow, path, `{"client_id":"app_1","grant_type":"authorization_code","user_id":"usr_1"}`, http.StatusForbidden, "users:read", 0},
		{"an address that is no IP address", admin, path, `{"client_id":"app_1","grant_type":"client_credentials","ip":"192.0.2.300"}`, http.StatusUnprocessableEntity, "body.ip", 0},
		{"an empty client ID", admin, path, `{"client_id":"","grant_type":"client_credentials"}`, http.StatusUnprocessableEntity, "body.client_id", 0},
		{"an unknown server", admin, w.serversBase() + "/nope/preview", `{"client_id":"app_1","grant_type":"client_credentials"}`, http.StatusNotFound, "", 1},
		{"a help-desk admin", w.token[RoleHelpDesk], path, `{"client_id":"app_1","grant_type":"client_credentials"}`, http.StatusForbidden, "authservers:read", 0},
	} {
		t.Run("refuses "+c.name, func(t *testing.T) {
			w.preview.set(oidc.PreviewResult{})
			status, _, body := w.do(t, http.MethodPost, c.path, c.token, c.body)
			var p problemBody
			if err := json.Unmarshal([]byte(body), &p); status != c.status || err != nil {
				t.Fatalf("status %d, want %d: %s", status, c.status, body)
			}
			named := c.where == "" || p.names(c.where)
			if !named {
				t.Fatalf("problem does not name %q: %s", c.where, body)
			}
			if n := w.preview.count(); n != c.calls {
				t.Fatalf("previewer called %d times, want %d", n, c.calls)
			}
		})
	}
	t.Run("the refusal for users:read is logged", func(t *testing.T) {
		evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Types: []string{"mgmt.access.denied"}})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(evs, func(ev events.Event) bool {
			return ev.Target.ID == "preview-token" && ev.Details["scope"] == string(ScopeUsersRead)
		}) {
			t.Fatalf("denied events %+v", evs)
		}
	})
}
