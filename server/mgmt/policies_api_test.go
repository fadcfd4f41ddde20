package mgmt

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/factor"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// policyRows counts the rows of the policy tables, and of what the terms
// and activation routes write.
func (w *world) policyRows(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for _, table := range []string{"signon_policies", "password_policies", "password_history", "user_lockouts", "credentials",
			"enrollment_policies", "recovery_policies", "terms_documents", "terms_acceptances", "user_activations", "mail_outbox"} {
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

// refuseWithout sends a request the API must refuse and checks its status,
// that its problem names where, and that no policy row changed.
func (w *world) refuseWithout(t *testing.T, c refusal) {
	t.Helper()
	t.Run("refuses "+c.name, func(t *testing.T) {
		before := w.policyRows(t)
		status, _, body := w.do(t, c.method, c.path, c.token, c.body)
		if status != c.status {
			t.Fatalf("status %d, want %d: %s", status, c.status, body)
		}
		var p problemBody
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatalf("not a problem document: %s", body)
		}
		if c.where != "" && !p.names(c.where) {
			t.Fatalf("problem does not name %q: %s", c.where, body)
		}
		if after := w.policyRows(t); !equalCounts(before, after) {
			t.Fatalf("rows changed from %v to %v", before, after)
		}
	})
}

// TestPasswordPolicyAPI reads the defaults, replaces the policy (fields
// left out take their defaults), refuses values out of bounds and logs
// each change.
func TestPasswordPolicyAPI(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			admin, reader := w.token[RoleTenantAdmin], w.token[RoleReadOnly]
			path := "/api/v1/mgmt/tenants/" + w.a.ID + "/password-policy"
			defaults := PasswordPolicyView{MinLength: 8, MaxLength: 1024, Blocklist: true, History: 4, LockoutThreshold: 10,
				LockoutDuration: 1800, NotifyLockout: true}
			if got := call[PasswordPolicyView](t, w, http.MethodGet, path, reader, "", http.StatusOK); got != defaults {
				t.Fatalf("defaults %+v", got)
			}
			set := call[PasswordPolicyView](t, w, http.MethodPut, path, admin, `{"min_length":12,"lockout_duration":0,"blocklist":false}`, http.StatusOK)
			want := defaults
			want.MinLength, want.LockoutDuration, want.Blocklist = 12, 0, false
			if set != want {
				t.Fatalf("set %+v, want %+v", set, want)
			}
			if got := call[PasswordPolicyView](t, w, http.MethodGet, path, reader, "", http.StatusOK); got != want {
				t.Fatalf("read back %+v", got)
			}
			w.clock.Advance(time.Second)
			if got := call[PasswordPolicyView](t, w, http.MethodPut, path, admin, `{}`, http.StatusOK); got != defaults {
				t.Fatalf("an empty body set %+v, want the defaults", got)
			}
			for _, c := range []refusal{
				{"a minimum under 8", http.MethodPut, path, admin, `{"min_length":7}`, http.StatusUnprocessableEntity, "body.min_length"},
				{"a maximum under the minimum", http.MethodPut, path, admin, `{"min_length":100,"max_length":80}`, http.StatusUnprocessableEntity, "body.max_length"},
				{"a lockout over 7 days", http.MethodPut, path, admin, `{"lockout_duration":604801}`, http.StatusUnprocessableEntity, "body.lockout_duration"},
				{"a history over 24", http.MethodPut, path, admin, `{"history":25}`, http.StatusUnprocessableEntity, "body.history"},
				{"a read-only admin writing", http.MethodPut, path, reader, `{}`, http.StatusForbidden, "policies:write"},
				{"a help-desk admin reading", http.MethodGet, path, w.token[RoleHelpDesk], "", http.StatusForbidden, "policies:read"},
			} {
				w.refuseWithout(t, c)
			}
			if got := w.loggedTypes(t, "policy.*", "tenant"); !slices.Equal(got, []string{"policy.password.updated", "policy.password.updated"}) {
				t.Fatalf("logged %q", got)
			}
		})
	}
}

// TestSignOnPolicyAPI sets, reads, replaces and deletes the sign-on
// policies of an app and of the tenant, refuses bad rules naming them,
// and drops an app's policy with the app.
func TestSignOnPolicyAPI(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			admin, reader := w.token[RoleTenantAdmin], w.token[RoleReadOnly]
			tenantPath := "/api/v1/mgmt/tenants/" + w.a.ID
			app := w.fixture[w.a.ID]["app"]
			appPath := tenantPath + "/apps/" + app + "/sign-on-policy"
			dfltPath := tenantPath + "/sign-on-policy"
			for _, p := range []string{appPath, dfltPath} {
				if status, _, body := w.do(t, http.MethodGet, p, reader, ""); status != http.StatusNotFound {
					t.Fatalf("GET %s before any policy: %d %s", p, status, body)
				}
			}
			rules := `{"rules":[
				{"name":"office","condition":"\"Fixture\" in network.zones","access":"allow","authenticators":["password"]},
				{"name":"admins","condition":"\"admins\" in user.groups","access":"allow","authenticators":["password","email"],"factors":2,"reauthenticate_after":3600},
				{"name":"blocked","condition":"network.ip == \"203.0.113.66\"","access":"deny"},
				{"name":"everyone","access":"allow","authenticators":["email","password"]}]}`
			got := call[SignOnPolicyView](t, w, http.MethodPut, appPath, admin, rules, http.StatusOK)
			if !strings.HasPrefix(got.ID, "sop_") || got.AppID != app || got.TenantID != w.a.ID || len(got.Rules) != 4 ||
				got.Rules[0].Factors != 1 || got.Rules[1].ReauthenticateAfter != 3600 || got.Rules[2].Access != "deny" ||
				len(got.Rules[2].Authenticators) != 0 || got.Rules[2].Factors != 0 || !slices.Equal(got.Rules[3].Authenticators, []string{"email", "password"}) {
				t.Fatalf("put %+v", got)
			}
			if read := call[SignOnPolicyView](t, w, http.MethodGet, appPath, reader, "", http.StatusOK); read.ID != got.ID || len(read.Rules) != 4 {
				t.Fatalf("read %+v", read)
			}
			w.clock.Advance(time.Second)
			dflt := call[SignOnPolicyView](t, w, http.MethodPut, dfltPath, admin, `{"rules":[{"name":"anyone","access":"allow","authenticators":["password"]}]}`, http.StatusOK)
			if dflt.AppID != "" || len(dflt.Rules) != 1 {
				t.Fatalf("default %+v", dflt)
			}

			for _, c := range []refusal{
				{"a condition that does not compile", http.MethodPut, appPath, admin, `{"rules":[{"name":"a","condition":"user.email == 1","access":"allow","authenticators":["password"]}]}`,
					http.StatusUnprocessableEntity, "body.rules[0].condition"},
				{"a non-bool condition", http.MethodPut, appPath, admin, `{"rules":[{"name":"a","condition":"network.ip","access":"allow","authenticators":["password"]}]}`,
					http.StatusUnprocessableEntity, "body.rules[0].condition"},
				{"two factors of one authenticator", http.MethodPut, appPath, admin, `{"rules":[{"name":"a","access":"allow","authenticators":["password"],"factors":2}]}`,
					http.StatusUnprocessableEntity, "body.rules[0].factors"},
				{"an unknown authenticator", http.MethodPut, dfltPath, admin, `{"rules":[{"name":"a","access":"allow","authenticators":["fax"]}]}`,
					http.StatusUnprocessableEntity, "body.rules[0].authenticators[0]"},
				{"authenticators on a denying rule", http.MethodPut, dfltPath, admin, `{"rules":[{"name":"a","access":"deny","authenticators":["email"]}]}`,
					http.StatusUnprocessableEntity, "body.rules[0].authenticators"},
				{"duplicate names", http.MethodPut, dfltPath, admin, `{"rules":[{"name":"a","access":"deny"},{"name":"A","access":"deny"}]}`,
					http.StatusUnprocessableEntity, "body.rules[1].name"},
				{"no rules", http.MethodPut, dfltPath, admin, `{"rules":[]}`, http.StatusUnprocessableEntity, "body.rules"},
				{"an unknown app", http.MethodPut, tenantPath + "/apps/app_nope/sign-on-policy", admin, `{"rules":[{"name":"a","access":"deny"}]}`, http.StatusNotFound, ""},
				{"another tenant's app", http.MethodGet, tenantPath + "/apps/" + w.fixture[w.b.ID]["app"] + "/sign-on-policy", admin, "", http.StatusNotFound, ""},
				{"a read-only admin writing", http.MethodDelete, appPath, reader, "", http.StatusForbidden, "policies:write"},
			} {
				w.refuseWithout(t, c)
			}

			w.clock.Advance(time.Second)
			if status, _, body := w.do(t, http.MethodDelete, dfltPath, admin, ""); status != http.StatusNoContent {
				t.Fatalf("delete the default: %d %s", status, body)
			}
			if status, _, body := w.do(t, http.MethodDelete, dfltPath, admin, ""); status != http.StatusNotFound {
				t.Fatalf("delete the default again: %d %s", status, body)
			}
			w.clock.Advance(time.Second)
			call[SignOnPolicyView](t, w, http.MethodPut, appPath, admin, `{"rules":[{"name":"only","access":"allow","authenticators":["email"]}]}`, http.StatusOK)
			w.clock.Advance(time.Second)
			if status, _, body := w.do(t, http.MethodDelete, tenantPath+"/apps/"+app, admin, ""); status != http.StatusNoContent {
				t.Fatalf("delete the app: %d %s", status, body)
			}
			if n := w.policyRows(t)["signon_policies"]; n != 0 {
				t.Fatalf("%d sign-on policies after deleting the app", n)
			}

			evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Types: []string{"policy.signon.*"}})
			if err != nil {
				t.Fatal(err)
			}
			var logged []string
			for _, ev := range evs {
				logged = append(logged, ev.Type+" "+ev.Target.Type)
			}
			if want := []string{"policy.signon.updated app", "policy.signon.updated tenant", "policy.signon.deleted tenant", "policy.signon.updated app"}; !slices.Equal(logged, want) {
				t.Fatalf("logged %q, want %q", logged, want)
			}
		})
	}
}

// TestSetUserPasswordAPI sets a user's password through the policy
// (length, blocklist, history), never echoing or logging it.
func TestSetUserPasswordAPI(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			admin := w.token[RoleTenantAdmin]
			user := w.fixture[w.a.ID]["user"]
			path := "/api/v1/mgmt/tenants/" + w.a.ID + "/users/" + user + "/password"
			const first, second = "first correct horse", "second correct horse"
			secrets := []string{first, second, "secret battery staple"}

			set := func(pw string) {
				t.Helper()
				body, _ := json.Marshal(map[string]string{"password": pw})
				if status, _, resp := w.do(t, http.MethodPut, path, admin, string(body)); status != http.StatusNoContent {
					t.Fatalf("set %d %s", status, resp)
				}
			}
			verifies := func(pw string) bool {
				t.Helper()
				var hash string
				if err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
					c, err := w.dir.Credential(ctx, tx, w.a.ID, user, directory.CredentialPassword)
					hash = c.Secret
					return err
				}); err != nil {
					t.Fatal(err)
				}
				ok, err := factor.NewPasswords(1).Verify(context.Background(), hash, pw)
				return ok && err == nil
			}

			set(first)
			if !verifies(first) {
				t.Fatal("the stored credential does not verify the new password")
			}
			w.clock.Advance(time.Second)
			set(second)
			if !verifies(second) || verifies(first) {
				t.Fatal("the credential was not replaced")
			}
			for _, c := range []refusal{
				{"a password used recently", http.MethodPut, path, admin, `{"password":"` + first + `"}`, http.StatusUnprocessableEntity, "body.password"},
				{"a short password", http.MethodPut, path, admin, `{"password":"short"}`, http.StatusUnprocessableEntity, "body.password"},
				{"a common password", http.MethodPut, path, admin, `{"password":"Sunshine"}`, http.StatusUnprocessableEntity, "body.password"},
				{"no password", http.MethodPut, path, admin, `{}`, http.StatusUnprocessableEntity, "body"},
				{"an unknown field, without echoing the body", http.MethodPut, path, admin, `{"password":"secret battery staple","x":1}`, http.StatusUnprocessableEntity, ""},
				{"a body that does not parse, without echoing it", http.MethodPut, path, admin, `{"password":"secret battery staple"`, http.StatusBadRequest, ""},
				{"an unknown user", http.MethodPut, "/api/v1/mgmt/tenants/" + w.a.ID + "/users/usr_nope/password", admin, `{"password":"a fine pass phrase"}`, http.StatusNotFound, ""},
				{"a read-only admin", http.MethodPut, path, w.token[RoleReadOnly], `{"password":"a fine pass phrase"}`, http.StatusForbidden, "users:write"},
			} {
				w.refuseWithout(t, c)
				// The answer never holds the password.
				_, _, body := w.do(t, c.method, c.path, c.token, c.body)
				for _, s := range secrets {
					if strings.Contains(body, s) {
						t.Fatalf("%s: the answer echoes the password: %s", c.name, body)
					}
				}
			}
			for _, s := range secrets {
				if strings.Contains(w.logs.String(), s) {
					t.Fatal("the log holds a password")
				}
			}
			evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Types: []string{"user.password.set"}})
			if err != nil || len(evs) != 2 || evs[0].Target.ID != user || len(evs[0].Details) != 0 {
				t.Fatalf("events %+v, %v", evs, err)
			}

			// Erasing the user forgets their password history.
			if status, _, body := w.do(t, http.MethodDelete, "/api/v1/mgmt/tenants/"+w.a.ID+"/users/"+user, admin, ""); status != http.StatusNoContent {
				t.Fatalf("erase: %d %s", status, body)
			}
			if n := w.policyRows(t)["password_history"]; n != 0 {
				t.Fatalf("%d remembered hashes after erasing the user", n)
			}
		})
	}
}

// TestUnlockClearsTheLockout checks that an admin's unlock lifts the
// password policy's lock, even one without an end.
func TestUnlockClearsTheLockout(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	user := w.fixture[w.a.ID]["user"]
	call[PasswordPolicyView](t, w, http.MethodPut, "/api/v1/mgmt/tenants/"+w.a.ID+"/password-policy", w.token[RoleTenantAdmin],
		`{"lockout_threshold":2,"lockout_duration":0}`, http.StatusOK)
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for range 2 {
			if _, _, err := w.policies.RecordFailure(ctx, tx, w.a.ID, user); err != nil {
				return err
			}
		}
		// The engine moves a locked account to LOCKED_OUT.
		_, err := w.dir.Transition(ctx, tx, w.a.ID, user, directory.StatusLockedOut, events.Ref{Type: "system", ID: "lockout"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if status, _, body := w.do(t, http.MethodPost, "/api/v1/mgmt/tenants/"+w.a.ID+"/users/"+user+"/unlock", w.token[RoleHelpDesk], ""); status != http.StatusOK {
		t.Fatalf("unlock: %d %s", status, body)
	}
	err = w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if _, locked, err := w.policies.LockedUntil(ctx, tx, w.a.ID, user); err != nil || locked {
			t.Errorf("still locked (%v) after the admin unlocked", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
