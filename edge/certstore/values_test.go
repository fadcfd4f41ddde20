package certstore_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/lintel-id/lintel/edge/certstore"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// privateKey returns a fresh PEM-encoded EC private key and its DER body.
func privateKey(t *testing.T) (pemBytes, der []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err = x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), der
}

// raw reads a row of cert_objects as the database holds it.
func raw(t *testing.T, st store.Store, key string) (value []byte, sealed bool) {
	t.Helper()
	err := st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT value, sealed FROM cert_objects WHERE object_key = ?`, key).Scan(&value, &sealed)
	})
	if err != nil {
		t.Fatalf("raw row %s: %v", key, err)
	}
	return value, sealed
}

func testSealsPrivateKeysAtRest(t *testing.T, bk backing) {
	ctx := context.Background()
	s, st := bk.node(t, clock.NewFake(start), certstore.Options{})
	keyPEM, der := privateKey(t)
	site := certmagic.StorageKeys.SitePrivateKey("acme-v02.api.letsencrypt.org-directory", "login.example.com")
	tests := []struct {
		name, key string
		value     []byte
		sealed    bool
	}{
		{"a site's private key", site, keyPEM, true},
		{"an ACME account key", "acme/acme-v02.api.letsencrypt.org-directory/users/ops@example.com/ops.key", keyPEM, true},
		{"a private key set aside as compromised", site + ".compromised", keyPEM, true},
		{"a certificate", certmagic.StorageKeys.SiteCert("ca", "login.example.com"), []byte("-----BEGIN CERTIFICATE-----\n"), false},
		{"metadata", certmagic.StorageKeys.SiteMeta("ca", "login.example.com"), []byte(`{"sans":["login.example.com"]}`), false},
		{"a challenge token", "challenge_tokens/login.example.com.json", []byte(`{"token":"t"}`), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Store(ctx, tc.key, tc.value); err != nil {
				t.Fatal(err)
			}
			got, sealed := raw(t, st, tc.key)
			if sealed != tc.sealed {
				t.Errorf("sealed = %v, want %v", sealed, tc.sealed)
			}
			if tc.sealed && (bytes.Contains(got, []byte("PRIVATE KEY")) || bytes.Contains(got, der) || bytes.Contains(got, tc.value)) {
				t.Error("the private key is readable in the database")
			}
			if !tc.sealed && !bytes.Equal(got, tc.value) {
				t.Errorf("stored %q, want the value as given", got)
			}
			loaded, err := s.Load(ctx, tc.key)
			if err != nil || !bytes.Equal(loaded, tc.value) {
				t.Errorf("Load = %q, %v; want the value stored", loaded, err)
			}
			info, err := s.Stat(ctx, tc.key)
			if err != nil || info.Size != int64(len(tc.value)) {
				t.Errorf("Stat = %+v, %v; want the size before sealing, %d", info, err, len(tc.value))
			}
		})
	}
}

func testRefusesASealedValueMovedToAnotherKey(t *testing.T, bk backing) {
	ctx := context.Background()
	s, st := bk.node(t, clock.NewFake(start), certstore.Options{})
	keyPEM, _ := privateKey(t)
	if err := s.Store(ctx, "certificates/ca/a.example/a.example.key", keyPEM); err != nil {
		t.Fatal(err)
	}
	if err := s.Store(ctx, "certificates/ca/b.example/b.example.key", []byte("b's key")); err != nil {
		t.Fatal(err)
	}
	value, _ := raw(t, st, "certificates/ca/a.example/a.example.key")
	err := st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE cert_objects SET value = ? WHERE object_key = ?`, value, "certificates/ca/b.example/b.example.key")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Load(ctx, "certificates/ca/b.example/b.example.key"); !errors.Is(err, secrets.ErrDecrypt) {
		t.Fatalf("Load of a key moved from another row = %q, %v; want secrets.ErrDecrypt", got, err)
	}
}

func testOpensKeysSealedByAnotherNode(t *testing.T, bk backing) {
	ctx := context.Background()
	a, _ := bk.node(t, clock.NewFake(start), certstore.Options{})
	keyPEM, _ := privateKey(t)
	if err := a.Store(ctx, "acme/ca/users/x/x.key", keyPEM); err != nil {
		t.Fatal(err)
	}
	b, _ := bk.node(t, clock.NewFake(start), certstore.Options{})
	if got, err := b.Load(ctx, "acme/ca/users/x/x.key"); err != nil || !bytes.Equal(got, keyPEM) {
		t.Fatalf("Load on the other node = %q, %v", got, err)
	}
}

func testRefusesInvalidKeys(t *testing.T, bk backing) {
	ctx := context.Background()
	s, _ := bk.node(t, clock.NewFake(start), certstore.Options{})
	for _, key := range []string{"", "/", "//", "a\x00b", "bad\xffutf8"} {
		if err := s.Store(ctx, key, []byte("v")); !errors.Is(err, certstore.ErrInvalidKey) {
			t.Errorf("Store(%q): %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Load(ctx, key); !errors.Is(err, certstore.ErrInvalidKey) {
			t.Errorf("Load(%q): %v, want ErrInvalidKey", key, err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, certstore.ErrInvalidKey) {
			t.Errorf("Delete(%q): %v, want ErrInvalidKey", key, err)
		}
	}
	if _, err := s.List(ctx, "a\x00", false); !errors.Is(err, certstore.ErrInvalidKey) {
		t.Errorf("List of a key with NUL: %v, want ErrInvalidKey", err)
	}
}

func testRefusesPathConflicts(t *testing.T, bk backing) {
	ctx := context.Background()
	s, _ := bk.node(t, clock.NewFake(start), certstore.Options{})
	for _, k := range []string{"file", "dir/value"} {
		if err := s.Store(ctx, k, []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	for _, key := range []string{"file/below", "file/a/b", "dir"} {
		if err := s.Store(ctx, key, []byte("x")); !errors.Is(err, certstore.ErrPathConflict) {
			t.Errorf("Store(%q): %v, want ErrPathConflict", key, err)
		}
	}
}

func testCancelledContextChangesNothing(t *testing.T, bk backing) {
	s, _ := bk.node(t, clock.NewFake(start), certstore.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Store(ctx, "a/b.key", []byte("v")); !errors.Is(err, context.Canceled) {
		t.Errorf("Store: %v, want context.Canceled", err)
	}
	if _, err := s.Load(ctx, "a/b.key"); !errors.Is(err, context.Canceled) {
		t.Errorf("Load: %v, want context.Canceled", err)
	}
	if _, err := s.List(ctx, "a", true); !errors.Is(err, context.Canceled) {
		t.Errorf("List: %v, want context.Canceled", err)
	}
	if s.Exists(ctx, "a") {
		t.Error("Exists with a cancelled context reported true")
	}
	if _, err := s.Load(context.Background(), "a/b.key"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load after a cancelled Store: %v, want fs.ErrNotExist", err)
	}
}

func testStatReadsTheInjectedClock(t *testing.T, bk backing) {
	ctx := context.Background()
	clk := clock.NewFake(start.Add(123456789 * time.Nanosecond))
	s, _ := bk.node(t, clk, certstore.Options{})
	if err := s.Store(ctx, "dir/old", []byte("v")); err != nil {
		t.Fatal(err)
	}
	first := clk.Now().Truncate(time.Microsecond)
	newer := clk.Advance(time.Hour).Truncate(time.Microsecond)
	if err := s.Store(ctx, "dir/sub/new", []byte("v")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key      string
		terminal bool
		modified time.Time
	}{
		{"dir/old", true, first},
		{"dir/sub/new", true, newer},
		{"dir", false, newer},
		{"dir/sub", false, newer},
	}
	for _, tc := range tests {
		info, err := s.Stat(ctx, tc.key)
		if err != nil {
			t.Fatal(err)
		}
		if info.IsTerminal != tc.terminal || !info.Modified.Equal(tc.modified) {
			t.Errorf("Stat(%q) = {IsTerminal %v, Modified %v}, want {%v, %v}", tc.key, info.IsTerminal, info.Modified, tc.terminal, tc.modified)
		}
	}
}
