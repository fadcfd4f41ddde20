package directory

import (
	"context"
	"errors"
	"testing"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

func TestChangeEmail(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		change := func(userID, email string) (User, error) {
			var u User
			err := e.do(t, func(ctx context.Context, tx store.Tx) (err error) {
				u, err = e.dir.ChangeEmail(ctx, tx, tenantA, userID, email, events.Ref{Type: "user", ID: userID})
				return err
			})
			return u, err
		}
		t.Run("the login follows an address that was the login", func(t *testing.T) {
			u := e.user(t, tenantA, UserInput{Login: "ann@example.com"})
			got, err := change(u.ID, "Ann@New.Example")
			if err != nil || got.Email != "Ann@new.example" || got.Login != "ann@new.example" || !got.EmailVerified {
				t.Fatalf("got %+v, %v", got, err)
			}
			read := get(t, e, func(ctx context.Context, tx store.Tx) (User, error) {
				return e.dir.UserByLogin(ctx, tx, tenantA, "ann@new.example")
			})
			if read.ID != u.ID {
				t.Fatalf("by the new login: %s", read.ID)
			}
		})
		t.Run("a login that is not the address stays", func(t *testing.T) {
			u := e.user(t, tenantA, UserInput{Login: "bert", Email: "bert@example.com"})
			got, err := change(u.ID, "bert@new.example")
			if err != nil || got.Login != "bert" || got.Email != "bert@new.example" {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
		t.Run("refuses an address another user signs in with, changing nothing", func(t *testing.T) {
			e.user(t, tenantA, UserInput{Login: "taken@example.com"})
			u := e.user(t, tenantA, UserInput{Login: "cleo@example.com"})
			if _, err := change(u.ID, "taken@example.com"); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("got %v, want ErrConflict", err)
			}
			read := get(t, e, func(ctx context.Context, tx store.Tx) (User, error) { return e.dir.User(ctx, tx, tenantA, u.ID) })
			if read.Email != "cleo@example.com" || read.Login != "cleo@example.com" {
				t.Fatalf("changed anyway: %+v", read)
			}
		})
		t.Run("refuses a malformed address", func(t *testing.T) {
			u := e.user(t, tenantA, UserInput{Login: "dora@example.com"})
			if _, err := change(u.ID, "not an address"); err == nil || errors.Is(err, store.ErrConflict) {
				t.Fatalf("got %v, want a refusal", err)
			}
		})
	})
}
