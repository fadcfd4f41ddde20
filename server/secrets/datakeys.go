package secrets

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// formatV1 is the first byte of every ciphertext: version, then the data
// key ID (length-prefixed), the GCM nonce and the sealed bytes.
const formatV1 = 1

type dataKeyRow struct {
	id, kekID string
	wrapped   []byte
	created   time.Time
}

func loadDataKeys(ctx context.Context, tx store.Tx) ([]dataKeyRow, error) {
	rows, err := tx.Query(ctx, `SELECT id, kek_id, wrapped, created_at FROM secret_data_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dataKeyRow
	for rows.Next() {
		var r dataKeyRow
		if err := rows.Scan(&r.id, &r.kekID, &r.wrapped, &r.created); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func loadDataKey(ctx context.Context, tx store.Tx, id string) (dataKeyRow, error) {
	r := dataKeyRow{id: id}
	err := tx.QueryRow(ctx, `SELECT kek_id, wrapped, created_at FROM secret_data_keys WHERE id = ?`, id).Scan(&r.kekID, &r.wrapped, &r.created)
	return r, err
}

// createDataKey makes a random data key wrapped by the current KEK.
func (s *Service) createDataKey(ctx context.Context, tx store.Tx) (string, []byte, error) {
	var raw [10]byte
	key := make([]byte, KeySize)
	if _, err := rand.Read(raw[:]); err != nil {
		return "", nil, err
	}
	if _, err := rand.Read(key); err != nil {
		return "", nil, err
	}
	id := "dk_" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:])
	wrapped, err := wrap(s.ring.Current, id, key)
	if err != nil {
		return "", nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO secret_data_keys (id, kek_id, wrapped, created_at) VALUES (?, ?, ?, ?)`,
		id, s.ring.Current.ID, wrapped, s.clock.Now()); err != nil {
		return "", nil, fmt.Errorf("secrets: store data key: %w", err)
	}
	return id, key, nil
}

func (s *Service) unwrap(r dataKeyRow) ([]byte, error) {
	kek, ok := s.ring.find(r.kekID)
	if !ok {
		return nil, fmt.Errorf("%w: data key %s needs KEK %q", ErrUnknownKEK, r.id, r.kekID)
	}
	aead, err := newGCM(kek.Key)
	if err != nil {
		return nil, err
	}
	if len(r.wrapped) < aead.NonceSize() {
		return nil, fmt.Errorf("%w: data key %s is truncated", ErrDecrypt, r.id)
	}
	key, err := aead.Open(nil, r.wrapped[:aead.NonceSize()], r.wrapped[aead.NonceSize():], wrapAD(kek.ID, r.id))
	if err != nil {
		return nil, fmt.Errorf("%w: data key %s does not unwrap with KEK %q", ErrDecrypt, r.id, kek.ID)
	}
	return key, nil
}

// wrap seals a data key under a KEK, bound to both IDs.
func wrap(kek KEK, id string, key []byte) ([]byte, error) {
	aead, err := newGCM(kek.Key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, key, wrapAD(kek.ID, id)), nil
}

func wrapAD(kekID, dataKeyID string) []byte {
	return appendField(appendField([]byte("lintel/secrets/wrap/v1"), kekID), dataKeyID)
}

// additionalData binds a ciphertext to its data key and row; fields are
// length-prefixed so that no two bindings encode alike.
func additionalData(dataKeyID string, b Binding) []byte {
	ad := []byte("lintel/secrets/seal/v1")
	for _, f := range []string{dataKeyID, b.Tenant, b.Purpose, b.Row} {
		ad = appendField(ad, f)
	}
	return ad
}

func appendField(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// parse splits a ciphertext into its data key ID and the rest.
func parse(ct []byte) (id string, rest []byte, err error) {
	if len(ct) < 2 || ct[0] != formatV1 {
		return "", nil, fmt.Errorf("%w: unknown format", ErrDecrypt)
	}
	n := int(ct[1])
	if n == 0 || len(ct) < 2+n {
		return "", nil, fmt.Errorf("%w: truncated", ErrDecrypt)
	}
	return string(ct[2 : 2+n]), ct[2+n:], nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, errors.New("secrets: key has the wrong size")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// RotateReport tells what Rotate did.
type RotateReport struct {
	// Rewrapped counts data keys moved to the current KEK.
	Rewrapped int
	// Total counts all data keys.
	Total int
}

// Rotate re-wraps every data key not yet wrapped by the current KEK, in one
// transaction, while other nodes keep serving: data keys themselves do not
// change, so every existing ciphertext still opens and nodes that cached
// unwrapped keys are unaffected. Afterwards the previous KEKs can be
// removed from configuration.
func (s *Service) Rotate(ctx context.Context) (RotateReport, error) {
	var rep RotateReport
	err := s.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		rep = RotateReport{}
		rows, err := loadDataKeys(ctx, tx)
		if err != nil {
			return err
		}
		rep.Total = len(rows)
		for _, r := range rows {
			if r.kekID == s.ring.Current.ID {
				continue
			}
			key, err := s.unwrap(r)
			if err != nil {
				return err
			}
			w, err := wrap(s.ring.Current, r.id, key)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE secret_data_keys SET kek_id = ?, wrapped = ?, rewrapped_at = ? WHERE id = ?`,
				s.ring.Current.ID, w, s.clock.Now(), r.id); err != nil {
				return err
			}
			rep.Rewrapped++
		}
		return nil
	})
	if err != nil {
		return RotateReport{}, fmt.Errorf("secrets: rotate: %w", err)
	}
	return rep, nil
}

// UsedKEKs lists the IDs of the KEKs that wrap stored data keys, so that
// start-up can tell an operator which keys the database still needs.
func UsedKEKs(ctx context.Context, st store.Store) ([]string, error) {
	var ids []string
	err := st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		ids = nil
		rows, err := tx.Query(ctx, `SELECT DISTINCT kek_id FROM secret_data_keys ORDER BY kek_id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("secrets: list key-encryption keys in use: %w", err)
	}
	return ids, nil
}
