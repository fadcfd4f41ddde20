package mgmt

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// userClaims adapts the directory to the OpenID provider of the world.
type userClaims struct{ dir *directory.Directory }

func (c userClaims) UserClaims(ctx context.Context, tx store.Tx, tenantID, userID string) (oidc.Claims, error) {
	u, err := c.dir.User(ctx, tx, tenantID, userID)
	return oidc.Claims{Subject: u.ID, Email: u.Email}, err
}

// TestConsentsAPI lists a user's consents and revokes one: the list
// shrinks, revoking again is 404, and the revocation is in the system log.
func TestConsentsAPI(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			admin := w.token[RoleTenantAdmin]
			user := w.fixture[w.a.ID]["user"]
			base := "/api/v1/mgmt/tenants/" + w.a.ID + "/users/" + user + "/consents"
			var apps []tenant.App
			err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				for _, name := range []string{"Partner", "Other partner"} {
					app, _, err := w.tenants.CreateApp(ctx, tx, w.a.ID, tenant.AppInput{Name: name, Type: tenant.AppSPA,
						RedirectURIs: []string{"https://partner.example.net/cb"}, ConsentRequired: true})
					if err != nil {
						return err
					}
					apps = append(apps, app)
					if err := w.oidc.RecordConsent(ctx, tx, w.a.ID, app.ID, user, "openid email"); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			list := func() []ConsentView {
				t.Helper()
				status, _, body := w.do(t, http.MethodGet, base, w.token[RoleReadOnly], "")
				var out List[ConsentView]
				if err := json.Unmarshal([]byte(body), &out); status != http.StatusOK || err != nil {
					t.Fatalf("list: %d %s", status, body)
				}
				return out.Items
			}
			got := list()
			if len(got) != 2 {
				t.Fatalf("consents %+v", got)
			}
			for _, c := range got {
				if !slices.Equal(c.Scopes, []string{"openid", "email"}) || c.Version != oidc.ConsentVersion || !c.GrantedAt.Equal(w.clock.Now()) || c.UpdatedAt.IsZero() {
					t.Errorf("consent %+v", c)
				}
			}

			if status, _, body := w.do(t, http.MethodDelete, base+"/"+apps[0].ID, admin, ""); status != http.StatusNoContent {
				t.Fatalf("revoke: %d %s", status, body)
			}
			if got := list(); len(got) != 1 || got[0].ClientID != apps[1].ID {
				t.Fatalf("after revoking %s: %+v", apps[0].ID, got)
			}
			if status, _, body := w.do(t, http.MethodDelete, base+"/"+apps[0].ID, admin, ""); status != http.StatusNotFound {
				t.Fatalf("revoking again: %d %s", status, body)
			}
			evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Types: []string{"user.consent.revoked"}})
			if err != nil || len(evs) != 1 || evs[0].Target.ID != user || evs[0].Details["client"] != apps[0].ID || evs[0].Actor.Type != "mgmt_token" {
				t.Fatalf("events %+v, %v", evs, err)
			}

			if status, _, body := w.do(t, http.MethodDelete, base+"/"+apps[1].ID, admin, ""); status != http.StatusNoContent {
				t.Fatalf("revoke the second: %d %s", status, body)
			}
			if got := list(); len(got) != 0 {
				t.Fatalf("after revoking both: %+v", got)
			}
			unknown := "/api/v1/mgmt/tenants/" + w.a.ID + "/users/usr_00000000000000000000000000/consents"
			if status, _, body := w.do(t, http.MethodGet, unknown, admin, ""); status != http.StatusNotFound {
				t.Fatalf("an unknown user's consents: %d %s", status, body)
			}
		})
	}
}

// TestConsentRoutesNeedTheProvider builds the API without Consents: the
// consent routes are not registered.
func TestConsentRoutesNeedTheProvider(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	d := w.api.Deps
	d.Consents = nil
	api, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range api.Routes() {
		if r.ID == "list-user-consents" || r.ID == "revoke-user-consent" {
			t.Errorf("route %s registered without a Consents dependency", r.ID)
		}
	}
}
