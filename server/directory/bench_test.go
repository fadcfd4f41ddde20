package directory

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// benchUsers is the size of the tenant BenchmarkCreateAndLookup builds.
const (
	benchUsers = 100_000
	benchBatch = 100
)

// BenchmarkCreateAndLookup creates benchUsers users in one tenant, outside
// the timed loop, and reports their rate; then it times lookups by login.
// It runs only with -bench. Creations run in transactions of benchBatch:
// small, as real ones are, since one huge serializable transaction makes
// PostgreSQL's conflict tracking the bottleneck.
func BenchmarkCreateAndLookup(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			e := newEnv(b, be.Open(b))
			ctx := context.Background()
			began := time.Now()
			for start := 0; start < benchUsers; start += benchBatch {
				err := e.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
					for i := start; i < start+benchBatch; i++ {
						if _, err := e.dir.CreateUser(ctx, tx, tenantA, UserInput{Login: fmt.Sprintf("User%06d@Example.com", i)}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			created := time.Since(began)
			i := 0
			for b.Loop() {
				login := fmt.Sprintf("user%06d@example.COM", (i*7919)%benchUsers)
				i++
				err := e.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
					_, err := e.dir.UserByLogin(ctx, tx, tenantA, login)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			// Creation ran once, outside the timed loop: report its rate.
			b.ReportMetric(float64(benchUsers)/created.Seconds(), "created-users/s")
		})
	}
}
