package keyring_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/lintel-id/lintel/server/oidc/keyring"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestKeys(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Run("creates each key once when two rings race on an empty database", func(t *testing.T) {
				c := newCluster(t, b)
				nodes := []*keyring.Ring{c.ring, c.node(t)}
				sets := make([]string, 8)
				var wg sync.WaitGroup
				for i := range sets {
					wg.Go(func() { sets[i] = kids(jwks(t, nodes[i%2], acme)) })
				}
				wg.Wait()
				for i, s := range sets {
					if s != sets[0] {
						t.Errorf("node answer %d: %s, want %s", i, s, sets[0])
					}
				}
				if rows := keyRows(t, c.st); len(rows) != 3 {
					t.Errorf("%d key rows, want one RS256, one ES256 and one EdDSA", len(rows))
				}
				if n := strings.Count(c.logs.String(), "created signing key"); n != 3 {
					t.Errorf("%d keys created, want 3", n)
				}
				if got := strings.Split(sets[0], ","); len(got) != 3 || !strings.HasPrefix(got[0], "RS256:") ||
					!strings.HasPrefix(got[1], "ES256:") || !strings.HasPrefix(got[2], "EdDSA:") {
					t.Errorf("published %s, want one key per algorithm", sets[0])
				}
			})
			t.Run("never stores private keys in plaintext", func(t *testing.T) {
				c := newCluster(t, b)
				set := jwks(t, c.ring, acme)
				rows := keyRows(t, c.st)
				if len(rows) != 3 || len(set.Keys) != 3 {
					t.Fatalf("%d rows, %d published keys", len(rows), len(set.Keys))
				}
				for _, r := range rows {
					checkSealed(t, c, r)
				}
			})
			t.Run("keeps its keys across restarts and separates tenants", func(t *testing.T) {
				c := newCluster(t, b)
				first := jwks(t, c.ring, acme)
				if again := jwks(t, c.node(t), acme); kids(first) != kids(again) {
					t.Errorf("keys changed across a restart: %s then %s", kids(first), kids(again))
				}
				other := jwks(t, c.ring, globex)
				if kids(other) == kids(first) || len(other.Keys) != 3 {
					t.Errorf("tenants share keys: %s and %s", kids(first), kids(other))
				}
				for _, k := range append(first.Keys, other.Keys...) {
					if !k.IsPublic() || k.Use != "sig" {
						t.Errorf("published key %s is not a public signing key", k.KeyID)
					}
				}
			})
			t.Run("refuses an algorithm it has no key type for", func(t *testing.T) {
				c := newCluster(t, b)
				if k, err := c.ring.Signer(context.Background(), acme, server, "HS256"); err == nil {
					t.Errorf("Signer(HS256): %v", k.ID())
				}
				if rows := keyRows(t, c.st); len(rows) != 0 {
					t.Errorf("%d keys stored", len(rows))
				}
			})
		})
	}
}

func TestByKID(t *testing.T) {
	ctx := context.Background()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			c := newCluster(t, b)
			k, err := c.ring.Signer(ctx, acme, server, keyring.ES256)
			if err != nil {
				t.Fatal(err)
			}
			cold := c.node(t) // a node that has read no key yet
			for _, r := range []*keyring.Ring{c.ring, cold} {
				found, err := r.ByKID(ctx, acme, server, k.ID())
				if err != nil || found.ID() != k.ID() || found.Alg() != keyring.ES256 {
					t.Fatalf("ByKID of a signing key: %v", err)
				}
			}
			for _, tc := range []struct{ name, tenantID, server, kid string }{
				{"refuses an empty kid", acme, server, ""},
				{"refuses a kid over 64 bytes", acme, server, strings.Repeat("k", 65)},
				{"refuses an unknown kid", acme, server, "kid-unknown"},
				{"refuses another tenant's key", globex, server, k.ID()},
				{"refuses another server's key", acme, "other", k.ID()},
			} {
				t.Run(tc.name, func(t *testing.T) {
					for _, r := range []*keyring.Ring{c.ring, c.node(t)} {
						if _, err := r.ByKID(ctx, tc.tenantID, tc.server, tc.kid); !errors.Is(err, store.ErrNotFound) {
							t.Errorf("ByKID: %v, want ErrNotFound", err)
						}
					}
				})
			}
		})
	}
}

func TestKeySchemaRefusesTwoKeysOfOneGeneration(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			insert := func(kid string) error {
				return st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
					_, err := tx.Exec(ctx, `INSERT INTO oidc_keys (id, tenant_id, server, alg, generation, public_jwk, private_sealed, status, created_at)
						VALUES (?, 'ten_1', 'default', 'ES256', 1, '{}', ?, 'active', ?)`, kid, []byte{1}, t0)
					return err
				})
			}
			if err := insert("kid-a"); err != nil {
				t.Fatal(err)
			}
			if err := insert("kid-b"); !errors.Is(err, store.ErrConflict) {
				t.Errorf("second key of generation 1: %v, want ErrConflict", err)
			}
		})
	}
}
