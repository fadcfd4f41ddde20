package directory_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

func ExampleNormalizeLogin() {
	fmt.Println(directory.NormalizeLogin("  Alice@Example.COM "))
	fmt.Println(directory.NormalizeLogin("BobTheBuilder"))
	// Output:
	// alice@example.com
	// bobthebuilder
}

func ExampleDirectory_CreateUser() {
	dir, err := os.MkdirTemp("", "directory-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Dialect: store.SQLite, Path: filepath.Join(dir, "lintel.db"), Migrate: true})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	kek, err := secrets.GenerateKEK(clk.Now())
	if err != nil {
		panic(err)
	}
	sec, err := secrets.New(ctx, st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		panic(err)
	}
	users := directory.New(clk, events.New(st, sec, clk), sec)

	err = st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		u, err := users.CreateUser(ctx, tx, "ten_acme", directory.UserInput{Login: "Alice@Example.com", Name: "Alice"})
		if err != nil {
			return err
		}
		fmt.Println(u.Login, u.Email, u.Status)

		// The same login in another case is the same login.
		_, err = users.CreateUser(ctx, tx, "ten_acme", directory.UserInput{Login: "ALICE@example.com"})
		fmt.Println(errors.Is(err, store.ErrConflict), invalid.All(err)[0].Field)

		found, err := users.UserByLogin(ctx, tx, "ten_acme", " alice@EXAMPLE.com")
		fmt.Println(found.ID == u.ID, err)
		return nil
	})
	if err != nil {
		panic(err)
	}
	// Output:
	// alice@example.com alice@example.com ACTIVE
	// true login
	// true <nil>
}

// A form field is described by the user type and read back into a typed
// value for the profile.
func ExampleParseAttribute() {
	t := directory.UserType{
		Schema:     json.RawMessage(`{"type":"object","additionalProperties":false,"properties":{"shoe_size":{"type":"integer"}}}`),
		Attributes: map[string]directory.Attribute{"shoe_size": {UserEditable: true}},
	}
	f, _ := t.Field("shoe_size")
	v, err := directory.ParseAttribute(f, " 42 ")
	fmt.Printf("%s %T %v %v\n", f.Kind, v, v, err)
	_, err = directory.ParseAttribute(f, "forty-two")
	fmt.Println(err)
	// Output:
	// integer int64 42 <nil>
	// shoe_size: must be a whole number
}
