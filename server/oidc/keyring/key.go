package keyring

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// keyPurpose binds sealed private keys (secrets.Binding.Purpose).
const keyPurpose = "oidc.signing-key"

// keySlot is what a signing key signs for: one algorithm of one server.
type keySlot struct{ tenantID, server, alg string }

// Key is a parsed signing key of one authorization server. Keys are
// immutable once stored, and a Key is safe for concurrent use. A Ring
// returns the same *Key for a kid as long as it keeps the key cached.
type Key struct {
	kid     string
	slot    keySlot
	private crypto.Signer
}

// ID is the key's kid, unique across every tenant and server.
func (k *Key) ID() string { return k.kid }

// Alg is the algorithm the key signs with: RS256, ES256 or EdDSA.
func (k *Key) Alg() string { return k.slot.alg }

// Signer is the private key: an *rsa.PrivateKey (2048 bits) for RS256,
// an *ecdsa.PrivateKey (P-256) for ES256, an ed25519.PrivateKey for
// EdDSA. Never log or store it.
func (k *Key) Signer() crypto.Signer { return k.private }

// Public is the public key that verifies the key's signatures.
func (k *Key) Public() crypto.PublicKey { return k.private.Public() }

// newKey is a generated key with its sealed private part and public JWK,
// ready to insert.
type newKey struct {
	Key
	sealed, jwk []byte
}

// newKey generates a key for slot and seals its private part through the
// secrets service. It does not touch the database.
func (r *Ring) newKey(slot keySlot) (newKey, error) {
	priv, err := generateKey(slot.alg)
	if err != nil {
		return newKey{}, err
	}
	kid := newKID()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return newKey{}, fmt.Errorf("keyring: marshal private key: %w", err)
	}
	sealed, err := r.sec.Seal(keyBinding(slot.tenantID, kid), der)
	if err != nil {
		return newKey{}, err
	}
	pub := publicJWK(kid, slot.alg, priv)
	jwk, err := pub.MarshalJSON()
	if err != nil {
		return newKey{}, fmt.Errorf("keyring: marshal public key: %w", err)
	}
	return newKey{Key: Key{kid: kid, slot: slot, private: priv}, sealed: sealed, jwk: jwk}, nil
}

// insert stores the key as generation gen of its slot, signing from
// activates. A generation that exists is store.ErrConflict.
func (k newKey) insert(ctx context.Context, tx store.Tx, gen int64, activates, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO oidc_keys (`+keyCols+`, public_jwk, private_sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.kid, k.slot.tenantID, k.slot.server, k.slot.alg, gen, keyActive, now, activates, string(k.jwk), k.sealed)
	return err
}

// publicJWK is the published form of a key.
func publicJWK(kid, alg string, priv crypto.Signer) jose.JSONWebKey {
	return jose.JSONWebKey{Key: priv.Public(), KeyID: kid, Algorithm: alg, Use: "sig"}
}

// keyBinding is the row a sealed private key belongs to.
func keyBinding(tenantID, kid string) secrets.Binding {
	return secrets.Binding{Tenant: tenantID, Purpose: keyPurpose, Row: kid}
}

// generateKey makes a key pair for alg: RSA 2048, P-256 or Ed25519.
func generateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case RS256:
		return rsa.GenerateKey(rand.Reader, 2048)
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, fmt.Errorf("keyring: no key type for %q", alg)
}

// keyFits reports whether priv is the key type alg signs with.
func keyFits(alg string, priv crypto.Signer) bool {
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		return alg == RS256
	case *ecdsa.PrivateKey:
		return alg == ES256 && k.Curve == elliptic.P256()
	case ed25519.PrivateKey:
		return alg == EdDSA
	}
	return false
}

// newKID returns a new key ID: 16 random bytes in unpadded base64url.
func newKID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
