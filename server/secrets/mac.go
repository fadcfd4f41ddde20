package secrets

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/lintel-id/lintel/server/store"
)

// macKeyID is the one MAC key version so far. A fixed ID makes nodes that
// start together agree on one key: the second insert conflicts.
const macKeyID = "mac-1"

// loadMACKey loads the keyed-hash key, creating it on first start.
func (s *Service) loadMACKey(ctx context.Context) error {
	for attempt := 0; attempt < 2; attempt++ {
		err := s.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
			var sealed []byte
			err := tx.QueryRow(ctx, `SELECT sealed FROM secret_mac_keys WHERE id = ?`, macKeyID).Scan(&sealed)
			if errors.Is(err, store.ErrNotFound) {
				key := make([]byte, KeySize)
				if _, err := rand.Read(key); err != nil {
					return err
				}
				if sealed, err = s.Seal(macBinding, key); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO secret_mac_keys (id, sealed, created_at) VALUES (?, ?, ?)`, macKeyID, sealed, s.clock.Now()); err != nil {
					return err
				}
				s.macKey = key
				return nil
			}
			if err != nil {
				return err
			}
			key, err := s.Open(ctx, tx, macBinding, sealed)
			if err != nil {
				return err
			}
			s.macKey = key
			return nil
		})
		if errors.Is(err, store.ErrConflict) {
			continue // another node created it first: read theirs
		}
		if err != nil {
			return fmt.Errorf("secrets: MAC key: %w", err)
		}
		return nil
	}
	return errors.New("secrets: MAC key: could not create or read it")
}

var macBinding = Binding{Purpose: "secrets.mac-key", Row: macKeyID}

// MAC returns the keyed hash (HMAC-SHA256 under the instance's MAC key) of
// value for purpose. Client secrets and management tokens are stored as
// MACs: a stolen database does not reveal them, and unlike a password hash
// the MAC of a high-entropy token is cheap to compute on every request.
// Distinct purposes never produce equal MACs for equal values.
func (s *Service) MAC(purpose string, value []byte) []byte {
	m := hmac.New(sha256.New, s.macKey)
	m.Write(appendField(appendField([]byte("lintel/secrets/mac/v1"), purpose), string(value)))
	return m.Sum(nil)
}
