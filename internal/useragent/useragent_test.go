package useragent

import (
	"context"
	"testing"
)

func TestContextRoundTrip(t *testing.T) {
	if From(context.Background()) != "" {
		t.Fatal("an empty context has a User-Agent")
	}
	const ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"
	if got := From(With(context.Background(), ua)); got != ua {
		t.Fatalf("got %q", got)
	}
}
