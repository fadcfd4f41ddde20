package keyring

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// testRing is a Ring with the default policy, for tokens that live an
// hour.
func testRing(t *testing.T, st store.Store, clk clock.Clock) *Ring {
	t.Helper()
	kek, err := secrets.GenerateKEK(rt0)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secrets.New(context.Background(), st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Deps{Store: st, Secrets: sec, Clock: clk, TokenLifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSigner(t *testing.T) {
	const tenantID, server = "ten_1", "default"
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Run("signs with EdDSA keys that verify with the published OKP key", func(t *testing.T) {
				clk := clock.NewFake(rt0)
				r := testRing(t, b.Open(t), clk)
				k, err := r.Signer(context.Background(), tenantID, server, EdDSA)
				if err != nil {
					t.Fatal(err)
				}
				claims := jwt.RegisteredClaims{Subject: "usr_1", ExpiresAt: jwt.NewNumericDate(rt0.Add(time.Hour))}
				unsigned := jwt.NewWithClaims(jwt.GetSigningMethod(k.slot.alg), claims)
				unsigned.Header["kid"] = k.kid
				tok, err := unsigned.SignedString(k.private)
				if err != nil {
					t.Fatal(err)
				}
				pub, err := r.Published(context.Background(), tenantID, server)
				if err != nil || len(pub) != 1 {
					t.Fatalf("published %d keys, %v", len(pub), err)
				}
				raw, _ := pub[0].MarshalJSON()
				if !strings.Contains(string(raw), `"kty":"OKP"`) || !strings.Contains(string(raw), `"crv":"Ed25519"`) {
					t.Errorf("published %s", raw)
				}
				checkVerifies(t, pub, tok, clk.Now())
				found, err := r.ByKID(context.Background(), tenantID, server, k.kid)
				if err != nil || found.slot.alg != EdDSA {
					t.Errorf("ByKID: %v", err)
				}
			})
			t.Run("switches to the next key from its cache, without reading the database", func(t *testing.T) {
				clk := clock.NewFake(rt0)
				r := testRing(t, b.Open(t), clk)
				ctx := context.Background()
				old, err := r.Signer(ctx, tenantID, server, ES256)
				if err != nil {
					t.Fatal(err)
				}
				clk.Set(rt0.Add(RotationPeriod - RotationLead))
				if rep, err := r.Rotate(ctx); err != nil || rep.Created != 1 {
					t.Fatalf("Rotate: %+v, %v", rep, err)
				}
				clk.Set(rt0.Add(RotationPeriod - time.Minute))
				if k, err := r.Signer(ctx, tenantID, server, ES256); err != nil || k != old {
					t.Fatalf("before the activation: %v, %v", k, err)
				}
				clk.Set(rt0.Add(RotationPeriod))
				dead, cancel := context.WithCancel(ctx) // any database read fails
				cancel()
				next, err := r.Signer(dead, tenantID, server, ES256)
				if err != nil || next == old {
					t.Fatalf("at the activation: %v, %v", next, err)
				}
				if k, err := r.ByKID(dead, tenantID, server, old.kid); err != nil || k != old {
					t.Errorf("the old key does not verify from the cache: %v", err)
				}
			})
		})
	}
}

// checkVerifies verifies a token against published keys.
func checkVerifies(t *testing.T, keys []jose.JSONWebKey, token string, now time.Time) {
	t.Helper()
	_, err := jwt.NewParser(jwt.WithTimeFunc(func() time.Time { return now })).Parse(token, func(tok *jwt.Token) (any, error) {
		set := jose.JSONWebKeySet{Keys: keys}
		kid, _ := tok.Header["kid"].(string)
		if found := set.Key(kid); len(found) == 1 && found[0].Algorithm == tok.Method.Alg() {
			return found[0].Key, nil
		}
		return nil, jwt.ErrTokenUnverifiable
	})
	if err != nil {
		t.Errorf("token does not verify: %v", err)
	}
}
