package storetest

import (
	"context"
	"testing"

	"github.com/lintel-id/lintel/server/store"
)

// Commit runs fn in a transaction of st that commits whatever fn returns,
// so that a refused call that wrote something would leave it behind for
// the test to find; it returns fn's error. A failed commit fails the test.
func Commit(t testing.TB, st store.Store, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	var got error
	if err := st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		got = fn(ctx, tx)
		return nil
	}); err != nil {
		t.Fatalf("commit: %v", err)
	}
	return got
}

// Get runs fn in a transaction of st and returns its value, failing the
// test on an error.
func Get[T any](t testing.TB, st store.Store, fn func(ctx context.Context, tx store.Tx) (T, error)) T {
	t.Helper()
	var v T
	if err := st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		v, err = fn(ctx, tx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return v
}
