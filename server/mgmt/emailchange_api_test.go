package mgmt

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/mail/mailtest"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestAdminEmailChangeTellsTheOldAddress changes a user's address through
// the API: the new one is left unverified and the old one is told (the
// new address masked); changing anything else, or the address's case,
// mails nobody.
func TestAdminEmailChangeTellsTheOldAddress(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			admin := w.token[RoleTenantAdmin]
			base := "/api/v1/mgmt/tenants/" + w.a.ID
			w.sink = mailtest.Start(t)
			call[MailSettingsView](t, w, http.MethodPut, base+"/mail", admin,
				fmt.Sprintf(`{"host":"127.0.0.1","port":%d,"tls":"none","from":"Acme <no-reply@acme.example>"}`, w.sink.Port), http.StatusOK)
			u := call[UserView](t, w, http.MethodPost, base+"/users", admin, `{"login":"kim","email":"kim@example.com","email_verified":true}`, http.StatusCreated)
			call[UserView](t, w, http.MethodPatch, base+"/users/"+u.ID, admin, `{"name":"Kim"}`, http.StatusOK)
			call[UserView](t, w, http.MethodPatch, base+"/users/"+u.ID, admin, `{"email":"KIM@example.com"}`, http.StatusOK)
			if ms := w.delivered(t); len(ms) != 0 {
				t.Fatalf("%d mail(s) without an address change", len(ms))
			}
			got := call[UserView](t, w, http.MethodPatch, base+"/users/"+u.ID, admin, `{"email":"kim@new.example"}`, http.StatusOK)
			if got.EmailVerified {
				t.Fatal("the new address is verified without proof")
			}
			ms := w.delivered(t)
			if len(ms) != 1 || ms[0].To[0] != "KIM@example.com" && ms[0].To[0] != "kim@example.com" {
				t.Fatalf("mail: %+v", ms)
			}
			if !strings.Contains(ms[0].Text, "k•••@new.example") || strings.Contains(ms[0].Text, "kim@new.example") {
				t.Fatalf("notice:\n%s", ms[0].Text)
			}
		})
	}
}
