package events

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

func TestPersonal(t *testing.T) {
	runOnBackends(t, []behaviour{
		{"personal details round-trip and are not stored in plaintext", testPersonalRoundTrip},
		{"erasing a subject makes their details unreadable and keeps the events", testPersonalErase},
		{"events after an erasure do not store the subject's details", testPersonalAfterErase},
		{"swapped personal details do not open", testPersonalSwap},
		{"refuses to erase without a subject", testPersonalEraseRefuses},
	})
}

// about returns a sign-in event about subject with personal details p.
func about(subject string, p map[string]string) Event {
	ev := change("user.signed_in")
	ev.Actor = Ref{Type: "user", ID: subject}
	ev.Target = Ref{Type: "user", ID: subject}
	ev.Subject, ev.Personal = subject, p
	return ev
}

var (
	ada   = map[string]string{"email": "ada@example.com", "ip": "192.0.2.10", "name": "Ada Lovelace"}
	grace = map[string]string{"email": "grace@example.com", "ip": "198.51.100.7"}
)

// raw reads the stored bytes of an event's columns, as text.
func (e *env) raw(t *testing.T, id string) (row string, personal []byte) {
	t.Helper()
	var typ, actor, target, details, subject string
	var d []byte
	err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT type, actor_id, target_id, details, subject_id, personal FROM events WHERE id = ?`, id).
			Scan(&typ, &actor, &target, &d, &subject, &personal)
	})
	if err != nil {
		t.Fatal(err)
	}
	details = string(d)
	return strings.Join([]string{typ, actor, target, details, subject, string(personal)}, "|"), personal
}

func testPersonalRoundTrip(t *testing.T, e *env) {
	ev := about("usr_ada", ada)
	ev.Details = map[string]any{"method": "password"}
	stored := e.append(t, ev)[0]
	got := e.all(t, Query{TenantID: "ten_a"})
	if len(got) != 1 || !maps.Equal(got[0].Personal, ada) || got[0].Erased {
		t.Fatalf("read back %+v, want personal %v", got, ada)
	}
	row, personal := e.raw(t, stored.ID)
	if len(personal) == 0 {
		t.Fatal("no sealed personal details stored")
	}
	for _, v := range ada {
		if strings.Contains(row, v) {
			t.Errorf("stored row holds %q in plaintext", v)
		}
	}
	for k := range ada {
		if bytes.Contains(personal, []byte(k)) {
			t.Errorf("sealed details reveal the key %q", k)
		}
	}
}

func testPersonalErase(t *testing.T, e *env) {
	evs := e.append(t, about("usr_ada", ada), about("usr_grace", grace), about("usr_ada", ada))
	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return e.log.EraseSubject(ctx, tx, "usr_ada")
	})
	if err != nil {
		t.Fatal(err)
	}
	got := e.all(t, Query{TenantID: "ten_a"})
	if len(got) != len(evs) {
		t.Fatalf("%d events after erasure, want %d: events must stay", len(got), len(evs))
	}
	for _, i := range []int{0, 2} {
		if !got[i].Erased || got[i].Personal != nil {
			t.Errorf("erased subject's event %d reads %+v, want Erased and no personal details", i, got[i])
		}
		if got[i].Subject != "usr_ada" || got[i].Actor.ID != "usr_ada" {
			t.Errorf("erased subject's event %d lost its opaque IDs: %+v", i, got[i])
		}
	}
	if got[1].Erased || !maps.Equal(got[1].Personal, grace) {
		t.Errorf("another subject's event reads %+v, want %v", got[1], grace)
	}
	// Erasing again, or a subject never seen, succeeds.
	err = e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return errors.Join(e.log.EraseSubject(ctx, tx, "usr_ada"), e.log.EraseSubject(ctx, tx, "usr_nobody"))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testPersonalAfterErase(t *testing.T, e *env) {
	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return e.log.EraseSubject(ctx, tx, "usr_ada")
	})
	if err != nil {
		t.Fatal(err)
	}
	stored := e.append(t, about("usr_ada", ada))[0]
	if !stored.Erased || stored.Personal != nil {
		t.Fatalf("Append returned %+v, want Erased without personal details", stored)
	}
	if _, personal := e.raw(t, stored.ID); personal != nil {
		t.Fatalf("stored %d bytes of personal details for an erased subject", len(personal))
	}
	got := e.all(t, Query{TenantID: "ten_a"})
	if len(got) != 1 || !got[0].Erased || got[0].Personal != nil {
		t.Fatalf("read back %+v", got)
	}
}

func testPersonalSwap(t *testing.T, e *env) {
	tests := []struct {
		name string
		a, b Event
	}{
		{"between two events of one subject", about("usr_ada", ada), about("usr_ada", map[string]string{"ip": "203.0.113.9"})},
		{"between events of two subjects", about("usr_ada", ada), about("usr_grace", grace)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs := e.append(t, tc.a, tc.b)
			_, pa := e.raw(t, evs[0].ID)
			_, pb := e.raw(t, evs[1].ID)
			err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				if _, err := tx.Exec(ctx, `UPDATE events SET personal = ? WHERE id = ?`, pb, evs[0].ID); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `UPDATE events SET personal = ? WHERE id = ?`, pa, evs[1].ID)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs {
				got, _, err := e.log.Query(context.Background(), Query{TenantID: "ten_a", After: prev(t, e, ev.ID), Limit: 1})
				if !errors.Is(err, ErrUnreadable) {
					t.Errorf("event %s with swapped details: %+v, %v; want ErrUnreadable", ev.ID, got, err)
				}
			}
			// Clear the log so that the next case starts clean.
			_ = e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				_, err := tx.Exec(ctx, `DELETE FROM events`)
				return err
			})
		})
	}
}

// prev returns the ID of the event before id, as a cursor ("" for none).
func prev(t *testing.T, e *env, id string) string {
	t.Helper()
	var p string
	err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT id FROM events WHERE id < ? ORDER BY id DESC LIMIT 1`, id).Scan(&p)
	})
	if errors.Is(err, store.ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func testPersonalEraseRefuses(t *testing.T, e *env) {
	for _, subject := range []string{"", "ada@example.com"} {
		err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			return e.log.EraseSubject(ctx, tx, subject)
		})
		if errs := invalid.All(err); len(errs) != 1 || errs[0].Field != "subject" {
			t.Errorf("EraseSubject(%q) = %v, want an invalid subject", subject, err)
		}
	}
}
