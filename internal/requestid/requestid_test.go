package requestid

import (
	"context"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	if From(context.Background()) != "" {
		t.Fatal("empty context has an ID")
	}
	a, b := New(), New()
	if a == b || len(a) != 26 {
		t.Fatalf("IDs %q %q", a, b)
	}
	if got := From(With(context.Background(), a)); got != a {
		t.Fatalf("got %q", got)
	}
}
