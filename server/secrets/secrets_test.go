package secrets

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func kek(t testing.TB) KEK {
	t.Helper()
	k, err := GenerateKEK(now)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newService(t testing.TB, st store.Store, ring Keyring) *Service {
	t.Helper()
	s, err := New(context.Background(), st, ring, clock.NewFake(now))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func kekOf(t testing.TB, st store.Store, ct []byte) string {
	t.Helper()
	id, _, err := parse(ct)
	if err != nil {
		t.Fatal(err)
	}
	var kekID string
	if err := st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT kek_id FROM secret_data_keys WHERE id = ?`, id).Scan(&kekID)
	}); err != nil {
		t.Fatal(err)
	}
	return kekID
}

func TestSecrets(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range []struct {
				name string
				fn   func(t *testing.T, open storetest.Opener)
			}{
				{"round-trips a secret", testRoundTrip},
				{"refuses a ciphertext bound to another row", testBinding},
				{"refuses swapped ciphertexts of two rows", testSwap},
				{"refuses a tampered ciphertext", testTamper},
				{"rotation keeps old ciphertexts open and seals new ones under the new KEK", testRotation},
				{"refuses to start without the KEK a data key needs", testMissingKEK},
				{"opens a ciphertext sealed by another node inside a transaction", testOtherNode},
			} {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, b.New(t)) })
			}
		})
	}
}

func testRoundTrip(t *testing.T, open storetest.Opener) {
	st := open(t)
	s := newService(t, st, Keyring{Current: kek(t)})
	row := Binding{Tenant: "t1", Purpose: "oidc.signing-key", Row: "key-1"}
	for _, pt := range [][]byte{[]byte("hunter2"), {}, bytes.Repeat([]byte{0}, 10000)} {
		ct, err := s.Seal(row, pt)
		if err != nil {
			t.Fatal(err)
		}
		if len(pt) > 4 && bytes.Contains(ct, pt) {
			t.Fatal("ciphertext contains the plaintext")
		}
		got, err := s.Open(context.Background(), nil, row, ct)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatalf("opened %q, sealed %q", got, pt)
		}
	}
	a, _ := s.Seal(row, []byte("same"))
	b, _ := s.Seal(row, []byte("same"))
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are identical (nonce reuse)")
	}
}

func testBinding(t *testing.T, open storetest.Opener) {
	s := newService(t, open(t), Keyring{Current: kek(t)})
	row := Binding{Tenant: "t1", Purpose: "idp.client-secret", Row: "idp-1"}
	ct, err := s.Seal(row, []byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []Binding{
		{Tenant: "t2", Purpose: row.Purpose, Row: row.Row},
		{Tenant: row.Tenant, Purpose: "smtp.password", Row: row.Row},
		{Tenant: row.Tenant, Purpose: row.Purpose, Row: "idp-2"},
		// Field boundaries are length-prefixed: shifting bytes across
		// fields must not produce the same binding.
		{Tenant: "t1idp", Purpose: ".client-secret", Row: "idp-1"},
	} {
		if _, err := s.Open(context.Background(), nil, other, ct); !errors.Is(err, ErrDecrypt) {
			t.Errorf("opened with %+v: %v, want ErrDecrypt", other, err)
		}
	}
}

func testSwap(t *testing.T, open storetest.Opener) {
	st := open(t)
	s := newService(t, st, Keyring{Current: kek(t)})
	ctx := context.Background()
	rowA := Binding{Tenant: "t1", Purpose: "hook.secret", Row: "a"}
	rowB := Binding{Tenant: "t1", Purpose: "hook.secret", Row: "b"}
	ctA, _ := s.Seal(rowA, []byte("secret-a"))
	ctB, _ := s.Seal(rowB, []byte("secret-b"))
	// An attacker with write access to the database swaps the two rows'
	// ciphertexts hoping each row decrypts the other's secret.
	if _, err := s.Open(ctx, nil, rowA, ctB); !errors.Is(err, ErrDecrypt) {
		t.Errorf("row a opened row b's ciphertext: %v", err)
	}
	if _, err := s.Open(ctx, nil, rowB, ctA); !errors.Is(err, ErrDecrypt) {
		t.Errorf("row b opened row a's ciphertext: %v", err)
	}
}

func testTamper(t *testing.T, open storetest.Opener) {
	s := newService(t, open(t), Keyring{Current: kek(t)})
	row := Binding{Purpose: "p", Row: "r"}
	ct, _ := s.Seal(row, []byte("value"))
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x01
		if _, err := s.Open(context.Background(), nil, row, bad); err == nil {
			t.Fatalf("flipping byte %d still opened", i)
		}
	}
	for _, bad := range [][]byte{nil, {formatV1}, ct[:len(ct)-1], append([]byte{9}, ct[1:]...)} {
		if _, err := s.Open(context.Background(), nil, row, bad); !errors.Is(err, ErrDecrypt) {
			t.Errorf("malformed %x: %v, want ErrDecrypt", bad, err)
		}
	}
}

func testRotation(t *testing.T, open storetest.Opener) {
	st := open(t)
	ctx := context.Background()
	oldK, newK := kek(t), kek(t)
	row := Binding{Tenant: "t", Purpose: "totp.seed", Row: "u1"}
	old := newService(t, st, Keyring{Current: oldK})
	ctOld, _ := old.Seal(row, []byte("old secret"))

	// The operator makes a new key current and keeps the old one previous.
	s := newService(t, st, Keyring{Current: newK, Previous: []KEK{oldK}})
	ctNew, _ := s.Seal(row, []byte("new secret"))
	if got := kekOf(t, st, ctNew); got != newK.ID {
		t.Fatalf("new ciphertext's data key is wrapped by %q, want the new KEK %q", got, newK.ID)
	}
	if got, err := s.Open(ctx, nil, row, ctOld); err != nil || string(got) != "old secret" {
		t.Fatalf("old ciphertext after key change: %q, %v", got, err)
	}
	rep, err := s.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rewrapped != 1 || rep.Total != 2 {
		t.Fatalf("rotate report %+v, want 1 of 2 re-wrapped", rep)
	}
	if got := kekOf(t, st, ctOld); got != newK.ID {
		t.Fatalf("old data key still wrapped by %q after rotation", got)
	}
	// After rotation the old KEK can leave the configuration.
	only := newService(t, st, Keyring{Current: newK})
	for _, c := range []struct {
		ct   []byte
		want string
	}{{ctOld, "old secret"}, {ctNew, "new secret"}} {
		if got, err := only.Open(ctx, nil, row, c.ct); err != nil || string(got) != c.want {
			t.Fatalf("after rotation: %q, %v; want %q", got, err, c.want)
		}
	}
	if rep, err := only.Rotate(ctx); err != nil || rep.Rewrapped != 0 {
		t.Fatalf("second rotation: %+v, %v; want nothing to do", rep, err)
	}
}

func testMissingKEK(t *testing.T, open storetest.Opener) {
	st := open(t)
	newService(t, st, Keyring{Current: kek(t)})
	_, err := New(context.Background(), st, Keyring{Current: kek(t)}, clock.NewFake(now))
	if !errors.Is(err, ErrUnknownKEK) {
		t.Fatalf("got %v, want ErrUnknownKEK", err)
	}
}

func testOtherNode(t *testing.T, open storetest.Opener) {
	k, k2 := kek(t), kek(t)
	st1, st2 := open(t), open(t)
	// Node 2 starts first and knows k2 only as a previous key (the rollout
	// order for a new KEK); node 1 then starts with k2 current and makes a
	// data key node 2 has never seen.
	n2 := newService(t, st2, Keyring{Current: k, Previous: []KEK{k2}})
	n1 := newService(t, st1, Keyring{Current: k2, Previous: []KEK{k}})
	row := Binding{Purpose: "p", Row: "r"}
	ct, _ := n1.Seal(row, []byte("from node 1"))
	if got := kekOf(t, st1, ct); got != k2.ID {
		t.Fatalf("node 1 sealed under %q, want %q", got, k2.ID)
	}
	err := st2.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		got, err := n2.Open(ctx, tx, row, ct)
		if err != nil {
			return err
		}
		if string(got) != "from node 1" {
			t.Errorf("got %q", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, KeyFileName)
	ring, created, err := LoadOrCreateKeyFile(path, now)
	if err != nil || !created {
		t.Fatalf("create: %v, created=%v", err, created)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %#o, want 0600", st.Mode().Perm())
	}
	again, created, err := LoadOrCreateKeyFile(path, now)
	if err != nil || created || again.Current.ID != ring.Current.ID || !bytes.Equal(again.Current.Key, ring.Current.Key) {
		t.Fatalf("reload: %v, created=%v", err, created)
	}
	rotated, err := RotateKeyFile(path, now)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.Current.ID == ring.Current.ID || len(rotated.Previous) != 1 || rotated.Previous[0].ID != ring.Current.ID {
		t.Fatalf("rotated ring %v, %v", rotated.Current.ID, rotated.Previous)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key file: %v", err)
	}
}

func TestParseKEK(t *testing.T) {
	good := kek(t)
	material := good.String()[len(good.ID)+1:]
	cases := []struct {
		name, in string
		ok       bool
	}{
		{"accepts ID:BASE64 of 32 bytes", good.String(), true},
		{"refuses a missing colon", "abc", false},
		{"refuses an uppercase ID", "ABC:" + material, false},
		{"refuses short material", "k1:" + material[:20], false},
		{"refuses non-base64 material", "k1:!!!" + material[3:], false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseKEK(c.in)
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%v", err, c.ok)
			}
			if err != nil && strings.Contains(err.Error(), material[:16]) {
				t.Fatalf("error leaks key material: %v", err)
			}
		})
	}
}

// FuzzOpen feeds arbitrary bytes as a stored ciphertext: Open must fail
// cleanly, never panic, and never "succeed" on garbage.
func FuzzOpen(f *testing.F) {
	st := storetest.SQLite().Open(f)
	s := newService(f, st, Keyring{Current: kek(f)})
	row := Binding{Purpose: "p", Row: "r"}
	ct, _ := s.Seal(row, []byte("seed"))
	f.Add(ct)
	f.Add([]byte{formatV1, 3, 'a', 'b', 'c'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := s.Open(context.Background(), nil, row, data)
		if err == nil && !bytes.Equal(data, ct) {
			t.Fatalf("bytes other than the sealed ciphertext opened to %q", got)
		}
	})
}

func TestMAC(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			open := b.New(t)
			k := kek(t)
			a := newService(t, open(t), Keyring{Current: k})
			c := newService(t, open(t), Keyring{Current: k}) // a second node
			tok := []byte("lmgt_example")
			if !bytes.Equal(a.MAC("mgmt.token", tok), c.MAC("mgmt.token", tok)) {
				t.Fatal("two nodes disagree on a MAC")
			}
			if bytes.Equal(a.MAC("mgmt.token", tok), a.MAC("app.secret", tok)) {
				t.Fatal("different purposes give the same MAC")
			}
			if bytes.Equal(a.MAC("p", []byte("a")), a.MAC("p", []byte("b"))) {
				t.Fatal("different values give the same MAC")
			}
		})
	}
}
