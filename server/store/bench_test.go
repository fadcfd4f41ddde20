package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// BenchmarkInsert measures one committed single-row write transaction.
func BenchmarkInsert(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			s := be.Open(b)
			storetest.CreateScratch(b, s)
			ctx := context.Background()
			now := time.Now()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				err := s.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
					id := fmt.Sprint("i", i)
					_, err := tx.Exec(ctx, `INSERT INTO storetest_items (id, name, at, data) VALUES (?, ?, ?, ?)`, id, id, now, []byte(id))
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLookup measures a read-only transaction fetching one row by
// primary key from 10,000.
func BenchmarkLookup(b *testing.B) {
	const rows = 10_000
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			s := be.Open(b)
			storetest.CreateScratch(b, s)
			ctx := context.Background()
			err := s.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
				for i := range rows {
					id := fmt.Sprint("i", i)
					if _, err := tx.Exec(ctx, `INSERT INTO storetest_items (id, name) VALUES (?, ?)`, id, id); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				var name string
				err := s.View(ctx, func(ctx context.Context, tx store.Tx) error {
					return tx.QueryRow(ctx, `SELECT name FROM storetest_items WHERE id = ?`, fmt.Sprint("i", i%rows)).Scan(&name)
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
