package directory

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/lintel-id/lintel/server/store"
)

func TestUserTypesListsTheTenantsTypesByName(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.staffType(t)
		for _, tn := range []struct{ tenant, name string }{{tenantA, "contractor"}, {tenantB, "other"}} {
			get(t, e, func(ctx context.Context, tx store.Tx) (UserType, error) {
				return e.dir.CreateUserType(ctx, tx, tn.tenant, UserTypeInput{Name: tn.name, Schema: json.RawMessage(defaultSchema)})
			})
		}
		list := get(t, e, func(ctx context.Context, tx store.Tx) ([]UserType, error) {
			return e.dir.UserTypes(ctx, tx, tenantA)
		})
		if len(list) != 2 || list[0].Name != "contractor" || list[1].Name != "staff" {
			t.Fatalf("got %+v", list)
		}
		if !list[1].Attributes["secret_note"].UserEditable || string(list[1].Schema) == "" {
			t.Fatalf("flags or schema lost: %+v", list[1])
		}
	})
}
