package certstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// benchKeys are a certificate, stored as it is, and a private key, sealed.
var benchKeys = []string{
	"certificates/ca/login.example.com/login.example.com.crt",
	"certificates/ca/login.example.com/login.example.com.key",
}

// BenchmarkStore measures storing a 2 KiB value on SQLite.
func BenchmarkStore(b *testing.B) {
	for _, key := range benchKeys {
		b.Run(key[strings.LastIndexByte(key, '.')+1:], func(b *testing.B) {
			s, _ := newBacking(b, storetest.SQLite()).node(b, clock.System(), fast)
			value := make([]byte, 2048)
			ctx := context.Background()
			for b.Loop() {
				if err := s.Store(ctx, key, value); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoad measures loading a 2 KiB value on SQLite.
func BenchmarkLoad(b *testing.B) {
	for _, key := range benchKeys {
		b.Run(key[strings.LastIndexByte(key, '.')+1:], func(b *testing.B) {
			s, _ := newBacking(b, storetest.SQLite()).node(b, clock.System(), fast)
			ctx := context.Background()
			if err := s.Store(ctx, key, make([]byte, 2048)); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := s.Load(ctx, key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
