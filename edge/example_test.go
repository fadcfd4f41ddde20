package edge_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lintel-id/lintel/edge"
	"github.com/lintel-id/lintel/internal/clock"
)

// upStore stands in for the store; any value with a Ping method will do.
type upStore struct{}

func (upStore) Ping(context.Context) error { return nil }

func ExampleNew() {
	h, err := edge.New(edge.Config{
		Store:    upStore{},
		Logger:   slog.New(slog.DiscardHandler),
		Registry: prometheus.NewRegistry(),
		Clock:    clock.System(),
		Version:  "v1.0.0",
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// 200 {"status":"ready"}
}

func ExampleNew_missingDependency() {
	_, err := edge.New(edge.Config{Store: upStore{}, Clock: clock.System()})
	fmt.Println(err)
	// Output:
	// edge: Config.Logger is required
	// edge: Config.Registry is required
}
