package federation

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// The tenant's SAML service-provider key pair: it signs AuthnRequests and
// decrypts encrypted assertions, and its certificate is in the SP
// metadata the tenant hands to its identity providers.
const (
	samlKeyPurpose   = "federation.saml-sp-key"
	samlKeyBits      = 2048
	samlCertLife     = 10 * 365 * 24 * time.Hour
	samlCertBackdate = time.Hour // an IdP whose clock is a little behind still takes the certificate
)

// samlSPKey is a tenant's opened SP key pair.
type samlSPKey struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
	// sealed is the stored ciphertext it was opened from: a cached key is
	// used only while the row still holds the same one.
	sealed []byte
}

// samlKey returns the tenant's SP key pair, creating it in tx on first
// use. The row is read on every call, so the in-memory cache (which only
// saves unsealing and parsing) can never hold a key the database does not:
// a key made in a transaction that rolled back is simply replaced.
func (s *Service) samlKey(ctx context.Context, tx store.Tx, tenantID string) (*samlSPKey, error) {
	for range 2 {
		var der, sealed []byte
		err := tx.QueryRow(ctx, `SELECT certificate, key_sealed FROM saml_sp_keys WHERE tenant_id = ?`, tenantID).Scan(&der, &sealed)
		if err == nil {
			return s.openSAMLKey(ctx, tx, tenantID, der, sealed)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("federation: saml sp key: %w", err)
		}
		k, err := s.newSAMLKey(tenantID)
		if err != nil {
			return nil, err
		}
		// Two first uses at once: the database either refuses one
		// transaction for contention (the store runs it again and it finds
		// the other's key) or, if the other committed before this
		// snapshot, inserts nothing here; then read theirs.
		n, err := tx.Exec(ctx, `INSERT INTO saml_sp_keys (tenant_id, certificate, key_sealed, created_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id) DO NOTHING`, tenantID, k.cert.Raw, k.sealed, s.d.Clock.Now())
		if err != nil {
			return nil, fmt.Errorf("federation: saml sp key: %w", err)
		}
		if n == 1 {
			s.saml.putKey(tenantID, k)
			return k, nil
		}
	}
	return nil, errors.New("federation: saml sp key: could not create or read it")
}

// openSAMLKey unseals and parses a stored key pair, or takes it from the
// cache when the row is the one cached.
func (s *Service) openSAMLKey(ctx context.Context, tx store.Tx, tenantID string, der, sealed []byte) (*samlSPKey, error) {
	if k := s.saml.key(tenantID); k != nil && bytes.Equal(k.sealed, sealed) {
		return k, nil
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("federation: saml sp certificate: %w", err)
	}
	plain, err := s.d.Secrets.Open(ctx, tx, samlKeyBinding(tenantID), sealed)
	if err != nil {
		return nil, fmt.Errorf("federation: saml sp key: %w", err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(plain)
	if err != nil {
		return nil, fmt.Errorf("federation: saml sp key: %w", err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok || !key.PublicKey.Equal(cert.PublicKey) {
		return nil, errors.New("federation: saml sp key: not the RSA key of its certificate")
	}
	k := &samlSPKey{key: key, cert: cert, sealed: sealed}
	s.saml.putKey(tenantID, k)
	return k, nil
}

// newSAMLKey makes a key pair and its self-signed certificate, sealed for
// the tenant's row.
func (s *Service) newSAMLKey(tenantID string) (*samlSPKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, samlKeyBits)
	if err != nil {
		return nil, fmt.Errorf("federation: saml sp key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("federation: saml sp key: %w", err)
	}
	now := s.d.Clock.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Lintel SAML SP " + tenantID},
		NotBefore:             now.Add(-samlCertBackdate),
		NotAfter:              now.Add(samlCertLife),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("federation: saml sp certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("federation: saml sp certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("federation: saml sp key: %w", err)
	}
	sealed, err := s.d.Secrets.Seal(samlKeyBinding(tenantID), pkcs8)
	if err != nil {
		return nil, fmt.Errorf("federation: saml sp key: %w", err)
	}
	return &samlSPKey{key: key, cert: cert, sealed: sealed}, nil
}

// samlKeyBinding binds a sealed SP key to its tenant's row.
func samlKeyBinding(tenantID string) secrets.Binding {
	return secrets.Binding{Tenant: tenantID, Purpose: samlKeyPurpose, Row: tenantID}
}
