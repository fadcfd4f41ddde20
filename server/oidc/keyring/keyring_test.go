package keyring_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/oidc/keyring"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Tenants and the server the tests keep keys for. The ring knows no
// tenants: any IDs do.
const (
	acme   = "ten_acme"
	globex = "ten_globex"
	server = "default"
)

// syncBuffer collects log output from concurrent rings.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// cluster is one fresh database shared by the rings of several nodes,
// with their secrets service, clock and logs.
type cluster struct {
	open storetest.Opener
	st   store.Store
	clk  *clock.Fake
	sec  *secrets.Service
	logs *syncBuffer
	ring *keyring.Ring // the first node's
}

func newCluster(t testing.TB, b storetest.Backend) *cluster {
	t.Helper()
	c := &cluster{open: b.New(t), clk: clock.NewFake(t0), logs: &syncBuffer{}}
	c.st = c.open(t)
	kek, err := secrets.GenerateKEK(t0)
	if err != nil {
		t.Fatal(err)
	}
	if c.sec, err = secrets.New(context.Background(), c.st, secrets.Keyring{Current: kek}, c.clk); err != nil {
		t.Fatal(err)
	}
	c.ring = c.node(t)
	return c
}

// node returns another node's ring, over its own handle to the database.
func (c *cluster) node(t testing.TB) *keyring.Ring {
	t.Helper()
	st := c.st
	if c.ring != nil {
		st = c.open(t)
	}
	r, err := keyring.New(keyring.Deps{Store: st, Secrets: c.sec, Clock: c.clk, TokenLifetime: time.Hour,
		Logger: slog.New(slog.NewTextHandler(c.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// jwks is what the JWK set endpoint of a tenant's server serves: a key of
// every algorithm made on first use, then the published keys. It reports
// with Errorf: it is called from goroutines.
func jwks(t testing.TB, r *keyring.Ring, tenantID string) jose.JSONWebKeySet {
	t.Helper()
	ctx := context.Background()
	for _, alg := range keyring.Algs() {
		if _, err := r.Signer(ctx, tenantID, server, alg); err != nil {
			t.Errorf("Signer(%s): %v", alg, err)
			return jose.JSONWebKeySet{}
		}
	}
	keys, err := r.Published(ctx, tenantID, server)
	if err != nil {
		t.Errorf("Published: %v", err)
	}
	return jose.JSONWebKeySet{Keys: keys}
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

// checkSealed checks that a stored private key is not readable without
// the secrets service, and opens only for its own row.
func checkSealed(t *testing.T, c *cluster, r keyRow) {
	t.Helper()
	if _, err := x509.ParsePKCS8PrivateKey(r.sealed); err == nil {
		t.Errorf("key %s is stored as plain PKCS#8", r.kid)
	}
	var pub jose.JSONWebKey
	if err := json.Unmarshal(r.jwk, &pub); err != nil {
		t.Fatal(err)
	}
	var secretPart []byte
	der, err := c.sec.Open(context.Background(), nil, secrets.Binding{Tenant: r.tenantID, Purpose: "oidc.signing-key", Row: r.kid}, r.sealed)
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
	case ed25519.PrivateKey:
		secretPart = k.Seed()
		if r.alg != "EdDSA" || !k.Public().(ed25519.PublicKey).Equal(pub.Key) {
			t.Errorf("key %s: alg %s", r.kid, r.alg)
		}
	default:
		t.Fatalf("key %s is a %T", r.kid, priv)
	}
	if bytes.Contains(r.sealed, secretPart) || bytes.Contains(r.jwk, []byte(`"d"`)) {
		t.Errorf("key %s: private material stored in the clear", r.kid)
	}
	_, err = c.sec.Open(context.Background(), nil, secrets.Binding{Tenant: "ten_other", Purpose: "oidc.signing-key", Row: r.kid}, r.sealed)
	if !errors.Is(err, secrets.ErrDecrypt) {
		t.Errorf("key %s opens for another tenant: %v", r.kid, err)
	}
}

func TestNew(t *testing.T) {
	st := storetest.SQLite().Open(t)
	clk := clock.NewFake(t0)
	kek, err := secrets.GenerateKEK(t0)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secrets.New(context.Background(), st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		t.Fatal(err)
	}
	full := keyring.Deps{Store: st, Secrets: sec, Clock: clk, TokenLifetime: time.Hour}
	for _, tc := range []struct {
		name   string
		change func(d *keyring.Deps)
		ok     bool
	}{
		{"accepts the defaults without a logger", func(*keyring.Deps) {}, true},
		{"accepts a lead of MinLead", func(d *keyring.Deps) { d.Lead = keyring.MinLead }, true},
		{"refuses no store", func(d *keyring.Deps) { d.Store = nil }, false},
		{"refuses no secrets service", func(d *keyring.Deps) { d.Secrets = nil }, false},
		{"refuses no clock", func(d *keyring.Deps) { d.Clock = nil }, false},
		{"refuses no token lifetime", func(d *keyring.Deps) { d.TokenLifetime = 0 }, false},
		{"refuses a lead shorter than MinLead", func(d *keyring.Deps) { d.Lead = keyring.MinLead - time.Second }, false},
		{"refuses a lead as long as the rotation", func(d *keyring.Deps) { d.Rotation, d.Lead = 48*time.Hour, 48*time.Hour }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := full
			tc.change(&d)
			r, err := keyring.New(d)
			if (err == nil) != tc.ok || (r != nil) != tc.ok {
				t.Errorf("New: %v, %v", r, err)
			}
		})
	}
}
