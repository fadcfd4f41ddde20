package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// mailRow returns the stored relay of a tenant as text, "" when none, so
// that a test can tell that nothing changed.
func (w *world) mailRow(t *testing.T, tenantID string) string {
	t.Helper()
	var host, user, tls, from string
	var port int
	var sealed []byte
	var updated time.Time
	err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT host, port, username, password_sealed, tls, from_addr, updated_at FROM mail_settings WHERE tenant_id = ?`, tenantID).
			Scan(&host, &port, &user, &sealed, &tls, &from, &updated)
	})
	if err == nil {
		return strings.Join([]string{host, strconv.Itoa(port), user, tls, from, string(sealed), updated.String()}, "|")
	}
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	return ""
}

// TestMailAPI sets, reads, changes and removes a tenant's SMTP relay,
// checks that the password is never shown, that each change is in the
// system log, and that refused requests name the field and change nothing.
func TestMailAPI(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			admin := w.token[RoleTenantAdmin]
			base := "/api/v1/mgmt/tenants/" + w.a.ID + "/mail"
			view := func(status int, body string, wantStatus int) MailSettingsView {
				t.Helper()
				var v MailSettingsView
				if err := json.Unmarshal([]byte(body), &v); status != wantStatus || err != nil {
					t.Fatalf("status %d, want %d: %s", status, wantStatus, body)
				}
				if strings.Contains(body, "hunter2") || strings.Contains(body, `"password"`) {
					t.Fatalf("answer shows the password: %s", body)
				}
				return v
			}

			if status, _, body := w.do(t, http.MethodGet, base, admin, ""); status != http.StatusNotFound {
				t.Fatalf("get before any relay: %d %s", status, body)
			}
			status, _, body := w.do(t, http.MethodPut, base, admin,
				`{"host":"SMTP.acme.example","port":587,"username":"acme","password":"hunter2-pa55","from":"Acme <no-reply@acme.example>"}`)
			set := view(status, body, http.StatusOK)
			if set.TenantID != w.a.ID || set.Host != "smtp.acme.example" || set.Port != 587 || set.Username != "acme" || !set.PasswordSet ||
				set.TLS != "starttls" || set.From != `"Acme" <no-reply@acme.example>` {
				t.Fatalf("put %+v", set)
			}
			status, _, body = w.do(t, http.MethodGet, base, w.token[RoleReadOnly], "")
			if got := view(status, body, http.StatusOK); got != set {
				t.Fatalf("read %+v, set %+v", got, set)
			}

			// A change without a password keeps it.
			w.clock.Advance(time.Second)
			status, _, body = w.do(t, http.MethodPut, base, admin,
				`{"host":"smtp.acme.example","port":465,"tls":"implicit","username":"acme","from":"Acme <no-reply@acme.example>"}`)
			if got := view(status, body, http.StatusOK); !got.PasswordSet || got.Port != 465 || got.TLS != "implicit" {
				t.Fatalf("put without a password: %+v", got)
			}

			stored := w.mailRow(t, w.a.ID)
			for _, c := range []struct {
				name, method, path, token, body string
				status                          int
				where                           string
			}{
				{"no host", http.MethodPut, base, admin, `{"port":587,"from":"a@acme.example"}`, http.StatusUnprocessableEntity, "host"},
				{"a host with a port", http.MethodPut, base, admin, `{"host":"smtp.acme.example:25","port":587,"from":"a@acme.example"}`, http.StatusUnprocessableEntity, "body.host"},
				{"port 0", http.MethodPut, base, admin, `{"host":"smtp.acme.example","port":0,"from":"a@acme.example"}`, http.StatusUnprocessableEntity, "port"},
				{"port 70000, not echoing the password", http.MethodPut, base, admin, `{"host":"smtp.acme.example","port":70000,"username":"acme","password":"hunter2-new","from":"a@acme.example"}`, http.StatusUnprocessableEntity, "port"},
				{"a password too long, not echoing it", http.MethodPut, base, admin, `{"host":"smtp.acme.example","port":587,"username":"acme","password":"hunter2` + strings.Repeat("x", 1100) + `","from":"a@acme.example"}`, http.StatusUnprocessableEntity, "password"},
				{"a body that is not JSON, not echoing it", http.MethodPut, base, admin, `{"host":"smtp.acme.example","password":"hunter2-new",`, http.StatusBadRequest, ""},
				{"an unknown TLS policy", http.MethodPut, base, admin, `{"host":"smtp.acme.example","port":587,"tls":"ssl","from":"a@acme.example"}`, http.StatusUnprocessableEntity, "tls"},
				{"no TLS to a remote relay", http.MethodPut, base, admin, `{"host":"smtp.acme.example","port":25,"tls":"none","from":"a@acme.example"}`, http.StatusUnprocessableEntity, "body.tls"},
				{"a sender that is not an address", http.MethodPut, base, admin, `{"host":"smtp.acme.example","port":587,"from":"Acme"}`, http.StatusUnprocessableEntity, "body.from"},
				{"a password without a user", http.MethodPut, base, admin, `{"host":"smtp.acme.example","port":587,"password":"hunter2-new","from":"a@acme.example"}`, http.StatusUnprocessableEntity, "body.password"},
				{"an unknown field", http.MethodPut, base, admin, `{"host":"smtp.acme.example","port":587,"from":"a@acme.example","hots":"x"}`, http.StatusUnprocessableEntity, "hots"},
				{"a read-only admin writing", http.MethodPut, base, w.token[RoleReadOnly], `{"host":"smtp.acme.example","port":587,"from":"a@acme.example"}`, http.StatusForbidden, "mail:write"},
				{"a help-desk admin reading", http.MethodGet, base, w.token[RoleHelpDesk], "", http.StatusForbidden, "mail:read"},
				{"another tenant's relay", http.MethodDelete, "/api/v1/mgmt/tenants/" + w.b.ID + "/mail", admin, "", http.StatusForbidden, ""},
			} {
				t.Run("refuses "+c.name, func(t *testing.T) {
					status, _, body := w.do(t, c.method, c.path, c.token, c.body)
					if status != c.status {
						t.Fatalf("status %d, want %d: %s", status, c.status, body)
					}
					if strings.Contains(body, "hunter2") {
						t.Fatalf("answer shows the password: %s", body)
					}
					var p problemBody
					if err := json.Unmarshal([]byte(body), &p); err != nil {
						t.Fatalf("not a problem document: %s", body)
					}
					if c.where != "" {
						named := strings.Contains(p.Detail, c.where)
						for _, e := range p.Errors {
							named = named || strings.Contains(e.Location, c.where) || strings.Contains(e.Message, c.where)
						}
						if !named {
							t.Fatalf("problem does not name %q: %s", c.where, body)
						}
					}
					if after := w.mailRow(t, w.a.ID); after != stored {
						t.Fatal("the stored relay changed")
					}
				})
			}
			if strings.Contains(w.logs.String(), "hunter2") {
				t.Fatal("the log shows the password")
			}

			w.clock.Advance(time.Second)
			if status, _, body := w.do(t, http.MethodDelete, base, admin, ""); status != http.StatusNoContent {
				t.Fatalf("delete: %d %s", status, body)
			}
			if status, _, body := w.do(t, http.MethodGet, base, admin, ""); status != http.StatusNotFound {
				t.Fatalf("get after delete: %d %s", status, body)
			}
			if status, _, body := w.do(t, http.MethodDelete, base, admin, ""); status != http.StatusNotFound {
				t.Fatalf("delete again: %d %s", status, body)
			}

			evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Types: []string{"mail.*"}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range evs {
				if ev.Target.Type != "mail_settings" || ev.Target.ID != w.a.ID || ev.Actor.ID != w.tokenRec[RoleTenantAdmin].ID {
					t.Errorf("event %+v", ev)
				}
				got = append(got, ev.Type)
				if ev.Type == "mail.settings.updated" {
					if b, _ := json.Marshal(ev.Details); strings.Contains(string(b), "hunter2") || strings.Contains(string(b), "acme.example") {
						t.Errorf("event details show values: %s", b)
					}
				}
			}
			slices.Sort(got)
			if want := []string{"mail.settings.deleted", "mail.settings.updated", "mail.settings.updated"}; !slices.Equal(got, want) {
				t.Fatalf("events %q, want %q", got, want)
			}
		})
	}
}
