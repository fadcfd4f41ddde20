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
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestEnrollmentPolicyAPI sets, reads, replaces and deletes the
// profile-enrollment policies of an app and of the tenant, refuses bad
// policies naming the field, drops an app's policy with the app and logs
// each change.
func TestEnrollmentPolicyAPI(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			admin, reader := w.token[RoleTenantAdmin], w.token[RoleReadOnly]
			tenantPath := "/api/v1/mgmt/tenants/" + w.a.ID
			app := w.fixture[w.a.ID]["app"]
			appPath := tenantPath + "/apps/" + app + "/enrollment-policy"
			dfltPath := tenantPath + "/enrollment-policy"
			for _, p := range []string{appPath, dfltPath} {
				if status, _, body := w.do(t, http.MethodGet, p, reader, ""); status != http.StatusNotFound {
					t.Fatalf("GET %s before any policy: %d %s", p, status, body)
				}
			}
			// A type with a custom attribute people edit, which it requires.
			typ := call[UserTypeView](t, w, http.MethodPost, tenantPath+"/user-types", admin,
				`{"name":"members","schema":{"type":"object","properties":{"tier":{"type":"string","maxLength":10},"code":{"type":"string","maxLength":10}},"additionalProperties":false},
				"attributes":{"tier":{"required":true,"user_editable":true},"code":{}}}`, http.StatusCreated)

			got := call[EnrollmentPolicyView](t, w, http.MethodPut, appPath, admin, `{"registration":true,"user_type_id":"`+typ.ID+`",
				"attributes":[{"name":"tier","required":true},{"name":"given_name"}],
				"progressive":[{"name":"phone","after_sign_ins":3},{"name":"family_name","required":true}],
				"email_verification":"after"}`, http.StatusOK)
			want := EnrollmentPolicyView{ID: got.ID, TenantID: w.a.ID, AppID: app, Registration: true, UserTypeID: typ.ID,
				Attributes:        []EnrollAttributeView{{Name: "tier", Required: true}, {Name: "given_name"}},
				Progressive:       []ProgressiveAttributeView{{Name: "phone", AfterSignIns: 3}, {Name: "family_name", Required: true}},
				EmailVerification: "after", CreatedAt: got.CreatedAt, UpdatedAt: got.UpdatedAt}
			if !strings.HasPrefix(got.ID, "enp_") || !equalJSON(t, got, want) {
				t.Fatalf("put %+v, want %+v", got, want)
			}
			if read := call[EnrollmentPolicyView](t, w, http.MethodGet, appPath, reader, "", http.StatusOK); !equalJSON(t, read, got) {
				t.Fatalf("read %+v, want %+v", read, got)
			}
			w.clock.Advance(time.Second)
			dflt := call[EnrollmentPolicyView](t, w, http.MethodPut, dfltPath, admin, `{"registration":false}`, http.StatusOK)
			if dflt.AppID != "" || dflt.Registration || dflt.EmailVerification != "before" || len(dflt.Attributes) != 0 || dflt.Progressive == nil {
				t.Fatalf("default %+v", dflt)
			}
			w.clock.Advance(time.Second)
			again := call[EnrollmentPolicyView](t, w, http.MethodPut, dfltPath, admin, `{"registration":true,"attributes":[{"name":"name","required":true}]}`, http.StatusOK)
			if again.ID != dflt.ID || !again.CreatedAt.Equal(dflt.CreatedAt) || !again.UpdatedAt.After(dflt.UpdatedAt) || !again.Registration {
				t.Fatalf("replaced %+v, was %+v", again, dflt)
			}

			for _, c := range []refusal{
				{"an attribute the type does not have", http.MethodPut, dfltPath, admin, `{"registration":true,"attributes":[{"name":"shoe_size"}]}`,
					http.StatusUnprocessableEntity, "body.attributes[0].name"},
				{"an attribute people may not edit", http.MethodPut, appPath, admin, `{"registration":true,"user_type_id":"` + typ.ID + `","attributes":[{"name":"tier","required":true},{"name":"code"}]}`,
					http.StatusUnprocessableEntity, "body.attributes[1].name"},
				{"registration without an attribute the type requires", http.MethodPut, appPath, admin, `{"registration":true,"user_type_id":"` + typ.ID + `"}`,
					http.StatusUnprocessableEntity, "body.attributes"},
				{"a name asked twice", http.MethodPut, dfltPath, admin, `{"registration":false,"progressive":[{"name":"phone"},{"name":"phone"}]}`,
					http.StatusUnprocessableEntity, "body.progressive[1].name"},
				{"an empty name", http.MethodPut, dfltPath, admin, `{"registration":false,"attributes":[{"name":""}]}`,
					http.StatusUnprocessableEntity, "body.attributes[0].name"},
				{"too many sign-ins", http.MethodPut, dfltPath, admin, `{"registration":false,"progressive":[{"name":"phone","after_sign_ins":1001}]}`,
					http.StatusUnprocessableEntity, "body.progressive[0].after_sign_ins"},
				{"an unknown verification", http.MethodPut, dfltPath, admin, `{"registration":false,"email_verification":"never"}`,
					http.StatusUnprocessableEntity, "body.email_verification"},
				{"an unknown user type", http.MethodPut, dfltPath, admin, `{"registration":false,"user_type_id":"uty_nope"}`,
					http.StatusUnprocessableEntity, "body.user_type_id"},
				{"another tenant's user type", http.MethodPut, dfltPath, admin, `{"registration":false,"user_type_id":"` + w.fixture[w.b.ID]["type"] + `"}`,
					http.StatusUnprocessableEntity, "body.user_type_id"},
				{"a body without registration", http.MethodPut, dfltPath, admin, `{}`, http.StatusUnprocessableEntity, "body"},
				{"an unknown app", http.MethodPut, tenantPath + "/apps/app_nope/enrollment-policy", admin, `{"registration":false}`, http.StatusNotFound, ""},
				{"another tenant's app", http.MethodGet, tenantPath + "/apps/" + w.fixture[w.b.ID]["app"] + "/enrollment-policy", admin, "", http.StatusNotFound, ""},
				{"another tenant", http.MethodPut, "/api/v1/mgmt/tenants/" + w.b.ID + "/enrollment-policy", admin, `{"registration":true}`, http.StatusForbidden, "tenant"},
				{"a read-only admin writing", http.MethodPut, dfltPath, reader, `{"registration":true}`, http.StatusForbidden, "policies:write"},
				{"a read-only admin deleting", http.MethodDelete, appPath, reader, "", http.StatusForbidden, "policies:write"},
				{"a help-desk admin reading", http.MethodGet, dfltPath, w.token[RoleHelpDesk], "", http.StatusForbidden, "policies:read"},
			} {
				w.refuseWithout(t, c)
			}

			w.clock.Advance(time.Second)
			if status, _, body := w.do(t, http.MethodDelete, dfltPath, admin, ""); status != http.StatusNoContent {
				t.Fatalf("delete the default: %d %s", status, body)
			}
			for _, c := range []refusal{
				{"deleting the default again", http.MethodDelete, dfltPath, admin, "", http.StatusNotFound, ""},
				{"reading the deleted default", http.MethodGet, dfltPath, reader, "", http.StatusNotFound, ""},
			} {
				w.refuseWithout(t, c)
			}
			// Deleting the app drops its policy, in the app's event.
			w.clock.Advance(time.Second)
			if status, _, body := w.do(t, http.MethodDelete, tenantPath+"/apps/"+app, admin, ""); status != http.StatusNoContent {
				t.Fatalf("delete the app: %d %s", status, body)
			}
			if n := w.policyRows(t)["enrollment_policies"]; n != 0 {
				t.Fatalf("%d enrollment policies after deleting the app", n)
			}

			evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Types: []string{"policy.enrollment.*"}})
			if err != nil {
				t.Fatal(err)
			}
			var logged []string
			for _, ev := range evs {
				if ev.Actor.ID != w.tokenRec[RoleTenantAdmin].ID || ev.Outcome != events.Success {
					t.Errorf("event %+v", ev)
				}
				logged = append(logged, ev.Type+" "+ev.Target.Type)
			}
			want2 := []string{"policy.enrollment.updated app", "policy.enrollment.updated tenant", "policy.enrollment.updated tenant", "policy.enrollment.deleted tenant"}
			if !slices.Equal(logged, want2) {
				t.Fatalf("logged %q, want %q", logged, want2)
			}
			if d := evs[0].Details; d["policy"] != got.ID || d["registration"] != true || d["attributes"] != float64(2) || d["progressive"] != float64(2) || d["email_verification"] != "after" {
				t.Fatalf("details %v", d)
			}
		})
	}
}

// TestRecoveryPolicyAPI reads the defaults, replaces the policy (fields
// left out take their defaults), refuses values out of bounds naming the
// field and logs each change.
func TestRecoveryPolicyAPI(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			admin, reader := w.token[RoleTenantAdmin], w.token[RoleReadOnly]
			path := "/api/v1/mgmt/tenants/" + w.a.ID + "/recovery-policy"
			defaults := RecoveryPolicyView{TenantID: w.a.ID, Enabled: true, Factor: "if_enrolled", Factors: []string{"security_answer"}, TokenTTL: 1800, Notify: true}
			if got := call[RecoveryPolicyView](t, w, http.MethodGet, path, reader, "", http.StatusOK); !equalJSON(t, got, defaults) {
				t.Fatalf("defaults %+v", got)
			}
			set := call[RecoveryPolicyView](t, w, http.MethodPut, path, admin, `{"factor":"required","token_ttl":600,"notify":false}`, http.StatusOK)
			if set.UpdatedAt == nil || !set.UpdatedAt.Equal(w.clock.Now()) {
				t.Fatalf("updated at %v", set.UpdatedAt)
			}
			want := defaults
			want.Factor, want.TokenTTL, want.Notify, want.UpdatedAt = "required", 600, false, set.UpdatedAt
			if !equalJSON(t, set, want) {
				t.Fatalf("set %+v, want %+v", set, want)
			}
			if got := call[RecoveryPolicyView](t, w, http.MethodGet, path, reader, "", http.StatusOK); !equalJSON(t, got, want) {
				t.Fatalf("read back %+v", got)
			}
			w.clock.Advance(time.Second)
			off := call[RecoveryPolicyView](t, w, http.MethodPut, path, admin, `{"enabled":false,"factor":"none","factors":[]}`, http.StatusOK)
			if off.Enabled || off.Factor != "none" || off.Factors == nil || len(off.Factors) != 0 || off.TokenTTL != 1800 {
				t.Fatalf("off %+v", off)
			}
			// Another tenant still has the defaults.
			other := call[RecoveryPolicyView](t, w, http.MethodGet, "/api/v1/mgmt/tenants/"+w.c1.ID+"/recovery-policy", admin, "", http.StatusOK)
			if other.UpdatedAt != nil || !other.Enabled {
				t.Fatalf("the child's policy %+v", other)
			}
			for _, c := range []refusal{
				{"a factor demanded without factors", http.MethodPut, path, admin, `{"factor":"required","factors":[]}`, http.StatusUnprocessableEntity, "body.factors"},
				{"an unknown factor", http.MethodPut, path, admin, `{"factors":["sms"]}`, http.StatusUnprocessableEntity, "body.factors[0]"},
				{"a factor named twice", http.MethodPut, path, admin, `{"factors":["security_answer","security_answer"]}`, http.StatusUnprocessableEntity, "body.factors[1]"},
				{"an unknown factor mode", http.MethodPut, path, admin, `{"factor":"sometimes"}`, http.StatusUnprocessableEntity, "body.factor"},
				{"a lifetime under 5 minutes", http.MethodPut, path, admin, `{"token_ttl":299}`, http.StatusUnprocessableEntity, "body.token_ttl"},
				{"a lifetime over a day", http.MethodPut, path, admin, `{"token_ttl":86401}`, http.StatusUnprocessableEntity, "body.token_ttl"},
				{"another tenant", http.MethodGet, "/api/v1/mgmt/tenants/" + w.b.ID + "/recovery-policy", admin, "", http.StatusForbidden, "tenant"},
				{"a read-only admin writing", http.MethodPut, path, reader, `{}`, http.StatusForbidden, "policies:write"},
				{"a help-desk admin reading", http.MethodGet, path, w.token[RoleHelpDesk], "", http.StatusForbidden, "policies:read"},
			} {
				w.refuseWithout(t, c)
			}
			if got := w.loggedTypes(t, "policy.recovery.*", "tenant"); !slices.Equal(got, []string{"policy.recovery.updated", "policy.recovery.updated"}) {
				t.Fatalf("logged %q", got)
			}
			evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Types: []string{"policy.recovery.updated"}})
			if err != nil {
				t.Fatal(err)
			}
			if d := evs[0].Details; d["factor"] != "required" || d["token_ttl"] != float64(600) || d["notify"] != false || d["enabled"] != true {
				t.Fatalf("details %v", d)
			}
		})
	}
}

// equalJSON compares two values by their JSON encodings, as a client
// sees them.
func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}
