package keyring_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/oidc/keyring"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestConcurrentRotationsCreateOneNextKeyPerSlot(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			c := newCluster(t, b)
			jwks(t, c.ring, acme)
			jwks(t, c.ring, globex)
			c.clk.Set(t0.Add(keyring.RotationPeriod - keyring.RotationLead))
			nodes := []*keyring.Ring{c.ring, c.node(t), c.node(t)}
			reports := make([]keyring.RotationReport, len(nodes))
			errs := make([]error, len(nodes))
			var wg sync.WaitGroup
			for i, r := range nodes {
				wg.Go(func() { reports[i], errs[i] = r.Rotate(context.Background()) })
			}
			wg.Wait()
			created := 0
			for i := range nodes {
				if errs[i] != nil {
					t.Errorf("node %d: %v", i, errs[i])
				}
				created += reports[i].Created
			}
			if created != 6 {
				t.Errorf("%d keys created, want one per slot (6): %+v", created, reports)
			}
			if rows := keyRows(t, c.st); len(rows) != 12 {
				t.Errorf("%d key rows, want 12", len(rows))
			}
			for _, tenantID := range []string{acme, globex} {
				if set := jwks(t, nodes[2], tenantID); len(set.Keys) != 6 {
					t.Errorf("published %s, want 6 keys", kids(set))
				}
			}
		})
	}
}

// states lists a server's keys as alg:status, in List order.
func states(t *testing.T, r *keyring.Ring, tenantID string) string {
	t.Helper()
	infos, err := r.List(context.Background(), tenantID, server)
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, k := range infos {
		s = append(s, k.Alg+":"+k.Status)
	}
	return strings.Join(s, ",")
}

func TestRotateNow(t *testing.T) {
	ctx := context.Background()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Run("publishes EdDSA keys as OKP and seals them", func(t *testing.T) {
				c := newCluster(t, b)
				if _, err := c.ring.RotateNow(ctx, acme, server, false); err != nil {
					t.Fatal(err)
				}
				raw, err := json.Marshal(jwks(t, c.ring, acme))
				if err != nil {
					t.Fatal(err)
				}
				var set struct{ Keys []map[string]any }
				if err := json.Unmarshal(raw, &set); err != nil {
					t.Fatal(err)
				}
				var okp int
				for _, k := range set.Keys {
					if k["alg"] == "EdDSA" {
						okp++
						if k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["use"] != "sig" || k["d"] != nil {
							t.Errorf("EdDSA key published as %v", k)
						}
					}
				}
				if okp != 1 {
					t.Errorf("%d EdDSA keys published, want 1", okp)
				}
				for _, r := range keyRows(t, c.st) {
					checkSealed(t, c, r)
				}
			})
			t.Run("keeps a pending next key unless immediate", func(t *testing.T) {
				c := newCluster(t, b)
				jwks(t, c.ring, acme)
				first, err := c.ring.RotateNow(ctx, acme, server, false)
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range first {
					if k.Status == "next" && !k.ActivatesAt.Equal(t0.Add(keyring.RotationLead)) {
						t.Errorf("next key activates at %v, want a lead from now", k.ActivatesAt)
					}
				}
				again, err := c.ring.RotateNow(ctx, acme, server, false)
				if err != nil || len(again) != len(first) || len(first) != 6 {
					t.Errorf("second rotation: %d keys then %d, %v", len(first), len(again), err)
				}
				if got := states(t, c.ring, acme); got != "ES256:next,ES256:current,EdDSA:next,EdDSA:current,RS256:next,RS256:current" {
					t.Errorf("keys %s", got)
				}
			})
			t.Run("revokes the signing and next keys at once on an immediate rotation", func(t *testing.T) {
				c := newCluster(t, b)
				jwks(t, c.ring, acme)
				old, err := c.ring.Signer(ctx, acme, server, keyring.ES256)
				if err != nil {
					t.Fatal(err)
				}
				node2 := c.node(t)
				if _, err := node2.ByKID(ctx, acme, server, old.ID()); err != nil {
					t.Fatal(err)
				}
				if _, err := c.ring.RotateNow(ctx, acme, server, false); err != nil {
					t.Fatal(err)
				}
				if _, err := c.ring.RotateNow(ctx, acme, server, true); err != nil {
					t.Fatal(err)
				}
				if got := states(t, c.ring, acme); got != "ES256:current,ES256:revoked,ES256:revoked,EdDSA:current,EdDSA:revoked,EdDSA:revoked,RS256:current,RS256:revoked,RS256:revoked" {
					t.Errorf("keys %s", got)
				}
				if set := jwks(t, c.ring, acme); len(set.Keys) != 3 || len(set.Key(old.ID())) != 0 {
					t.Errorf("published %s, want the 3 new keys", kids(set))
				}
				if _, err := c.ring.ByKID(ctx, acme, server, old.ID()); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("ByKID of a revoked key: %v, want ErrNotFound", err)
				}
				k, err := c.ring.Signer(ctx, acme, server, keyring.ES256)
				if err != nil || k.ID() == old.ID() {
					t.Errorf("the new key does not sign at once: %v", err)
				}
				// Another node learns of the revocation when its cache goes
				// stale.
				c.clk.Advance(5 * time.Minute)
				if _, err := node2.ByKID(ctx, acme, server, old.ID()); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("node 2 finds a revoked key after its cache expired: %v", err)
				}
				if k2, err := node2.Signer(ctx, acme, server, keyring.ES256); err != nil || k2.ID() != k.ID() {
					t.Errorf("node 2 signs with another key than node 1: %v", err)
				}
			})
			t.Run("lists no keys of a server without any", func(t *testing.T) {
				c := newCluster(t, b)
				if infos, err := c.ring.List(ctx, acme, server); err != nil || len(infos) != 0 {
					t.Errorf("List: %v, %v", infos, err)
				}
			})
		})
	}
}
