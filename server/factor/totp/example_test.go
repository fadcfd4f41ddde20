package totp_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	pqtotp "github.com/pquerna/otp/totp"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/factor/totp"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

func Example() {
	// A store and secrets service, as the server wires them.
	dir, err := os.MkdirTemp("", "totp-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx, clk := context.Background(), clock.NewFake(time.Date(2026, 11, 25, 12, 0, 10, 0, time.UTC))
	st, err := store.Open(ctx, store.Options{Dialect: store.SQLite, Path: filepath.Join(dir, "lintel.db"), Migrate: true})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	kek, err := secrets.GenerateKEK(clk.Now())
	if err != nil {
		panic(err)
	}
	sec, err := secrets.New(ctx, st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		panic(err)
	}
	svc, err := totp.New(totp.Deps{Secrets: sec, Clock: clk})
	if err != nil {
		panic(err)
	}

	// Enrollment: show e.QR (or e.Grouped() to type by hand), store the
	// sealed seed as the credential's secret.
	e, err := svc.Generate("Acme", "alice@example.com")
	if err != nil {
		panic(err)
	}
	stored, err := svc.Seal("cred_1", e.Seed)
	if err != nil {
		panic(err)
	}

	// The app shows a code (here computed as the app would).
	code, err := pqtotp.GenerateCode(e.Secret, clk.Now())
	if err != nil {
		panic(err)
	}
	next, err := svc.Verify(ctx, nil, "cred_1", stored, code[:3]+" "+code[3:])
	fmt.Println("first use:", err)

	// The engine writes next back (compare-and-swap on stored); the same
	// code again is a replay.
	_, err = svc.Verify(ctx, nil, "cred_1", next, code)
	fmt.Println("replay refused:", errors.Is(err, totp.ErrCodeReused))
	// Output:
	// first use: <nil>
	// replay refused: true
}
