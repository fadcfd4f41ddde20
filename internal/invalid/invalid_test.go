package invalid

import (
	"errors"
	"fmt"
	"testing"
)

func TestAllFindsEveryFieldInATree(t *testing.T) {
	err := fmt.Errorf("create app: %w", errors.Join(
		Field("name", "must not be empty"),
		errors.Join(Field("redirect_uris[0]", "must not contain a fragment"), errors.New("unrelated")),
	))
	got := All(err)
	if len(got) != 2 || got[0].Field != "name" || got[1].Field != "redirect_uris[0]" {
		t.Fatalf("got %v", got)
	}
	if !Is(err) || Is(errors.New("x")) || All(nil) != nil {
		t.Fatal("Is/All misreport")
	}
}
