// Package secrets is the one envelope-encryption service for everything
// Lintel must be able to read back: signing keys, TOTP seeds, IdP client
// secrets, SAML/DKIM/ACME keys, hook secrets, SMTP credentials.
//
// Plaintext is sealed with a random AES-256 data key (AES-GCM). Data keys
// live in the store wrapped by a key-encryption key (KEK) that never touches
// the database: it comes from configuration, or with SQLite from a key file
// in the data directory. Every ciphertext is bound to the row that holds it
// (tenant, purpose, row id) as additional data, so a ciphertext copied into
// another row does not open.
package secrets

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/store"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrDecrypt means a ciphertext did not open: it was altered, belongs
	// to another row, or its data key is gone. Callers must not retry.
	ErrDecrypt = errors.New("secrets: ciphertext does not open for this row")
	// ErrUnknownKEK means a data key is wrapped by a key-encryption key that
	// is neither the current nor a previous key in configuration.
	ErrUnknownKEK = errors.New("secrets: data key wrapped by a key-encryption key that is not configured")
)

// KeySize is the length of key-encryption and data keys (AES-256).
const KeySize = 32

// KEK is a key-encryption key from configuration.
type KEK struct {
	// ID names the key; data keys record which KEK wraps them.
	ID string
	// Key is the 32-byte AES-256 key.
	Key []byte
}

// Keyring is the configured KEKs: Current wraps new data keys; Previous
// still unwrap data keys that have not been rotated yet.
type Keyring struct {
	Current  KEK
	Previous []KEK
}

// Validate checks key sizes and that IDs are present and distinct.
func (r Keyring) Validate() error {
	seen := map[string]bool{}
	for _, k := range append([]KEK{r.Current}, r.Previous...) {
		if k.ID == "" {
			return errors.New("secrets: a key-encryption key has no ID")
		}
		if len(k.Key) != KeySize {
			return fmt.Errorf("secrets: key-encryption key %q is %d bytes, want %d", k.ID, len(k.Key), KeySize)
		}
		if seen[k.ID] {
			return fmt.Errorf("secrets: key-encryption key ID %q appears twice", k.ID)
		}
		seen[k.ID] = true
	}
	return nil
}

func (r Keyring) find(id string) (KEK, bool) {
	if r.Current.ID == id {
		return r.Current, true
	}
	i := slices.IndexFunc(r.Previous, func(k KEK) bool { return k.ID == id })
	if i < 0 {
		return KEK{}, false
	}
	return r.Previous[i], true
}

// Binding is the row a ciphertext belongs to. All three parts are
// authenticated: opening with any other binding fails with ErrDecrypt.
type Binding struct {
	// Tenant is the owning tenant's ID ("" for instance-wide secrets).
	Tenant string
	// Purpose names what the secret is, e.g. "oidc.signing-key".
	Purpose string
	// Row is the ID of the row that stores the ciphertext.
	Row string
}

// Service seals and opens secrets. It is safe for concurrent use.
//
// Seal never touches the database: the active data key is created (or
// found) by New. Open reads a data key from the store only the first time
// it meets one created elsewhere, through the transaction it is given.
type Service struct {
	st    store.Store
	ring  Keyring
	clock clock.Clock

	mu     sync.RWMutex
	keys   map[string][]byte // data key ID → unwrapped key
	active string            // data key used by Seal
	macKey []byte            // key of MAC, fixed after New
}

// New loads the data keys, unwrapping them with ring, and makes sure a data
// key wrapped by the current KEK exists for Seal. It fails with
// ErrUnknownKEK when a stored data key is wrapped by a KEK not in ring (the
// configuration lost a key that data still needs).
func New(ctx context.Context, st store.Store, ring Keyring, clk clock.Clock) (*Service, error) {
	if err := ring.Validate(); err != nil {
		return nil, err
	}
	s := &Service{st: st, ring: ring, clock: clk, keys: map[string][]byte{}}
	err := st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		rows, err := loadDataKeys(ctx, tx)
		if err != nil {
			return err
		}
		var newest time.Time
		for _, r := range rows {
			key, err := s.unwrap(r)
			if err != nil {
				return err
			}
			s.keys[r.id] = key
			if r.kekID == ring.Current.ID && (s.active == "" || r.created.After(newest)) {
				s.active, newest = r.id, r.created
			}
		}
		if s.active != "" {
			return nil
		}
		id, key, err := s.createDataKey(ctx, tx)
		if err != nil {
			return err
		}
		s.keys[id], s.active = key, id
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("secrets: load data keys: %w", err)
	}
	if err := s.loadMACKey(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Seal encrypts plaintext for the row named by b.
func (s *Service) Seal(b Binding, plaintext []byte) ([]byte, error) {
	s.mu.RLock()
	id, key := s.active, s.keys[s.active]
	s.mu.RUnlock()
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, 2+len(id)+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out = append(out, formatV1, byte(len(id)))
	out = append(out, id...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("secrets: nonce: %w", err)
	}
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plaintext, additionalData(id, b)), nil
}

// Open decrypts a ciphertext made by Seal for the same binding. tx is the
// caller's transaction, used only to load a data key this node has not
// seen; nil lets Open start its own read transaction (never pass nil from
// inside a transaction: that fails with store.ErrNestedTx).
func (s *Service) Open(ctx context.Context, tx store.Tx, b Binding, ciphertext []byte) ([]byte, error) {
	id, nonceAndCT, err := parse(ciphertext)
	if err != nil {
		return nil, err
	}
	key, err := s.dataKey(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(nonceAndCT) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrDecrypt
	}
	nonce, ct := nonceAndCT[:aead.NonceSize()], nonceAndCT[aead.NonceSize():]
	pt, err := aead.Open(nil, nonce, ct, additionalData(id, b))
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// ActiveKEK reports the KEK that wraps the data key Seal uses now.
func (s *Service) ActiveKEK() string { return s.ring.Current.ID }

// dataKey returns an unwrapped data key, loading it on a cache miss.
func (s *Service) dataKey(ctx context.Context, tx store.Tx, id string) ([]byte, error) {
	s.mu.RLock()
	key, ok := s.keys[id]
	s.mu.RUnlock()
	if ok {
		return key, nil
	}
	var r dataKeyRow
	load := func(ctx context.Context, tx store.Tx) error {
		var err error
		r, err = loadDataKey(ctx, tx, id)
		return err
	}
	var err error
	if tx != nil {
		err = load(ctx, tx)
	} else {
		err = s.st.View(ctx, load)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: data key %s is missing", ErrDecrypt, id)
	}
	if err != nil {
		return nil, fmt.Errorf("secrets: load data key: %w", err)
	}
	key, err = s.unwrap(r)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.keys[id] = key
	s.mu.Unlock()
	return key, nil
}
