package events

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// subjectKeyPurpose binds sealed subject keys in the secrets service.
const subjectKeyPurpose = "events.subject-key"

// personalV1 is the first byte of sealed personal details: version 1 is
// a 12-byte nonce, then AES-256-GCM ciphertext and tag.
const personalV1 = 1

// errErased means the subject's key has been destroyed.
var errErased = errors.New("events: subject erased")

// EraseSubject destroys the key of subjectID inside tx. The personal
// details of every event about the subject become unreadable (they read
// back as nil with Erased set); the events themselves stay. The subject's
// row is kept as a tombstone without key, so later events about the same
// subject never get a new key: their personal details are dropped.
// Erasing a subject that has no key, or one already erased, succeeds.
//
// Copies of the key in database backups remain until those backups
// expire; the key is sealed by the secrets service, so they are only
// readable with the key-encryption key too.
func (l *Log) EraseSubject(ctx context.Context, tx store.Tx, subjectID string) error {
	if subjectID == "" {
		return invalid.Field("subject", "must be set")
	}
	if reason := opaqueIDProblem(subjectID); reason != "" {
		return invalid.Field("subject", "%s", reason)
	}
	// '' reads as empty bytes on both dialects (BLOB and BYTEA).
	_, err := tx.Exec(ctx, `INSERT INTO subject_keys (subject_id, tenant_id, sealed, created_at)
		VALUES (?, '', '', ?)
		ON CONFLICT (subject_id) DO UPDATE SET sealed = ''`, subjectID, l.clk.Now())
	if err != nil {
		return fmt.Errorf("events: erase subject: %w", err)
	}
	return nil
}

// subjectKey returns the subject's key, read through tx. With create set,
// a subject without a key gets one, owned by tenant, written in tx. It
// returns errErased for an erased subject and, without create, an error
// wrapping store.ErrNotFound for a subject without a key.
func (l *Log) subjectKey(ctx context.Context, tx store.Tx, tenant, subject string, create bool) ([]byte, error) {
	for range 2 {
		var owner string
		var sealed []byte
		err := tx.QueryRow(ctx, `SELECT tenant_id, sealed FROM subject_keys WHERE subject_id = ?`, subject).Scan(&owner, &sealed)
		if err == nil {
			return l.openSubjectKey(ctx, tx, owner, subject, sealed)
		}
		if !errors.Is(err, store.ErrNotFound) || !create {
			return nil, fmt.Errorf("subject key: %w", err)
		}
		key := make([]byte, secrets.KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("subject key: %w", err)
		}
		sealed, err = l.sec.Seal(subjectBinding(tenant, subject), key)
		if err != nil {
			return nil, fmt.Errorf("subject key: %w", err)
		}
		// A concurrent first use of the same subject either makes the
		// database refuse this transaction for contention (the store runs
		// it again and it finds the key) or, if that one committed before
		// this snapshot, leaves nothing inserted here: read theirs.
		n, err := tx.Exec(ctx, `INSERT INTO subject_keys (subject_id, tenant_id, sealed, created_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (subject_id) DO NOTHING`, subject, tenant, sealed, l.clk.Now())
		if err != nil {
			return nil, fmt.Errorf("subject key: %w", err)
		}
		if n == 1 {
			return key, nil
		}
	}
	return nil, errors.New("subject key: could not create or read it")
}

// openSubjectKey unseals a stored subject key; an empty one is a tombstone.
func (l *Log) openSubjectKey(ctx context.Context, tx store.Tx, owner, subject string, sealed []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, errErased
	}
	key, err := l.sec.Open(ctx, tx, subjectBinding(owner, subject), sealed)
	if err != nil {
		return nil, fmt.Errorf("subject key: %w", err)
	}
	if len(key) != secrets.KeySize {
		return nil, fmt.Errorf("subject key: %w: wrong size", secrets.ErrDecrypt)
	}
	return key, nil
}

// openPage opens the personal details of a page of events with their
// subjects' keys, read through tx (one query for the page).
func (l *Log) openPage(ctx context.Context, tx store.Tx, page []storedEvent) ([]Event, error) {
	var subjects []any
	seen := map[string]bool{}
	for _, e := range page {
		if e.Subject != "" && !seen[e.Subject] {
			seen[e.Subject] = true
			subjects = append(subjects, e.Subject)
		}
	}
	type keyRow struct {
		owner  string
		sealed []byte
		key    []byte // opened on first need
	}
	keys := map[string]*keyRow{}
	if len(subjects) > 0 {
		rows, err := tx.Query(ctx, `SELECT subject_id, tenant_id, sealed FROM subject_keys WHERE subject_id IN (?`+
			strings.Repeat(", ?", len(subjects)-1)+`)`, subjects...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var subject string
			var k keyRow
			if err := rows.Scan(&subject, &k.owner, &k.sealed); err != nil {
				return nil, err
			}
			keys[subject] = &k
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	out := make([]Event, len(page))
	for i, e := range page {
		out[i] = e.Event
		if e.Subject == "" {
			continue
		}
		k := keys[e.Subject]
		switch {
		case k != nil && len(k.sealed) == 0:
			out[i].Erased = true // tombstone
		case len(e.sealed) == 0:
		case k == nil:
			// Sealed details without a key row: the key was removed
			// outside EraseSubject. Nothing can open them any more.
			out[i].Erased = true
		default:
			if k.key == nil {
				key, err := l.openSubjectKey(ctx, tx, k.owner, e.Subject, k.sealed)
				if err != nil {
					return nil, fmt.Errorf("event %s: %w", e.ID, err)
				}
				k.key = key
			}
			p, err := openPersonal(k.key, e.ID, e.Subject, e.sealed)
			if err != nil {
				return nil, err
			}
			out[i].Personal = p
		}
	}
	return out, nil
}

// subjectBinding is where a subject's sealed key lives.
func subjectBinding(tenant, subject string) secrets.Binding {
	return secrets.Binding{Tenant: tenant, Purpose: subjectKeyPurpose, Row: subject}
}

// personalAD binds sealed personal details to their event and subject, so
// that details copied into another event do not open. Fields are
// length-prefixed so that no two bindings encode alike.
func personalAD(eventID, subject string) []byte {
	ad := []byte("lintel/events/personal/v1")
	for _, f := range []string{eventID, subject} {
		ad = binary.BigEndian.AppendUint32(ad, uint32(len(f)))
		ad = append(ad, f...)
	}
	return ad
}

// sealPersonal encrypts p for event eventID about subject under key.
func sealPersonal(key []byte, eventID, subject string, p map[string]string) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	pt, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode personal details: %w", err)
	}
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(pt)+aead.Overhead())
	out[0] = personalV1
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return aead.Seal(out, out[1:], pt, personalAD(eventID, subject)), nil
}

// openPersonal decrypts what sealPersonal made; any failure wraps
// ErrUnreadable.
func openPersonal(key []byte, eventID, subject string, blob []byte) (map[string]string, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(blob) < 1+aead.NonceSize()+aead.Overhead() || blob[0] != personalV1 {
		return nil, fmt.Errorf("%w: event %s: unknown format", ErrUnreadable, eventID)
	}
	nonce, ct := blob[1:1+aead.NonceSize()], blob[1+aead.NonceSize():]
	pt, err := aead.Open(nil, nonce, ct, personalAD(eventID, subject))
	if err != nil {
		return nil, fmt.Errorf("%w: event %s", ErrUnreadable, eventID)
	}
	var p map[string]string
	if err := json.Unmarshal(pt, &p); err != nil {
		return nil, fmt.Errorf("%w: event %s: %w", ErrUnreadable, eventID, err)
	}
	return p, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("subject key: %w", err)
	}
	return cipher.NewGCM(block)
}
