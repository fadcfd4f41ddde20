package certstoretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
)

// privateKeyPEM is shaped like a private key certmagic stores, under a
// key name an implementation may treat specially (seal).
const privateKeyPEM = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBm2P0ntq0certstoretestnotarealkeyAoGCCqGSM49AwEHoUQDQgAE\n-----END EC PRIVATE KEY-----\n"

func store(t *testing.T, s certmagic.Storage, key string, value []byte) {
	t.Helper()
	if err := s.Store(context.Background(), key, value); err != nil {
		t.Fatalf("Store(%q): %v", key, err)
	}
}

func storeAll(t *testing.T, s certmagic.Storage, keys ...string) {
	t.Helper()
	for _, k := range keys {
		store(t, s, k, []byte("value of "+k))
	}
}

func load(t *testing.T, s certmagic.Storage, key string) []byte {
	t.Helper()
	v, err := s.Load(context.Background(), key)
	if err != nil {
		t.Fatalf("Load(%q): %v", key, err)
	}
	return v
}

func expectValue(t *testing.T, s certmagic.Storage, key string, want []byte) {
	t.Helper()
	if got := load(t, s, key); !bytes.Equal(got, want) {
		t.Errorf("Load(%q) = %d bytes %.40q, want %d bytes %.40q", key, len(got), got, len(want), want)
	}
}

func expectExists(t *testing.T, s certmagic.Storage, want bool, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if got := s.Exists(context.Background(), k); got != want {
			t.Errorf("Exists(%q) = %v, want %v", k, got, want)
		}
	}
}

func list(t *testing.T, s certmagic.Storage, path string, recursive bool) []string {
	t.Helper()
	keys, err := s.List(context.Background(), path, recursive)
	if err != nil {
		t.Fatalf("List(%q, %v): %v", path, recursive, err)
	}
	return slices.Sorted(slices.Values(keys))
}

func expectList(t *testing.T, s certmagic.Storage, path string, recursive bool, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	got := list(t, s, path, recursive)
	slices.Sort(want)
	if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("List(%q, %v) = %q, want %q", path, recursive, got, want)
	}
}

func stat(t *testing.T, s certmagic.Storage, key string) certmagic.KeyInfo {
	t.Helper()
	info, err := s.Stat(context.Background(), key)
	if err != nil {
		t.Fatalf("Stat(%q): %v", key, err)
	}
	return info
}

func testRoundTrip(t *testing.T, s certmagic.Storage, _ Quirks) {
	every := make([]byte, 512)
	for i := range every {
		every[i] = byte(i)
	}
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(rand.Uint32())
	}
	tests := []struct {
		name, key string
		value     []byte
	}{
		{"every byte value", "bytes/every", every},
		{"an empty value", "bytes/empty", []byte{}},
		{"a mebibyte", "bytes/big", big},
		{"NUL bytes only", "bytes/nul", make([]byte, 64)},
		{"a private key", "certificates/acme-v02/example.com/example.com.key", []byte(privateKeyPEM)},
		{"an ACME account key", "acme/acme-v02/users/ops_example.com/ops.key", []byte(privateKeyPEM)},
		{"a certificate", "certificates/acme-v02/example.com/example.com.crt", []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")},
		{"metadata JSON", "certificates/acme-v02/example.com/example.com.json", []byte(`{"sans":["example.com"]}`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store(t, s, tc.key, tc.value)
			expectValue(t, s, tc.key, tc.value)
		})
	}
}

func testOverwrite(t *testing.T, s certmagic.Storage, _ Quirks) {
	for _, key := range []string{"site/a.crt", "site/a.key"} {
		store(t, s, key, []byte("a longer first value"))
		store(t, s, key, []byte("second"))
		expectValue(t, s, key, []byte("second"))
		if info := stat(t, s, key); info.Size != int64(len("second")) {
			t.Errorf("Stat(%q).Size = %d after overwriting, want %d", key, info.Size, len("second"))
		}
	}
	expectList(t, s, "site", false, "site/a.crt", "site/a.key")
}

func testMissing(t *testing.T, s certmagic.Storage, q Quirks) {
	ctx := context.Background()
	storeAll(t, s, "present/value")
	keys := []string{"absent", "present/absent", "absent/deeper/still"}
	if !q.KeysUnderValues {
		keys = append(keys, "present/value/below")
	}
	for _, key := range keys {
		t.Run(key, func(t *testing.T) {
			if _, err := s.Load(ctx, key); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Load: %v, want fs.ErrNotExist", err)
			}
			if _, err := s.Stat(ctx, key); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Stat: %v, want fs.ErrNotExist", err)
			}
			for _, rec := range []bool{false, true} {
				if _, err := s.List(ctx, key, rec); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("List(recursive %v): %v, want fs.ErrNotExist", rec, err)
				}
			}
			expectExists(t, s, false, key)
		})
	}
}

func testNormalise(t *testing.T, s certmagic.Storage, _ Quirks) {
	store(t, s, "/dir//sub/value/", []byte("v"))
	expectValue(t, s, "dir/sub/value", []byte("v"))
	expectValue(t, s, "/dir/sub/value", []byte("v"))
	expectValue(t, s, "dir/sub//value", []byte("v"))
	expectList(t, s, "dir/sub", false, "dir/sub/value")
	expectList(t, s, "dir/sub/", false, "dir/sub/value")
	expectExists(t, s, true, "dir/", "/dir/sub")
	if err := s.Delete(context.Background(), "/dir/sub/value/"); err != nil {
		t.Fatal(err)
	}
	expectExists(t, s, false, "dir/sub/value")
}

func testExists(t *testing.T, s certmagic.Storage, q Quirks) {
	storeAll(t, s, "a/b/c", "top")
	expectExists(t, s, true, "a/b/c", "a/b", "a", "top", "")
	expectExists(t, s, false, "a/b/x", "a/bb", "b", "to")
	if !q.KeysUnderValues {
		expectExists(t, s, false, "a/b/c/d", "top/x")
	}
}

func testDeleteValue(t *testing.T, s certmagic.Storage, _ Quirks) {
	storeAll(t, s, "site/a.crt", "site/a.key", "site/a.json")
	if err := s.Delete(context.Background(), "site/a.key"); err != nil {
		t.Fatal(err)
	}
	expectExists(t, s, false, "site/a.key")
	if _, err := s.Load(context.Background(), "site/a.key"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load after Delete: %v, want fs.ErrNotExist", err)
	}
	expectList(t, s, "site", false, "site/a.crt", "site/a.json")
	expectValue(t, s, "site/a.crt", []byte("value of site/a.crt"))
}

func testDeleteDirectory(t *testing.T, s certmagic.Storage, _ Quirks) {
	storeAll(t, s, "certs/ca/example.com/example.com.crt", "certs/ca/example.com/example.com.key",
		"certs/ca/example.com/deeper/x", "certs/ca/example.org/example.org.crt", "certs/other")
	if err := s.Delete(context.Background(), "certs/ca/example.com"); err != nil {
		t.Fatal(err)
	}
	expectExists(t, s, false, "certs/ca/example.com", "certs/ca/example.com/example.com.crt",
		"certs/ca/example.com/example.com.key", "certs/ca/example.com/deeper/x", "certs/ca/example.com/deeper")
	expectList(t, s, "certs", true, "certs/ca", "certs/ca/example.org", "certs/ca/example.org/example.org.crt", "certs/other")
	if err := s.Delete(context.Background(), "certs"); err != nil {
		t.Fatal(err)
	}
	expectExists(t, s, false, "certs", "certs/other", "certs/ca/example.org/example.org.crt")
}

func testDeleteMissing(t *testing.T, s certmagic.Storage, q Quirks) {
	storeAll(t, s, "kept/value")
	keys := []string{"absent", "kept/absent", "absent/dir/value"}
	if !q.KeysUnderValues {
		keys = append(keys, "kept/value/below")
	}
	for _, key := range keys {
		if err := s.Delete(context.Background(), key); err != nil {
			t.Errorf("Delete(%q) of a missing key: %v, want nil", key, err)
		}
	}
	store(t, s, "gone", []byte("x"))
	for range 2 {
		if err := s.Delete(context.Background(), "gone"); err != nil {
			t.Errorf("Delete of a deleted key: %v, want nil", err)
		}
	}
	expectValue(t, s, "kept/value", []byte("value of kept/value"))
}

func testPrefixes(t *testing.T, s certmagic.Storage, _ Quirks) {
	// Siblings that share a name's bytes but not its components, and names
	// with SQL wildcards.
	keys := []string{"a/b/in", "a/bc/out", "a/b-c/out", "a/b.c/out", "a/b0/out", "a/b c/out",
		"p%/in", "pq/out", "p_/in", "pa/out", "x/_/in", "x/y/out"}
	storeAll(t, s, keys...)
	expectList(t, s, "a/b", true, "a/b/in")
	expectList(t, s, "p%", true, "p%/in")
	expectList(t, s, "p_", true, "p_/in")
	expectList(t, s, "x/_", false, "x/_/in")
	expectExists(t, s, false, "a/b/out", "p%/out", "p_/out")
	for _, dir := range []string{"a/b", "p%", "p_", "x/_"} {
		if err := s.Delete(context.Background(), dir); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range keys {
		expectExists(t, s, !strings.HasSuffix(k, "/in"), k)
	}
}

// tree is the layout the listing tests share.
var tree = []string{"a/b/c", "a/b/d", "a/b/e/f", "a/g", "a.h", "a-i/j", "k"}

func testListChildren(t *testing.T, s certmagic.Storage, _ Quirks) {
	storeAll(t, s, tree...)
	expectList(t, s, "a", false, "a/b", "a/g")
	expectList(t, s, "a/b", false, "a/b/c", "a/b/d", "a/b/e")
	expectList(t, s, "a/b/e", false, "a/b/e/f")
	expectList(t, s, "a-i", false, "a-i/j")
}

func testListRecursive(t *testing.T, s certmagic.Storage, _ Quirks) {
	storeAll(t, s, tree...)
	expectList(t, s, "a", true, "a/b", "a/b/c", "a/b/d", "a/b/e", "a/b/e/f", "a/g")
	expectList(t, s, "a/b/e", true, "a/b/e/f")
}

func testListRoot(t *testing.T, s certmagic.Storage, _ Quirks) {
	expectList(t, s, "", false)
	storeAll(t, s, tree...)
	expectList(t, s, "", false, "a", "a.h", "a-i", "k")
	expectList(t, s, "", true, "a", "a/b", "a/b/c", "a/b/d", "a/b/e", "a/b/e/f", "a/g", "a.h", "a-i", "a-i/j", "k")
}

func testListValue(t *testing.T, s certmagic.Storage, _ Quirks) {
	storeAll(t, s, tree...)
	expectList(t, s, "a/g", false)
	expectList(t, s, "k", true)
}

// window is when a value stored between start and end may say it was
// modified, allowing for file systems' coarse timestamps.
func inWindow(got, start, end time.Time) bool {
	return !got.Before(start.Add(-time.Second)) && !got.After(end.Add(time.Second))
}

func testStatValue(t *testing.T, s certmagic.Storage, _ Quirks) {
	for _, key := range []string{"site/a.crt", "site/a.key"} {
		start := time.Now()
		store(t, s, key, []byte(privateKeyPEM))
		end := time.Now()
		info := stat(t, s, key)
		if !info.IsTerminal || info.Key != key || info.Size != int64(len(privateKeyPEM)) {
			t.Errorf("Stat(%q) = {Key %q, IsTerminal %v, Size %d}, want {%q, true, %d}", key, info.Key, info.IsTerminal, info.Size, key, len(privateKeyPEM))
		}
		if !inWindow(info.Modified, start, end) {
			t.Errorf("Stat(%q).Modified = %v, want between %v and %v", key, info.Modified, start, end)
		}
		store(t, s, key, []byte("again"))
		again := stat(t, s, key)
		if again.Modified.Before(info.Modified) || again.Size != 5 {
			t.Errorf("Stat(%q) after overwriting = {Modified %v, Size %d}, want Modified not before %v and Size 5", key, again.Modified, again.Size, info.Modified)
		}
	}
}

func testStatDirectory(t *testing.T, s certmagic.Storage, _ Quirks) {
	storeAll(t, s, "dir/sub/value")
	for _, key := range []string{"dir", "dir/sub", ""} {
		info := stat(t, s, key)
		if info.IsTerminal || info.Key != key {
			t.Errorf("Stat(%q) = {Key %q, IsTerminal %v}, want {%q, false}", key, info.Key, info.IsTerminal, key)
		}
	}
}

func testPathConflict(t *testing.T, s certmagic.Storage, q Quirks) {
	ctx := context.Background()
	storeAll(t, s, "file", "dir/value")
	for _, key := range []string{"file/below", "file/deeper/below", "dir"} {
		if err := s.Store(ctx, key, []byte("x")); err == nil {
			t.Errorf("Store(%q) succeeded, want an error", key)
		}
	}
	expectValue(t, s, "file", []byte("value of file"))
	expectValue(t, s, "dir/value", []byte("value of dir/value"))
	if !q.KeysUnderValues {
		expectExists(t, s, false, "file/below", "file/deeper")
	}
	if info := stat(t, s, "dir"); info.IsTerminal {
		t.Error("dir became a value")
	}
}

func testLoadDirectory(t *testing.T, s certmagic.Storage, _ Quirks) {
	storeAll(t, s, "dir/value")
	if v, err := s.Load(context.Background(), "dir"); err == nil {
		t.Errorf("Load of a directory = %q, want an error", v)
	}
}

func testConcurrentStore(t *testing.T, s certmagic.Storage, _ Quirks) {
	const workers, rounds = 8, 5
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				own := fmt.Sprintf("concurrent/%d.key", w)
				mine := fmt.Appendf(nil, "worker %d round %d", w, r)
				for _, key := range []string{own, "concurrent/shared"} {
					if err := s.Store(ctx, key, mine); err != nil {
						t.Errorf("Store(%q): %v", key, err)
						return
					}
				}
				if got, err := s.Load(ctx, own); err != nil || !bytes.Equal(got, mine) {
					t.Errorf("Load(%q) = %q, %v, want %q", own, got, err, mine)
				}
				if got, err := s.Load(ctx, "concurrent/shared"); err != nil || !bytes.HasPrefix(got, []byte("worker ")) {
					t.Errorf("Load of the shared key = %q, %v, want one worker's whole value", got, err)
				}
			}
		})
	}
	wg.Wait()
	want := []string{"concurrent/shared"}
	for w := range workers {
		want = append(want, fmt.Sprintf("concurrent/%d.key", w))
	}
	expectList(t, s, "concurrent", false, want...)
}
