package certstore_test

import (
	"testing"

	"github.com/caddyserver/certmagic"

	"github.com/lintel-id/lintel/edge/certstore/certstoretest"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestConformance runs the certmagic.Storage suite on both dialects, with
// two nodes' handles onto one database for the shared half.
//
// Each dialect's suite uses one database, emptied of certstore's rows
// before every subtest, which is all a fresh Storage sees: a fresh
// PostgreSQL database per subtest would cost half a second each.
func TestConformance(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			bk := newBacking(t, b)
			t.Run("one handle", func(t *testing.T) {
				certstoretest.Run(t, func(t *testing.T) certmagic.Storage {
					emptied(t, bk)
					s, _ := bk.node(t, clock.System(), fast)
					return s
				}, certstoretest.Quirks{})
			})
			t.Run("two handles", func(t *testing.T) {
				certstoretest.RunShared(t, func(t *testing.T) (certmagic.Storage, certmagic.Storage) {
					emptied(t, bk)
					a, _ := bk.node(t, clock.System(), fast)
					c, _ := bk.node(t, clock.System(), fast)
					return a, c
				}, certstoretest.Quirks{})
			})
		})
	}
}
