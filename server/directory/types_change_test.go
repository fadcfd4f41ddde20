package directory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

func TestSchemaChangesAreCheckedAgainstUsers(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ty := e.staffType(t)
		old, _ := e.createUser(t, UserInput{Login: "old", TypeID: ty.ID, Profile: map[string]any{"employee_id": "E12345", "age": 70}})
		young, _ := e.createUser(t, UserInput{Login: "young", TypeID: ty.ID, Profile: map[string]any{"employee_id": "E2", "age": 20}})
		update := func(schema string, attrs map[string]Attribute) error {
			return e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.UpdateUserType(ctx, tx, tenantA, ty.ID, UserTypeInput{Name: "staff", Schema: json.RawMessage(schema), Attributes: attrs})
				return err
			})
		}
		t.Run("refuses a change an existing user breaks, naming the user", func(t *testing.T) {
			err := update(strings.Replace(staffSchema, `"minimum": 0`, `"minimum": 0, "maximum": 65`, 1), staffAttrs)
			wantFields(t, err, "schema")
			if !strings.Contains(err.Error(), old.ID) || strings.Contains(err.Error(), young.ID) {
				t.Fatalf("error %q should name %s only", err, old.ID)
			}
		})
		t.Run("refuses a unique flag two users' values break", func(t *testing.T) {
			e.createUser(t, UserInput{Login: "twin", TypeID: ty.ID, Profile: map[string]any{"employee_id": "E3", "age": 20}})
			attrs := map[string]Attribute{"employee_id": staffAttrs["employee_id"], "age": {Unique: true}}
			wantFields(t, update(staffSchema, attrs), "schema")
		})
		t.Run("accepts a change every user follows", func(t *testing.T) {
			if err := update(strings.Replace(staffSchema, `"minimum": 0`, `"minimum": 0, "maximum": 120`, 1), staffAttrs); err != nil {
				t.Fatal(err)
			}
			if _, err := e.createUser(t, UserInput{Login: "ancient", TypeID: ty.ID, Profile: map[string]any{"employee_id": "E9", "age": 121}}); len(invalid.All(err)) == 0 {
				t.Fatalf("got %v, want the new maximum enforced", err)
			}
		})
		t.Run("refuses to delete a type in use", func(t *testing.T) {
			err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.dir.DeleteUserType(ctx, tx, tenantA, ty.ID) })
			wantFields(t, err, "type_id")
		})
		t.Run("deletes a type no user has", func(t *testing.T) {
			other := get(t, e, func(ctx context.Context, tx store.Tx) (UserType, error) {
				return e.dir.CreateUserType(ctx, tx, tenantA, UserTypeInput{Name: "empty", Schema: json.RawMessage(defaultSchema)})
			})
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.dir.DeleteUserType(ctx, tx, tenantA, other.ID) }); err != nil {
				t.Fatal(err)
			}
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error { return e.dir.DeleteUserType(ctx, tx, tenantA, other.ID) }))
		})
	})
}

func TestUniqueAttributes(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ty := e.staffType(t)
		first, err := e.createUser(t, UserInput{Login: "a", TypeID: ty.ID, Profile: map[string]any{"employee_id": "E1"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("refuses a value another user holds", func(t *testing.T) {
			_, err := e.createUser(t, UserInput{Login: "b", TypeID: ty.ID, Profile: map[string]any{"employee_id": "E1"}})
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("got %v, want ErrConflict", err)
			}
			wantFields(t, err, "profile.employee_id")
		})
		t.Run("lets a user keep its own value on update", func(t *testing.T) {
			name := "Ann"
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.UpdateUser(ctx, tx, tenantA, first.ID, UserUpdate{Name: &name, Profile: map[string]any{"employee_id": "E1", "age": 3}}, admin)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("frees a value its user gave up", func(t *testing.T) {
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.UpdateUser(ctx, tx, tenantA, first.ID, UserUpdate{Profile: map[string]any{"employee_id": "E7"}}, admin)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.createUser(t, UserInput{Login: "c", TypeID: ty.ID, Profile: map[string]any{"employee_id": "E1"}}); err != nil {
				t.Fatal(err)
			}
		})
	})
}

// canary is the value of a sensitive attribute that must never leak.
const canary = "CANARY-7731"

func TestSensitiveAttributesStayOutOfEventsAndLogs(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var logs bytes.Buffer
		log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		ty := e.staffType(t)
		// A caller logs what it gets back, errors included.
		_, err := e.createUser(t, UserInput{Login: "spy", TypeID: ty.ID, Profile: map[string]any{"employee_id": "E1", "secret_note": canary + "!"}})
		if len(invalid.All(err)) == 0 {
			t.Fatalf("got %v, want a refused pattern", err)
		}
		log.Error("create user", "err", err)
		u, err := e.createUser(t, UserInput{Login: "spy", TypeID: ty.ID, Profile: map[string]any{"employee_id": "E1", "secret_note": canary}})
		if err != nil {
			t.Fatal(err)
		}
		log.Info("created", "user", u)
		id := u.ID
		err = e.do(t, func(ctx context.Context, tx store.Tx) (err error) {
			u, err = e.dir.UpdateUser(ctx, tx, tenantA, id, UserUpdate{Profile: map[string]any{"employee_id": "E1", "secret_note": canary + "-B"}}, admin)
			return err
		})
		if err != nil || u.Profile["secret_note"] != canary+"-B" {
			t.Fatalf("update: %v %v", err, u.Profile)
		}
		log.Info("updated", "user", u)

		raw := get(t, e, func(ctx context.Context, tx store.Tx) (string, error) {
			rows, err := tx.Query(ctx, `SELECT type, details, personal FROM events`)
			if err != nil {
				return "", err
			}
			defer rows.Close()
			var all []byte
			for rows.Next() {
				var typ string
				var details, personal []byte
				if err := rows.Scan(&typ, &details, &personal); err != nil {
					return "", err
				}
				all = append(append(append(all, typ...), details...), personal...)
			}
			return string(all), rows.Err()
		})
		evs, _, err := e.ev.Query(context.Background(), events.Query{TenantID: tenantA})
		if err != nil || len(evs) != 2 {
			t.Fatalf("events: %v, %d", err, len(evs))
		}
		opened, _ := json.Marshal(evs)
		if !strings.Contains(string(opened), "secret_note") {
			t.Fatalf("the update event does not name the changed attribute: %s", opened)
		}
		for name, text := range map[string]string{"raw events": raw, "opened events": string(opened), "logs": logs.String()} {
			if strings.Contains(text, canary) {
				t.Errorf("the canary is in the %s: %s", name, text)
			}
		}
	})
}
