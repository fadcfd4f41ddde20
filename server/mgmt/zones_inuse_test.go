package mgmt

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestZoneInUseIsNotDeleted shows that a network zone an access rule
// names (to be in or to stay out of) cannot be deleted until the rule is
// gone.
func TestZoneInUseIsNotDeleted(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			f := w.fixture[w.a.ID]
			tok := w.token[RoleTenantAdmin]
			path := Prefix + "/tenants/" + w.a.ID + "/zones/" + f["zone"]
			var ruleID string
			err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				r, err := w.authz.CreateRule(ctx, tx, w.a.ID, f["policy"], authserver.RuleInput{Name: "Office only", Priority: 5,
					GrantTypes: []string{authserver.GrantClientCredentials}, Scopes: []string{authserver.AnyScope}, ExcludeZones: []string{f["zone"]}})
				ruleID = r.ID
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			status, _, body := w.do(t, http.MethodDelete, path, tok, "")
			if status != http.StatusUnprocessableEntity || !strings.Contains(body, "Office only") {
				t.Fatalf("deleting a zone in use: %d %s", status, body)
			}
			err = w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				return w.authz.DeleteRule(ctx, tx, w.a.ID, f["policy"], ruleID)
			})
			if err != nil {
				t.Fatal(err)
			}
			if status, _, body := w.do(t, http.MethodDelete, path, tok, ""); status != http.StatusNoContent {
				t.Fatalf("deleting a zone no longer used: %d %s", status, body)
			}
		})
	}
}
