package directory

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

func TestLinkIdentityRecordsTheLink(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u := e.user(t, tenantA, UserInput{Login: "jane@example.com"})
		actor := events.Ref{Type: "idp", ID: "idp_acme"}
		link := func(userID string) error {
			return e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.LinkIdentity(ctx, tx, tenantA, userID, "idp_acme", "sub-1234", actor)
				return err
			})
		}
		if err := link(u.ID); err != nil {
			t.Fatal(err)
		}
		got := get(t, e, func(ctx context.Context, tx store.Tx) (User, error) {
			return e.dir.UserByIdentity(ctx, tx, tenantA, "idp_acme", "sub-1234")
		})
		if got.ID != u.ID {
			t.Fatalf("linked to %s, want %s", got.ID, u.ID)
		}
		evs, _, err := e.ev.Query(context.Background(), events.Query{TenantID: tenantA, Types: []string{"user.identity.linked"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 {
			t.Fatalf("%d events, want 1", len(evs))
		}
		ev := evs[0]
		if ev.Actor != actor || ev.Target != (events.Ref{Type: "user", ID: u.ID}) || ev.Subject != u.ID {
			t.Fatalf("event %+v", ev)
		}
		if len(ev.Details) != 1 || ev.Details["idp_id"] != "idp_acme" {
			t.Fatalf("details %v, want the IdP's ID only", ev.Details)
		}
		if ev.Personal["subject"] != "sub-1234" || ev.Personal["email"] != "jane@example.com" {
			t.Fatalf("personal %v", ev.Personal)
		}
		t.Run("records nothing when the link is refused", func(t *testing.T) {
			err := link(u.ID)
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("got %v, want a conflict", err)
			}
			wantNotFound(t, link("usr_nope"))
			evs, _, err := e.ev.Query(context.Background(), events.Query{TenantID: tenantA, Types: []string{"user.identity.*"}})
			if err != nil || len(evs) != 1 {
				t.Fatalf("%d events (%v), want 1", len(evs), err)
			}
		})
		t.Run("keeps the subject out of the plain details", func(t *testing.T) {
			var raw string
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				return tx.QueryRow(ctx, `SELECT details FROM events WHERE type = ?`, "user.identity.linked").Scan(&raw)
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(raw, "sub-1234") || strings.Contains(raw, "jane") {
				t.Fatalf("plain details %s hold personal data", raw)
			}
		})
	})
}
