package tenant

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// SecretPrefix starts every client secret, so that leaked secrets are easy
// to recognise (and to scan for).
const SecretPrefix = "lsec_"

// secretMACPurpose is the purpose of the keyed hash client secrets are
// stored as.
const secretMACPurpose = "app.client-secret"

// lastUseResolution is how stale a secret's recorded last use may get
// before a successful verification writes it again, so that busy clients
// do not write on every token request.
const lastUseResolution = time.Minute

// SecretInfo describes a client secret without revealing it.
type SecretInfo struct {
	ID        string
	CreatedAt time.Time
	// ExpiresAt is when a rotated-out secret stops working; nil for the
	// current secret.
	ExpiresAt *time.Time
	// LastUsedAt is the last successful verification (to within a minute);
	// nil if never used.
	LastUsedAt *time.Time
}

// newSecret returns a random client secret: the prefix then 32 random
// bytes in unpadded base64url.
func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return SecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// addSecret stores a new secret of an app and returns it.
func (s *Service) addSecret(ctx context.Context, tx store.Tx, appID string, now time.Time) (string, error) {
	secret := newSecret()
	mac := s.sec.MAC(secretMACPurpose, []byte(secret))
	_, err := tx.Exec(ctx, `INSERT INTO app_secrets (id, app_id, mac, created_at) VALUES (?, ?, ?, ?)`,
		ident.New("asec", now), appID, mac, now)
	if err != nil {
		return "", fmt.Errorf("tenant: store client secret: %w", err)
	}
	return secret, nil
}

// RotateAppSecret issues a new client secret for a confidential app and
// returns it (shown this once). The app's older secrets stay valid until
// now+overlap (an earlier expiry is kept); an overlap of 0 revokes them at
// once. Secrets already expired are removed.
func (s *Service) RotateAppSecret(ctx context.Context, tx store.Tx, tenantID, appID string, overlap time.Duration) (string, error) {
	a, err := s.App(ctx, tx, tenantID, appID)
	if err != nil {
		return "", err
	}
	if a.Type.Public() {
		return "", invalid.Field("type", "%s apps are public clients and have no secret", a.Type)
	}
	if overlap < 0 {
		return "", invalid.Field("overlap", "must not be negative")
	}
	now := s.now()
	if _, err := tx.Exec(ctx, `DELETE FROM app_secrets WHERE app_id = ? AND expires_at IS NOT NULL AND expires_at <= ?`, a.ID, now); err != nil {
		return "", err
	}
	if overlap == 0 {
		_, err = tx.Exec(ctx, `DELETE FROM app_secrets WHERE app_id = ?`, a.ID)
	} else {
		until := now.Add(overlap)
		_, err = tx.Exec(ctx, `UPDATE app_secrets SET expires_at = ?
			WHERE app_id = ? AND (expires_at IS NULL OR expires_at > ?)`, until, a.ID, until)
	}
	if err != nil {
		return "", err
	}
	return s.addSecret(ctx, tx, a.ID, now)
}

// AppSecrets lists the secrets of an app that have not expired, oldest
// first.
func (s *Service) AppSecrets(ctx context.Context, tx store.Tx, tenantID, appID string) ([]SecretInfo, error) {
	a, err := s.App(ctx, tx, tenantID, appID)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT id, created_at, expires_at, last_used_at FROM app_secrets
		WHERE app_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY id`, a.ID, s.now())
	list, err := store.Collect(rows, err, func(r scanner) (SecretInfo, error) {
		var i SecretInfo
		var exp, used sql.NullTime
		err := r.Scan(&i.ID, &i.CreatedAt, &exp, &used)
		i.ExpiresAt, i.LastUsedAt = timePtr(exp), timePtr(used)
		return i, err
	})
	return nonNilList(list), err
}

// VerifyAppSecret checks the secret of a client of a tenant and returns
// its app. A client that is unknown, of another tenant or public, and a
// wrong or expired secret all return ErrBadSecret, and nothing is
// written for them. A successful check records the secret's last use, so
// tx must be a read-write transaction.
func (s *Service) VerifyAppSecret(ctx context.Context, tx store.Tx, tenantID, clientID, secret string) (App, error) {
	mac := s.sec.MAC(secretMACPurpose, []byte(secret))
	a, err := s.App(ctx, tx, tenantID, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return App{}, ErrBadSecret
	}
	if err != nil {
		return App{}, err
	}
	if !strings.HasPrefix(secret, SecretPrefix) {
		return App{}, ErrBadSecret
	}
	now := s.now()
	rows, err := tx.Query(ctx, `SELECT id, mac, expires_at, last_used_at FROM app_secrets WHERE app_id = ?`, a.ID)
	type stored struct {
		id        string
		mac       []byte
		exp, used sql.NullTime
	}
	list, err := store.Collect(rows, err, func(r scanner) (stored, error) {
		var x stored
		return x, r.Scan(&x.id, &x.mac, &x.exp, &x.used)
	})
	if err != nil {
		return App{}, err
	}
	for _, x := range list {
		if !hmac.Equal(x.mac, mac) || x.exp.Valid && !now.Before(x.exp.Time) {
			continue
		}
		if !x.used.Valid || now.Sub(x.used.Time) >= lastUseResolution || now.Before(x.used.Time) {
			if _, err := tx.Exec(ctx, `UPDATE app_secrets SET last_used_at = ? WHERE id = ?`, now, x.id); err != nil {
				return App{}, err
			}
		}
		return a, nil
	}
	return App{}, ErrBadSecret
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}
