package secrets

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ParseKEK parses a key-encryption key written "ID:BASE64": an ID matching
// [a-z0-9][a-z0-9_-]{0,31}, a colon, and KeySize bytes in padded standard
// base64. Errors never contain the key material, nor an ID that failed to
// parse (it may be material pasted in the wrong place).
func ParseKEK(s string) (KEK, error) {
	id, material, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return KEK{}, errors.New("key must be written as ID:BASE64")
	}
	if !validKEKID(id) {
		return KEK{}, errors.New("the key ID before the colon must match [a-z0-9][a-z0-9_-]{0,31}")
	}
	key, err := base64.StdEncoding.Strict().DecodeString(material)
	if err != nil {
		return KEK{}, fmt.Errorf("key %q: material is not padded standard base64", id)
	}
	if len(key) != KeySize {
		return KEK{}, fmt.Errorf("key %q: material is %d bytes, want %d", id, len(key), KeySize)
	}
	return KEK{ID: id, Key: key}, nil
}

func validKEKID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for i, r := range id {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
		case (r == '_' || r == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// String writes k in the form ParseKEK reads. It holds key material: never
// log it.
func (k KEK) String() string { return k.ID + ":" + base64.StdEncoding.EncodeToString(k.Key) }

// GenerateKEK makes a random KEK with a dated ID.
func GenerateKEK(now time.Time) (KEK, error) {
	var tag [3]byte
	key := make([]byte, KeySize)
	if _, err := rand.Read(tag[:]); err != nil {
		return KEK{}, err
	}
	if _, err := rand.Read(key); err != nil {
		return KEK{}, err
	}
	return KEK{ID: "k" + now.UTC().Format("20060102") + "-" + hex.EncodeToString(tag[:]), Key: key}, nil
}

// KeyFileName is the KEK file Lintel keeps in the data directory when the
// store is SQLite and no key is configured.
const KeyFileName = "secrets.keys"

// LoadKeyFile reads a keyring file: one "ID:BASE64" per line, the current
// key first, then previous keys; '#' starts a comment line. The file must
// not be readable by group or others.
func LoadKeyFile(path string) (Keyring, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Keyring{}, fmt.Errorf("secrets: key file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return Keyring{}, fmt.Errorf("secrets: key file %s is accessible to other users (mode %#o); run chmod 600 on it", path, st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Keyring{}, fmt.Errorf("secrets: key file: %w", err)
	}
	var ring Keyring
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := ParseKEK(line)
		if err != nil {
			return Keyring{}, fmt.Errorf("secrets: key file %s line %d: %w", path, n, err)
		}
		if ring.Current.ID == "" {
			ring.Current = k
		} else {
			ring.Previous = append(ring.Previous, k)
		}
	}
	if ring.Current.ID == "" {
		return Keyring{}, fmt.Errorf("secrets: key file %s holds no key", path)
	}
	if err := ring.Validate(); err != nil {
		return Keyring{}, fmt.Errorf("secrets: key file %s: %w", path, err)
	}
	return ring, nil
}

// LoadOrCreateKeyFile reads the key file, creating it with a new key the
// first time. created reports whether it did.
func LoadOrCreateKeyFile(path string, now time.Time) (ring Keyring, created bool, err error) {
	ring, err = LoadKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return ring, false, err
	}
	k, err := GenerateKEK(now)
	if err != nil {
		return Keyring{}, false, err
	}
	ring = Keyring{Current: k}
	if err := writeKeyFile(path, ring, true); err != nil {
		return Keyring{}, false, err
	}
	return ring, true, nil
}

// RotateKeyFile puts a new current key at the top of the key file, keeping
// the old ones as previous keys, and returns the new keyring.
func RotateKeyFile(path string, now time.Time) (Keyring, error) {
	ring, err := LoadKeyFile(path)
	if err != nil {
		return Keyring{}, err
	}
	k, err := GenerateKEK(now)
	if err != nil {
		return Keyring{}, err
	}
	ring = Keyring{Current: k, Previous: append([]KEK{ring.Current}, ring.Previous...)}
	if err := writeKeyFile(path, ring, false); err != nil {
		return Keyring{}, err
	}
	return ring, nil
}

// writeKeyFile writes atomically (temporary file, fsync, rename) so a crash
// never leaves a half-written key file.
func writeKeyFile(path string, ring Keyring, exclusive bool) error {
	var b strings.Builder
	b.WriteString("# Lintel key-encryption keys: current first, then previous.\n")
	b.WriteString("# Losing this file loses every stored secret. Back it up; keep it private.\n")
	for _, k := range append([]KEK{ring.Current}, ring.Previous...) {
		b.WriteString(k.String())
		b.WriteByte('\n')
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".secrets-*.tmp")
	if err != nil {
		return fmt.Errorf("secrets: write key file in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("secrets: key file: %w", err)
	}
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return fmt.Errorf("secrets: key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("secrets: key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("secrets: key file: %w", err)
	}
	if exclusive {
		// Link fails if another process created the file meanwhile.
		if err := os.Link(tmp.Name(), path); err != nil {
			return fmt.Errorf("secrets: create key file: %w", err)
		}
		return nil
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("secrets: replace key file: %w", err)
	}
	return nil
}
