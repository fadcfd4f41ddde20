package eventhooks

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// SecretPrefix begins every signing secret.
const SecretPrefix = "lev_"

// secretBytes is the entropy of a secret.
const secretBytes = 32

// newSecret makes a signing secret for h and seals it for h's row. The
// HMAC key is the whole string, prefix included, as the receiver stores
// it.
func (s *Service) newSecret(h Hook) (secret string, sealed []byte, err error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("eventhooks: secret: %w", err)
	}
	secret = SecretPrefix + base64.RawURLEncoding.EncodeToString(b)
	sealed, err = s.sec.Seal(binding(h, secretPurpose), []byte(secret))
	if err != nil {
		return "", nil, fmt.Errorf("eventhooks: seal secret: %w", err)
	}
	return secret, sealed, nil
}

// binding is where a sealed secret of h lives.
func binding(h Hook, purpose string) secrets.Binding {
	return secrets.Binding{Tenant: h.TenantID, Purpose: purpose, Row: h.ID}
}

// RotateSecret gives a hook a new signing secret, which it returns once.
// The previous secret keeps signing beside the new one (two v1 values in
// the signature header) for Options.RotationGrace, so receivers can switch
// without losing a delivery. A rotation during the grace of another drops
// the older secret at once. An unknown hook is ErrNotFound.
func (s *Service) RotateSecret(ctx context.Context, tx store.Tx, tenantID, hookID string) (Hook, string, error) {
	h, err := s.Get(ctx, tx, tenantID, hookID)
	if err != nil {
		return Hook{}, "", err
	}
	ss, err := loadSecrets(ctx, tx, h.ID)
	if err != nil {
		return Hook{}, "", fmt.Errorf("eventhooks: rotate %s: %w", h.ID, err)
	}
	current, err := s.sec.Open(ctx, tx, binding(h, secretPurpose), ss.current)
	if err != nil {
		return Hook{}, "", fmt.Errorf("eventhooks: rotate %s: open secret: %w", h.ID, err)
	}
	previous, err := s.sec.Seal(binding(h, previousPurpose), current)
	if err != nil {
		return Hook{}, "", fmt.Errorf("eventhooks: rotate %s: seal previous secret: %w", h.ID, err)
	}
	secret, next, err := s.newSecret(h)
	if err != nil {
		return Hook{}, "", err
	}
	h.UpdatedAt = s.now()
	h.PreviousSecretUntil = h.UpdatedAt.Add(s.opts.RotationGrace)
	_, err = tx.Exec(ctx, `UPDATE event_hooks SET secret_sealed = ?, previous_secret_sealed = ?, previous_secret_until = ?,
		updated_at = ? WHERE id = ? AND tenant_id = ?`, next, previous, h.PreviousSecretUntil, h.UpdatedAt, h.ID, tenantID)
	if err != nil {
		return Hook{}, "", fmt.Errorf("eventhooks: rotate %s: %w", h.ID, err)
	}
	return h, secret, nil
}

// sealedSecrets are a hook's stored secrets.
type sealedSecrets struct {
	current, previous []byte
	until             time.Time
}

// loadSecrets reads the sealed secrets of a hook.
func loadSecrets(ctx context.Context, tx store.Tx, hookID string) (sealedSecrets, error) {
	var ss sealedSecrets
	var until sql.NullTime
	err := tx.QueryRow(ctx, `SELECT secret_sealed, previous_secret_sealed, previous_secret_until
		FROM event_hooks WHERE id = ?`, hookID).Scan(&ss.current, &ss.previous, &until)
	ss.until = until.Time
	return ss, err
}

// open returns the secrets that sign at now for h: the current one, then
// the previous one during a rotation's grace.
func (s *Service) open(ctx context.Context, tx store.Tx, h Hook, ss sealedSecrets, now time.Time) ([][]byte, error) {
	cur, err := s.sec.Open(ctx, tx, binding(h, secretPurpose), ss.current)
	if err != nil {
		return nil, fmt.Errorf("open signing secret of %s: %w", h.ID, err)
	}
	out := [][]byte{cur}
	if len(ss.previous) > 0 && now.Before(ss.until) {
		prev, err := s.sec.Open(ctx, tx, binding(h, previousPurpose), ss.previous)
		if err != nil {
			return nil, fmt.Errorf("open previous signing secret of %s: %w", h.ID, err)
		}
		out = append(out, prev)
	}
	return out, nil
}
