package oidc_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// jwks fetches the JWK set of iss from p.
func jwks(t testing.TB, p *oidc.Provider, iss oidc.Issuer) (jose.JSONWebKeySet, *httptest.ResponseRecorder) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, iss.URL+oidc.PathKeys, nil)
	rec := httptest.NewRecorder()
	p.JWKS().ServeHTTP(rec, r.WithContext(oidc.WithIssuer(r.Context(), iss)))
	if rec.Code != http.StatusOK {
		t.Errorf("JWKS: %d %s", rec.Code, rec.Body)
		return jose.JSONWebKeySet{}, rec
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil {
		t.Errorf("JWKS: %v", err) // not Fatal: called from goroutines
	}
	return set, rec
}

// kids lists the key IDs and algorithms of a set.
func kids(set jose.JSONWebKeySet) string {
	var s []string
	for _, k := range set.Keys {
		s = append(s, k.Algorithm+":"+k.KeyID)
	}
	return strings.Join(s, ",")
}

type keyRow struct {
	kid, tenantID, alg string
	jwk, sealed        []byte
}

func keyRows(t testing.TB, st store.Store) []keyRow {
	t.Helper()
	var out []keyRow
	err := st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, tenant_id, alg, public_jwk, private_sealed FROM oidc_keys ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k keyRow
			if err := rows.Scan(&k.kid, &k.tenantID, &k.alg, &k.jwk, &k.sealed); err != nil {
				return err
			}
			out = append(out, k)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestKeys(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Run("creates each key once when two providers race on an empty database", func(t *testing.T) {
				open := b.New(t)
				w := newWorldOn(t, open)
				nodes := []*oidc.Provider{w.p, w.provider(t, open(t))}
				sets := make([]string, 8)
				var wg sync.WaitGroup
				for i := range sets {
					wg.Go(func() {
						set, _ := jwks(t, nodes[i%2], w.iss)
						sets[i] = kids(set)
					})
				}
				wg.Wait()
				for i, s := range sets {
					if s != sets[0] {
						t.Errorf("node answer %d: %s, want %s", i, s, sets[0])
					}
				}
				if rows := keyRows(t, w.st); len(rows) != 2 {
					t.Errorf("%d key rows, want one RS256 and one ES256", len(rows))
				}
				if n := strings.Count(w.logs.String(), "created signing key"); n != 2 {
					t.Errorf("%d keys created, want 2", n)
				}
				if n := len(strings.Split(sets[0], ",")); n != 2 {
					t.Errorf("JWKS %s, want two keys", sets[0])
				}
			})
			t.Run("never stores private keys in plaintext", func(t *testing.T) {
				w := newWorld(t, b)
				set, _ := jwks(t, w.p, w.iss)
				rows := keyRows(t, w.st)
				if len(rows) != 2 || len(set.Keys) != 2 {
					t.Fatalf("%d rows, %d published keys", len(rows), len(set.Keys))
				}
				for _, r := range rows {
					checkSealed(t, w, r)
				}
			})
			t.Run("keeps its keys across restarts and separates tenants", func(t *testing.T) {
				open := b.New(t)
				w := newWorldOn(t, open)
				first, _ := jwks(t, w.p, w.iss)
				again, rec := jwks(t, w.provider(t, open(t)), w.iss)
				if kids(first) != kids(again) {
					t.Errorf("keys changed across a restart: %s then %s", kids(first), kids(again))
				}
				if !strings.Contains(rec.Header().Get("Cache-Control"), "max-age=") {
					t.Errorf("JWKS Cache-Control %q", rec.Header().Get("Cache-Control"))
				}
				other, _ := jwks(t, w.p, w.other)
				if kids(other) == kids(first) || len(other.Keys) != 2 {
					t.Errorf("tenants share keys: %s and %s", kids(first), kids(other))
				}
				for _, k := range append(first.Keys, other.Keys...) {
					if !k.IsPublic() || k.Use != "sig" {
						t.Errorf("published key %s is not a public signing key", k.KeyID)
					}
				}
			})
		})
	}
}

// checkSealed checks that a stored private key is not readable without
// the secrets service, and opens only for its own row.
func checkSealed(t *testing.T, w *world, r keyRow) {
	t.Helper()
	if _, err := x509.ParsePKCS8PrivateKey(r.sealed); err == nil {
		t.Errorf("key %s is stored as plain PKCS#8", r.kid)
	}
	var pub jose.JSONWebKey
	if err := json.Unmarshal(r.jwk, &pub); err != nil {
		t.Fatal(err)
	}
	var secretPart []byte
	der, err := w.sec.Open(context.Background(), nil, secrets.Binding{Tenant: r.tenantID, Purpose: "oidc.signing-key", Row: r.kid}, r.sealed)
	if err != nil {
		t.Fatalf("key %s does not open for its own row: %v", r.kid, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		t.Fatal(err)
	}
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		secretPart = k.Primes[0].Bytes()
		if r.alg != "RS256" || k.N.BitLen() != 2048 || !k.PublicKey.Equal(pub.Key) {
			t.Errorf("key %s: alg %s, %d bits", r.kid, r.alg, k.N.BitLen())
		}
	case *ecdsa.PrivateKey:
		secretPart, _ = k.Bytes()
		if r.alg != "ES256" || k.Curve.Params().Name != "P-256" || !k.PublicKey.Equal(pub.Key) {
			t.Errorf("key %s: alg %s, curve %s", r.kid, r.alg, k.Curve.Params().Name)
		}
	default:
		t.Fatalf("key %s is a %T", r.kid, priv)
	}
	if bytes.Contains(r.sealed, secretPart) || bytes.Contains(r.jwk, []byte(`"d"`)) {
		t.Errorf("key %s: private material stored in the clear", r.kid)
	}
	_, err = w.sec.Open(context.Background(), nil, secrets.Binding{Tenant: "ten_other", Purpose: "oidc.signing-key", Row: r.kid}, r.sealed)
	if !errors.Is(err, secrets.ErrDecrypt) {
		t.Errorf("key %s opens for another tenant: %v", r.kid, err)
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
