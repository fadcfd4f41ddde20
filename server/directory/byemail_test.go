package directory

import (
	"context"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

func TestUsersByEmail(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		jane := e.user(t, tenantA, UserInput{Login: "jane", Email: "Jane.Doe@Example.com"})
		e.clk.Advance(time.Second) // so "oldest first" has one answer
		other := e.user(t, tenantA, UserInput{Login: "jane2", Email: "jane.doe@example.com"})
		e.user(t, tenantA, UserInput{Login: "john", Email: "john@example.com"})
		e.user(t, tenantB, UserInput{Login: "jane", Email: "jane.doe@example.com"})
		find := func(tenantID, email string, limit int) []string {
			t.Helper()
			users := get(t, e, func(ctx context.Context, tx store.Tx) ([]User, error) {
				return e.dir.UsersByEmail(ctx, tx, tenantID, email, limit)
			})
			var ids []string
			for _, u := range users {
				ids = append(ids, u.ID)
			}
			return ids
		}
		tests := []struct {
			name, tenant, email string
			limit               int
			want                []string
		}{
			{"matches whatever the case, oldest first", tenantA, "JANE.DOE@example.COM", 0, []string{jane.ID, other.ID}},
			{"matches compatibility forms", tenantA, "ｊａｎｅ.doe@example.com", 0, []string{jane.ID, other.ID}},
			{"trims the address", tenantA, "  jane.doe@example.com ", 0, []string{jane.ID, other.ID}},
			{"stops at the limit", tenantA, "jane.doe@example.com", 1, []string{jane.ID}},
			{"stays in its tenant", tenantB, "john@example.com", 0, nil},
			{"finds no one for an unknown address", tenantA, "nobody@example.com", 0, nil},
			{"finds no one for an empty address", tenantA, "", 0, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got := find(tc.tenant, tc.email, tc.limit)
				if len(got) != len(tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
				for i := range got {
					if got[i] != tc.want[i] {
						t.Fatalf("got %v, want %v", got, tc.want)
					}
				}
			})
		}
		t.Run("reads the whole user", func(t *testing.T) {
			got := get(t, e, func(ctx context.Context, tx store.Tx) ([]User, error) {
				return e.dir.UsersByEmail(ctx, tx, tenantA, "john@example.com", 0)
			})
			if len(got) != 1 || got[0].Login != "john" || got[0].Email != "john@example.com" || got[0].Profile == nil {
				t.Fatalf("got %+v", got)
			}
		})
	})
}
