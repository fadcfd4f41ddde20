package directory

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

func TestExportAndErase(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ty := e.staffType(t)
		u, err := e.createUser(t, UserInput{Login: "alice@example.com", Name: "Alice", TypeID: ty.ID,
			Profile: map[string]any{"employee_id": "E1", "secret_note": "X"}})
		if err != nil {
			t.Fatal(err)
		}
		other := e.user(t, tenantA, UserInput{Login: "bob@example.com"})
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
			if err := e.dir.SetCredential(ctx, tx, tenantA, u.ID, CredentialPassword, phc); err != nil {
				return err
			}
			if _, err := e.dir.Link(ctx, tx, tenantA, u.ID, "idp_google", "g-1"); err != nil {
				return err
			}
			for _, id := range []string{u.ID, other.ID} {
				if _, err := tx.Exec(ctx, `INSERT INTO sessions (id, tenant_id, user_id, secret_mac, amr, acr, auth_time, created_at,
					last_seen_at, idle_expires_at, absolute_expires_at) VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?)`,
					"ses_"+id, tenantA, id, []byte(id), []byte(`[]`), t0, t0, t0, t0, t0); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		t.Run("exports the profile, credential metadata and identities, never secrets", func(t *testing.T) {
			got := get(t, e, func(ctx context.Context, tx store.Tx) (map[string]any, error) {
				return e.dir.Export(ctx, tx, tenantA, u.ID)
			})
			b, _ := json.Marshal(got)
			for _, want := range []string{`"login":"alice@example.com"`, `"employee_id":"E1"`, `"type":"password"`, `"subject":"g-1"`} {
				if !strings.Contains(string(b), want) {
					t.Errorf("export lacks %s: %s", want, b)
				}
			}
			if strings.Contains(string(b), phc) {
				t.Fatalf("export holds the password hash: %s", b)
			}
		})
		t.Run("erases everything held and the personal details of events", func(t *testing.T) {
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.dir.Erase(ctx, tx, tenantA, u.ID) }); err != nil {
				t.Fatal(err)
			}
			for _, table := range []string{"users", "sessions"} {
				if n := e.count(t, table); n != 1 {
					t.Errorf("%d rows in %s, want only the other user's", n, table)
				}
			}
			for _, table := range []string{"credentials", "linked_identities", "user_unique_attrs"} {
				if n := e.count(t, table); n != 0 {
					t.Errorf("%d rows in %s, want 0", n, table)
				}
			}
			evs, _, err := e.ev.Query(context.Background(), events.Query{TenantID: tenantA})
			if err != nil {
				t.Fatal(err)
			}
			erased := 0
			for _, ev := range evs {
				switch ev.Subject {
				case u.ID:
					erased++
					if !ev.Erased || ev.Personal != nil {
						t.Errorf("event %s about the erased user: Erased %v, Personal %v", ev.Type, ev.Erased, ev.Personal)
					}
				case other.ID:
					if ev.Erased || ev.Personal["login"] != "bob@example.com" {
						t.Errorf("event %s about another user was erased", ev.Type)
					}
				}
			}
			if erased == 0 {
				t.Fatal("no event about the erased user to check")
			}
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error { return e.dir.Erase(ctx, tx, tenantA, u.ID) }))
		})
	})
}
