package samlidp

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// A tenant's IdP signing keys. One is current and signs; Rotate first
// makes a next key, which the metadata publishes so SPs can fetch it
// before it signs, and on the following call promotes it: the old current
// key is retired and stays published for retiredOverlap.
const (
	keyPurpose = "samlidp.signing-key"
	keyBits    = 2048
	certLife   = 10 * 365 * 24 * time.Hour
	// certBackdate lets an SP whose clock is a little behind take it.
	certBackdate = time.Hour
)

// Key states.
const (
	stateCurrent = "current"
	stateNext    = "next"
	stateRetired = "retired"
)

// signingKey is an IdP key pair as stored; key is nil unless opened.
type signingKey struct {
	kid    string
	state  string
	cert   *x509.Certificate
	key    *rsa.PrivateKey
	sealed []byte
}

// keys returns the tenant's published keys (current first, then next,
// then retired ones still in their overlap), creating the current key on
// first use. Only the current key is opened.
func (s *Service) keys(ctx context.Context, tx store.Tx, tenantID string) ([]signingKey, error) {
	ks, err := s.loadKeys(ctx, tx, tenantID)
	if err != nil {
		return nil, err
	}
	if len(ks) == 0 || ks[0].state != stateCurrent {
		// First use. If another transaction made the key meanwhile, the
		// insert does nothing (or the store retries this transaction on
		// contention) and the key is read again.
		if _, err := s.newKey(ctx, tx, tenantID, stateCurrent); err != nil {
			return nil, err
		}
		if ks, err = s.loadKeys(ctx, tx, tenantID); err != nil {
			return nil, err
		}
		if len(ks) == 0 || ks[0].state != stateCurrent {
			return nil, errors.New("samlidp: signing key: could not create or read it")
		}
	}
	plain, err := s.d.Secrets.Open(ctx, tx, keyBinding(tenantID, ks[0].kid), ks[0].sealed)
	if err != nil {
		return nil, fmt.Errorf("samlidp: signing key: %w", err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(plain)
	if err != nil {
		return nil, fmt.Errorf("samlidp: signing key: %w", err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok || !key.PublicKey.Equal(ks[0].cert.PublicKey) {
		return nil, errors.New("samlidp: signing key: not the RSA key of its certificate")
	}
	ks[0].key = key
	return ks, nil
}

// loadKeys reads the published keys, ordered current, next, retired.
func (s *Service) loadKeys(ctx context.Context, tx store.Tx, tenantID string) ([]signingKey, error) {
	rows, err := tx.Query(ctx, `SELECT kid, state, certificate, key_sealed FROM saml_idp_keys
		WHERE tenant_id = ? AND (not_after IS NULL OR not_after > ?)
		ORDER BY CASE state WHEN 'current' THEN 0 WHEN 'next' THEN 1 ELSE 2 END, created_at DESC, kid`,
		tenantID, s.d.Clock.Now())
	if err != nil {
		return nil, fmt.Errorf("samlidp: signing keys: %w", err)
	}
	defer rows.Close()
	var ks []signingKey
	for rows.Next() {
		var k signingKey
		var der []byte
		if err := rows.Scan(&k.kid, &k.state, &der, &k.sealed); err != nil {
			return nil, fmt.Errorf("samlidp: signing keys: %w", err)
		}
		if k.cert, err = x509.ParseCertificate(der); err != nil {
			return nil, fmt.Errorf("samlidp: signing key %s: %w", k.kid, err)
		}
		ks = append(ks, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("samlidp: signing keys: %w", err)
	}
	return ks, nil
}

// Rotate moves the tenant's keys one step: without a next key it makes
// one (published, not signing); with one it promotes it to current and
// retires the current key, which stays published for an overlap. Call it
// twice, at least an SP's metadata refresh interval apart.
func (s *Service) Rotate(ctx context.Context, tx store.Tx, tenantID string) error {
	ks, err := s.keys(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	if len(ks) < 2 || ks[1].state != stateNext {
		_, err := s.newKey(ctx, tx, tenantID, stateNext)
		return err
	}
	now := s.d.Clock.Now()
	if _, err := tx.Exec(ctx, `UPDATE saml_idp_keys SET state = ?, not_after = ? WHERE tenant_id = ? AND kid = ?`,
		stateRetired, now.Add(retiredOverlap), tenantID, ks[0].kid); err != nil {
		return fmt.Errorf("samlidp: rotate: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE saml_idp_keys SET state = ? WHERE tenant_id = ? AND kid = ?`,
		stateCurrent, tenantID, ks[1].kid); err != nil {
		return fmt.Errorf("samlidp: rotate: %w", err)
	}
	return nil
}

// newKey makes and stores a key pair with a self-signed certificate; it
// stores nothing when the tenant already has a key in that state.
func (s *Service) newKey(ctx context.Context, tx store.Tx, tenantID, state string) (signingKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return signingKey{}, fmt.Errorf("samlidp: signing key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return signingKey{}, fmt.Errorf("samlidp: signing key: %w", err)
	}
	now := s.d.Clock.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Lintel SAML IdP " + tenantID},
		NotBefore:             now.Add(-certBackdate),
		NotAfter:              now.Add(certLife),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return signingKey{}, fmt.Errorf("samlidp: signing certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return signingKey{}, fmt.Errorf("samlidp: signing certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return signingKey{}, fmt.Errorf("samlidp: signing key: %w", err)
	}
	kid := hex.EncodeToString(serial.Bytes())
	sealed, err := s.d.Secrets.Seal(keyBinding(tenantID, kid), pkcs8)
	if err != nil {
		return signingKey{}, fmt.Errorf("samlidp: signing key: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO saml_idp_keys (tenant_id, kid, certificate, key_sealed, state, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, state) WHERE state IN ('current', 'next') DO NOTHING`,
		tenantID, kid, der, sealed, state, now); err != nil {
		return signingKey{}, fmt.Errorf("samlidp: signing key: %w", err)
	}
	return signingKey{kid: kid, state: state, cert: cert, key: key, sealed: sealed}, nil
}

// keyBinding binds a sealed key to its row.
func keyBinding(tenantID, kid string) secrets.Binding {
	return secrets.Binding{Tenant: tenantID, Purpose: keyPurpose, Row: kid}
}
