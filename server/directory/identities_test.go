package directory

import (
	"context"
	"errors"
	"testing"

	"github.com/lintel-id/lintel/server/store"
)

func TestLinkedIdentities(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		alice := e.user(t, tenantA, UserInput{Login: "alice"})
		bob := e.user(t, tenantA, UserInput{Login: "bob"})
		link := func(tenantID, userID, idp, sub string) error {
			return e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.Link(ctx, tx, tenantID, userID, idp, sub)
				return err
			})
		}
		lookup := func(tenantID, idp, sub string) (User, error) {
			var u User
			err := e.do(t, func(ctx context.Context, tx store.Tx) (err error) {
				u, err = e.dir.UserByIdentity(ctx, tx, tenantID, idp, sub)
				return err
			})
			return u, err
		}
		if err := link(tenantA, alice.ID, "idp_google", "1234"); err != nil {
			t.Fatal(err)
		}
		t.Run("finds the user by identity", func(t *testing.T) {
			if u, err := lookup(tenantA, "idp_google", "1234"); err != nil || u.ID != alice.ID {
				t.Fatalf("got %v %s", err, u.ID)
			}
		})
		t.Run("does not find it in another tenant", func(t *testing.T) {
			_, err := lookup(tenantB, "idp_google", "1234")
			wantNotFound(t, err)
		})
		t.Run("refuses linking an account twice", func(t *testing.T) {
			err := link(tenantA, bob.ID, "idp_google", "1234")
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("got %v, want ErrConflict", err)
			}
			wantFields(t, err, "subject")
		})
		t.Run("links the same subject at another provider", func(t *testing.T) {
			if err := link(tenantA, bob.ID, "idp_github", "1234"); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("refuses linking to an unknown user", func(t *testing.T) {
			wantNotFound(t, link(tenantA, "usr_nope", "idp_x", "1"))
		})
		t.Run("refuses an empty subject", func(t *testing.T) {
			wantFields(t, link(tenantA, alice.ID, "idp_x", ""), "subject")
		})
		t.Run("refuses unlinking another user's identity", func(t *testing.T) {
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				return e.dir.Unlink(ctx, tx, tenantA, bob.ID, "idp_google", "1234")
			}))
		})
		t.Run("unlinks", func(t *testing.T) {
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				return e.dir.Unlink(ctx, tx, tenantA, alice.ID, "idp_google", "1234")
			}); err != nil {
				t.Fatal(err)
			}
			_, err := lookup(tenantA, "idp_google", "1234")
			wantNotFound(t, err)
		})
	})
}
