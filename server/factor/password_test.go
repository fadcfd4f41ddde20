package factor

import (
	"context"
	"encoding/base64"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/lintel-id/lintel/internal/invalid"
)

// counting wraps the real argon2id and counts its runs and their params.
type counting struct {
	n      atomic.Int64
	mu     sync.Mutex
	params []argonParams
}

func (c *counting) install(p *Passwords) *Passwords {
	p.kdf = func(password, salt []byte, a argonParams) []byte {
		c.n.Add(1)
		c.mu.Lock()
		c.params = append(c.params, a)
		c.mu.Unlock()
		return idKey(password, salt, a)
	}
	return p
}

func mustHash(t testing.TB, p *Passwords, password string) string {
	t.Helper()
	h, err := p.Hash(context.Background(), password)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHashVerify(t *testing.T) {
	p := NewPasswords(0)
	const password = "correct horse battery staple"
	h := mustHash(t, p, password)
	for _, tc := range []struct {
		name, password string
		want           bool
	}{
		{"accepts the right password", password, true},
		{"refuses a wrong password", "incorrect horse battery staple", false},
		{"refuses the password in another case", strings.ToUpper(password), false},
		{"refuses a prefix of the password", password[:10], false},
		{"refuses the password with a trailing space", password + " ", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := p.Verify(context.Background(), h, tc.password)
			if err != nil || ok != tc.want {
				t.Fatalf("Verify = %v, %v; want %v, nil", ok, err, tc.want)
			}
		})
	}
}

func TestHashFormat(t *testing.T) {
	p := NewPasswords(1)
	a, b := mustHash(t, p, "hunter2"), mustHash(t, p, "hunter2")
	if a == b {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for _, h := range []string{a, b} {
		rest, ok := strings.CutPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$")
		if !ok {
			t.Fatalf("hash %q does not start with the current PHC parameters", h)
		}
		salt, key, _ := strings.Cut(rest, "$")
		if s, err := base64.RawStdEncoding.DecodeString(salt); err != nil || len(s) != 16 {
			t.Errorf("salt %q: %d bytes, %v; want 16", salt, len(s), err)
		}
		if k, err := base64.RawStdEncoding.DecodeString(key); err != nil || len(k) != 32 {
			t.Errorf("key %q: %d bytes, %v; want 32", key, len(k), err)
		}
		if p.NeedsRehash(h) {
			t.Errorf("a fresh hash needs a rehash")
		}
	}
}

// phc builds a PHC string independently of encode.
func phc(m, t uint32, threads uint8, salt []byte, password string, keyLen uint32) string {
	key := argon2.IDKey([]byte(password), salt, t, m, threads, keyLen)
	return "$argon2id$v=19$m=" + itoa(m) + ",t=" + itoa(t) + ",p=" + itoa(uint32(threads)) + "$" +
		base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key)
}

func itoa(n uint32) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + itoa(n%10)
}

func TestVerifyTakesParamsFromTheHash(t *testing.T) {
	p := NewPasswords(2)
	salt := []byte("0123456789abcdefghij")
	for _, tc := range []struct {
		name    string
		encoded string
	}{
		{"verifies older, cheaper parameters", phc(8192, 1, 1, salt[:16], "pw", 32)},
		{"verifies several lanes", phc(8192, 1, 2, salt[:16], "pw", 32)},
		{"verifies a longer salt and key", phc(4096, 3, 1, salt, "pw", 64)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := p.Verify(context.Background(), tc.encoded, "pw")
			if !ok || err != nil {
				t.Fatalf("Verify(%q) = %v, %v; want true", tc.encoded, ok, err)
			}
			if ok, _ := p.Verify(context.Background(), tc.encoded, "PW"); ok {
				t.Fatal("wrong password accepted")
			}
			if !p.NeedsRehash(tc.encoded) {
				t.Fatal("a hash with other parameters does not need a rehash")
			}
		})
	}
}

func TestVerifyRefusesTamperedHashes(t *testing.T) {
	p := NewPasswords(0)
	h := mustHash(t, p, "pw")
	i := strings.LastIndexByte(h, '$')
	key, err := base64.RawStdEncoding.DecodeString(h[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	flip := func(s string, at int) string {
		c := byte('A')
		if s[at] == 'A' {
			c = 'B'
		}
		return s[:at] + string(c) + s[at+1:]
	}
	for _, tc := range []struct {
		name      string
		encoded   string
		malformed bool
	}{
		{"refuses a changed hash byte", flip(h, i+5), false},
		{"refuses a changed salt byte", flip(h, i-5), false},
		{"refuses changed memory", strings.Replace(h, "m=19456", "m=19457", 1), false},
		{"refuses changed passes", strings.Replace(h, "t=2", "t=3", 1), false},
		{"refuses a shortened key", h[:i+1] + base64.RawStdEncoding.EncodeToString(key[:len(key)-1]), false},
		{"refuses a truncated string", h[:len(h)-10], true},
		{"refuses another variant", strings.Replace(h, "argon2id", "argon2i", 1), true},
		{"refuses another version", strings.Replace(h, "v=19", "v=16", 1), true},
		{"refuses base64 padding", h + "=", true},
		{"refuses zero passes", strings.Replace(h, "t=2", "t=0", 1), true},
		{"refuses a leading zero", strings.Replace(h, "t=2", "t=02", 1), true},
		{"refuses memory beyond the bound", strings.Replace(h, "m=19456", "m=4194304", 1), true},
		{"refuses memory below 8 KiB per lane", strings.Replace(h, "m=19456,t=2,p=1", "m=8,t=2,p=2", 1), true},
		{"refuses reordered parameters", strings.Replace(h, "m=19456,t=2,p=1", "t=2,m=19456,p=1", 1), true},
		{"refuses an empty string", "", true},
		{"refuses a bcrypt hash", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := p.Verify(context.Background(), tc.encoded, "pw")
			if ok {
				t.Fatal("a tampered hash verified")
			}
			if got := errors.Is(err, ErrMalformedHash); got != tc.malformed {
				t.Fatalf("error %v: malformed %v, want %v", err, got, tc.malformed)
			}
			if !tc.malformed && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tc.malformed && !p.NeedsRehash(tc.encoded) {
				t.Fatal("a malformed hash does not need a rehash")
			}
		})
	}
}

func TestPasswordLimits(t *testing.T) {
	var c counting
	p := c.install(NewPasswords(1))
	h := mustHash(t, NewPasswords(1), "pw")
	long := strings.Repeat("x", MaxPasswordLen+1)
	for _, tc := range []struct {
		name     string
		password string
		want     error
	}{
		{"refuses an empty password", "", ErrPasswordEmpty},
		{"refuses a password over 1024 bytes", long, ErrPasswordTooLong},
		{"counts bytes, not characters", strings.Repeat("é", MaxPasswordLen/2+1), ErrPasswordTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Hash(context.Background(), tc.password)
			if !errors.Is(err, tc.want) || len(invalid.All(err)) != 1 || invalid.All(err)[0].Field != "password" {
				t.Fatalf("Hash: %v, want %v with a password field error", err, tc.want)
			}
			ok, err := p.Verify(context.Background(), h, tc.password)
			if ok || !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, %v; want false, %v", ok, err, tc.want)
			}
			p.VerifyDummy(context.Background(), tc.password)
			if n := c.n.Load(); n != 0 {
				t.Fatalf("refused passwords were hashed %d times", n)
			}
		})
	}
	t.Run("accepts exactly 1024 bytes", func(t *testing.T) {
		max := strings.Repeat("y", MaxPasswordLen)
		if ok, err := p.Verify(context.Background(), mustHash(t, p, max), max); !ok || err != nil {
			t.Fatalf("Verify = %v, %v", ok, err)
		}
	})
}

func TestVerifyDummyRunsArgon2(t *testing.T) {
	var c counting
	p := c.install(NewPasswords(1))
	p.VerifyDummy(context.Background(), "anything")
	if c.n.Load() != 1 || c.params[0] != current() {
		t.Fatalf("VerifyDummy ran argon2 %d times with %+v, want once with %+v", c.n.Load(), c.params, current())
	}
	// A real verification of a current hash runs the same computation.
	h := mustHash(t, NewPasswords(1), "pw")
	if _, err := p.Verify(context.Background(), h, "anything"); err != nil {
		t.Fatal(err)
	}
	if c.n.Load() != 2 || c.params[1] != c.params[0] {
		t.Fatalf("Verify ran %+v, VerifyDummy %+v", c.params[1:], c.params[0])
	}
}

func TestNewPasswordsDefaultsToNumCPU(t *testing.T) {
	for _, tc := range []struct{ in, want int }{{0, runtime.NumCPU()}, {-3, runtime.NumCPU()}, {5, 5}} {
		if got := NewPasswords(tc.in).MaxInFlight(); got != tc.want {
			t.Errorf("NewPasswords(%d).MaxInFlight() = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func BenchmarkHash(b *testing.B) {
	p := NewPasswords(0)
	ctx := context.Background()
	for b.Loop() {
		if _, err := p.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
