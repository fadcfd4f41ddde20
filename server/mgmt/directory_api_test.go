package mgmt

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestDirectoryBadInputChangesNothing sends the directory's kinds of bad
// input and expects a problem naming the field and rule, nothing written.
func TestDirectoryBadInputChangesNothing(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			admin := w.token[RoleTenantAdmin]
			base := "/api/v1/mgmt/tenants/" + w.a.ID
			f := w.fixture[w.a.ID]
			// A type with a bounded custom attribute, and a user of it.
			status, _, body := w.do(t, http.MethodPost, base+"/user-types", admin, `{"name":"members","schema":{"type":"object","properties":{"tier":{"type":"string","maxLength":5}},"additionalProperties":false},"attributes":{"tier":{"required":true}}}`)
			var typ UserTypeView
			if err := json.Unmarshal([]byte(body), &typ); status != http.StatusCreated || err != nil {
				t.Fatalf("create type: %d %s", status, body)
			}
			if status, _, body := w.do(t, http.MethodPost, base+"/users", admin, `{"login":"member@example.com","type_id":"`+typ.ID+`","profile":{"tier":"gold"}}`); status != http.StatusCreated {
				t.Fatalf("create member: %d %s", status, body)
			}
			cases := []struct {
				name, method, path, body string
				where                    string
			}{
				{"a login differing only in case", http.MethodPost, base + "/users", `{"login":"FIXTURE@Example.COM"}`, "body.login"},
				{"a login differing only in Unicode form", http.MethodPost, base + "/users", `{"login":"ｆｉｘｔｕｒｅ@example.com"}`, "body.login"},
				{"a profile value breaking the schema", http.MethodPost, base + "/users", `{"login":"new@example.com","type_id":"` + typ.ID + `","profile":{"tier":"platinum"}}`, "profile.tier"},
				{"a missing required attribute", http.MethodPost, base + "/users", `{"login":"new@example.com","type_id":"` + typ.ID + `","profile":{}}`, "profile.tier"},
				{"an illegal transition", http.MethodPost, base + "/users/" + f["user"] + "/lifecycle", `{"status":"STAGED"}`, "status"},
				{"unlocking a user who is not locked out", http.MethodPost, base + "/users/" + f["user"] + "/unlock", "", "status"},
				{"deleting a user type in use", http.MethodDelete, base + "/user-types/" + typ.ID, "", ""},
				{"a schema change existing users break", http.MethodPut, base + "/user-types/" + typ.ID, `{"name":"members","schema":{"type":"object","properties":{"tier":{"type":"integer"}},"additionalProperties":false}}`, "schema"},
				{"a group rule on a user-editable attribute without override", http.MethodPost, base + "/group-rules", `{"name":"r","expression":"user.name == \"x\"","group_id":"` + f["group"] + `"}`, "expression"},
				{"a group rule that is not boolean", http.MethodPost, base + "/group-rules", `{"name":"r","expression":"user.login","group_id":"` + f["group"] + `"}`, "expression"},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					before := w.rowCounts(t)
					status, h, body := w.do(t, c.method, c.path, admin, c.body)
					if status < 400 || status >= 500 || h.Get("Content-Type") != "application/problem+json" {
						t.Fatalf("status %d (%s): %s", status, h.Get("Content-Type"), body)
					}
					if c.where != "" && !strings.Contains(body, c.where) {
						t.Fatalf("problem does not name %q: %s", c.where, body)
					}
					if after := w.rowCounts(t); !equalCounts(before, after) {
						t.Fatalf("rows changed from %v to %v", before, after)
					}
				})
			}
		})
	}
}

// TestHelpDeskActivatesAndUnlocks checks what help-desk may do for a
// person: issue an activation token for a staged user (shown once, never
// logged) and unlock a locked-out one — and not suspend anyone.
func TestHelpDeskActivatesAndUnlocks(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	admin, desk := w.token[RoleTenantAdmin], w.token[RoleHelpDesk]
	base := "/api/v1/mgmt/tenants/" + w.a.ID + "/users"
	status, _, body := w.do(t, http.MethodPost, base, admin, `{"login":"new@example.com","status":"STAGED"}`)
	var u UserView
	if err := json.Unmarshal([]byte(body), &u); status != http.StatusCreated || err != nil {
		t.Fatalf("create staged user: %d %s", status, body)
	}
	status, _, body = w.do(t, http.MethodPost, base+"/"+u.ID+"/activation", desk, `{}`)
	var act ActivationView
	if err := json.Unmarshal([]byte(body), &act); status != http.StatusCreated || err != nil || !strings.HasPrefix(act.Token, "lact_") {
		t.Fatalf("activation: %d %s", status, body)
	}
	if strings.Contains(w.logs.String(), act.Token) {
		t.Fatal("the activation token reached the log")
	}
	f := w.fixture[w.a.ID]
	if status, _, body := w.do(t, http.MethodPost, base+"/"+f["user"]+"/lifecycle", admin, `{"status":"LOCKED_OUT"}`); status != http.StatusOK {
		t.Fatalf("lock out: %d %s", status, body)
	}
	if status, _, body := w.do(t, http.MethodPost, base+"/"+f["user"]+"/lifecycle", desk, `{"status":"SUSPENDED"}`); status != http.StatusForbidden {
		t.Fatalf("help-desk suspending: %d %s", status, body)
	}
	status, _, body = w.do(t, http.MethodPost, base+"/"+f["user"]+"/unlock", desk, "")
	if status != http.StatusOK || !strings.Contains(body, `"status":"ACTIVE"`) {
		t.Fatalf("unlock: %d %s", status, body)
	}
}
