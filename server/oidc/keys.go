package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// Signing algorithms: ID tokens are RS256 (OIDC Core requires it), access
// tokens ES256 (RFC 9068).
const (
	algRS256 = "RS256"
	algES256 = "ES256"
)

// Key statuses. Only active keys exist so far; rotation will add keys that
// are published before they sign and after they stop.
const keyActive = "active"

// keyPurpose binds sealed private keys (secrets.Binding.Purpose).
const keyPurpose = "oidc.signing-key"

// activeKeyTTL is how long a node trusts its cached idea of which key
// signs, so that a key rotated on another node is picked up.
const activeKeyTTL = 5 * time.Minute

// keySlot is what a signing key signs for: one algorithm of one server.
type keySlot struct{ tenantID, server, alg string }

// signingKey is a parsed key pair. Keys are immutable once stored.
type signingKey struct {
	kid     string
	slot    keySlot
	private crypto.Signer
	public  jose.JSONWebKey
}

// activeKey is a cached pointer to the key that signs for a slot.
type activeKey struct {
	key   *signingKey
	until time.Time
}

const keyCols = `id, tenant_id, server, alg, public_jwk, private_sealed`

// signer returns the key that signs for alg on iss, creating it on first
// use. It runs its own transactions: never call it inside one.
func (p *Provider) signer(ctx context.Context, iss Issuer, alg string) (*signingKey, error) {
	slot := keySlot{iss.TenantID, iss.Server, alg}
	if k := p.cachedActive(slot); k != nil {
		return k, nil
	}
	// One load at a time per node, so that concurrent first requests do
	// not each generate a key.
	p.loadMu.Lock()
	defer p.loadMu.Unlock()
	if k := p.cachedActive(slot); k != nil {
		return k, nil
	}
	k, err := p.loadActive(ctx, slot)
	if errors.Is(err, store.ErrNotFound) {
		k, err = p.createKey(ctx, slot)
	}
	if err != nil {
		return nil, fmt.Errorf("oidc: %s signing key: %w", alg, err)
	}
	p.mu.Lock()
	p.active[slot] = activeKey{key: k, until: p.clk.Now().Add(activeKeyTTL)}
	p.mu.Unlock()
	return k, nil
}

// cachedActive returns the cached signing key of a slot, nil when there
// is none or it is stale.
func (p *Provider) cachedActive(slot keySlot) *signingKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.active[slot]; ok && p.clk.Now().Before(a.until) {
		return a.key
	}
	return nil
}

// loadActive reads the newest active key of a slot.
func (p *Provider) loadActive(ctx context.Context, slot keySlot) (*signingKey, error) {
	var k *signingKey
	err := p.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		k, err = p.scanKey(ctx, tx, tx.QueryRow(ctx, `SELECT `+keyCols+` FROM oidc_keys
			WHERE tenant_id = ? AND server = ? AND alg = ? AND status = ?
			ORDER BY generation DESC LIMIT 1`, slot.tenantID, slot.server, slot.alg, keyActive))
		return err
	})
	return k, err
}

// createKey makes the first key of a slot. Nodes racing to create it
// insert the same generation; the loser's insert conflicts and it reads
// the winner's key instead, so every node signs with one key.
func (p *Provider) createKey(ctx context.Context, slot keySlot) (*signingKey, error) {
	priv, err := generateKey(slot.alg)
	if err != nil {
		return nil, err
	}
	kid := randomToken(16)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("marshal private key: %w", err)
	}
	sealed, err := p.sec.Seal(keyBinding(slot.tenantID, kid), der)
	if err != nil {
		return nil, err
	}
	pub := jose.JSONWebKey{Key: priv.Public(), KeyID: kid, Algorithm: slot.alg, Use: "sig"}
	jwk, err := pub.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("marshal public key: %w", err)
	}
	err = p.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		var n int
		err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM oidc_keys WHERE tenant_id = ? AND server = ? AND alg = ? AND status = ?`,
			slot.tenantID, slot.server, slot.alg, keyActive).Scan(&n)
		if err != nil || n > 0 {
			return errors.Join(err, errKeyExists)
		}
		_, err = tx.Exec(ctx, `INSERT INTO oidc_keys (`+keyCols+`, generation, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(generation), 0) + 1 FROM oidc_keys
				WHERE tenant_id = ? AND server = ? AND alg = ?), ?, ?)`,
			kid, slot.tenantID, slot.server, slot.alg, string(jwk), sealed,
			slot.tenantID, slot.server, slot.alg, keyActive, p.now())
		return err
	})
	switch {
	case errors.Is(err, errKeyExists) || errors.Is(err, store.ErrConflict):
		p.log.DebugContext(ctx, "signing key made by another node", "tenant", slot.tenantID, "alg", slot.alg, "conflict", errors.Is(err, store.ErrConflict))
		return p.loadActive(ctx, slot)
	case err != nil:
		return nil, err
	}
	p.log.InfoContext(ctx, "created signing key", "tenant", slot.tenantID, "server", slot.server, "alg", slot.alg, "kid", kid)
	k := &signingKey{kid: kid, slot: slot, private: priv, public: pub}
	p.remember(k)
	return k, nil
}

// errKeyExists stops creating a key that another node already made.
var errKeyExists = errors.New("oidc: signing key exists")

// keyByKID returns a key of iss by kid, for verifying a token. A key of
// another tenant or server is store.ErrNotFound.
func (p *Provider) keyByKID(ctx context.Context, iss Issuer, kid string) (*signingKey, error) {
	p.mu.Lock()
	k, ok := p.byKID[kid]
	p.mu.Unlock()
	if !ok {
		if len(kid) > 64 {
			return nil, store.ErrNotFound
		}
		err := p.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
			var err error
			k, err = p.scanKey(ctx, tx, tx.QueryRow(ctx, `SELECT `+keyCols+` FROM oidc_keys WHERE id = ? AND status = ?`, kid, keyActive))
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	if k.slot.tenantID != iss.TenantID || k.slot.server != iss.Server {
		return nil, store.ErrNotFound
	}
	return k, nil
}

// publishedKeys returns the public keys of iss that verify its tokens.
func (p *Provider) publishedKeys(ctx context.Context, iss Issuer) ([]jose.JSONWebKey, error) {
	var keys []jose.JSONWebKey
	err := p.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT public_jwk FROM oidc_keys WHERE tenant_id = ? AND server = ? AND status = ?
			ORDER BY alg DESC, generation DESC`, iss.TenantID, iss.Server, keyActive)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var raw []byte
			if err := rows.Scan(&raw); err != nil {
				return err
			}
			var k jose.JSONWebKey
			if err := json.Unmarshal(raw, &k); err != nil {
				return fmt.Errorf("oidc: stored public key: %w", err)
			}
			keys = append(keys, k)
		}
		return rows.Err()
	})
	return keys, err
}

// scanKey reads a key row, opening its private key unless it is cached.
func (p *Provider) scanKey(ctx context.Context, tx store.Tx, row *store.Row) (*signingKey, error) {
	var kid string
	var slot keySlot
	var jwk, sealed []byte
	if err := row.Scan(&kid, &slot.tenantID, &slot.server, &slot.alg, &jwk, &sealed); err != nil {
		return nil, err
	}
	p.mu.Lock()
	k, ok := p.byKID[kid]
	p.mu.Unlock()
	if ok {
		return k, nil
	}
	der, err := p.sec.Open(ctx, tx, keyBinding(slot.tenantID, kid), sealed)
	if err != nil {
		return nil, fmt.Errorf("oidc: open signing key %s: %w", kid, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("oidc: parse signing key %s: %w", kid, err)
	}
	priv, ok := parsed.(crypto.Signer)
	if !ok || !keyFits(slot.alg, priv) {
		return nil, fmt.Errorf("oidc: signing key %s is not an %s key", kid, slot.alg)
	}
	k = &signingKey{kid: kid, slot: slot, private: priv,
		public: jose.JSONWebKey{Key: priv.Public(), KeyID: kid, Algorithm: slot.alg, Use: "sig"}}
	p.remember(k)
	return k, nil
}

// remember caches a parsed key by kid.
func (p *Provider) remember(k *signingKey) {
	p.mu.Lock()
	p.byKID[k.kid] = k
	p.mu.Unlock()
}

// keyBinding is the row a sealed private key belongs to.
func keyBinding(tenantID, kid string) secrets.Binding {
	return secrets.Binding{Tenant: tenantID, Purpose: keyPurpose, Row: kid}
}

// generateKey makes a key pair for alg: RSA 2048 or P-256.
func generateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case algRS256:
		return rsa.GenerateKey(rand.Reader, 2048)
	case algES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	return nil, fmt.Errorf("oidc: no key type for %q", alg)
}

// keyFits reports whether priv is the key type alg signs with.
func keyFits(alg string, priv crypto.Signer) bool {
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		return alg == algRS256
	case *ecdsa.PrivateKey:
		return alg == algES256 && k.Curve == elliptic.P256()
	}
	return false
}

// randomToken returns n random bytes in unpadded base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
