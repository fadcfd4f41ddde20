package factor

import (
	"context"
	"crypto/sha512"
	"encoding/binary"
	"strings"
	"testing"
)

// cheapKDF stands in for argon2id while fuzzing, so that inputs with
// expensive (but in-bounds) parameters do not slow the fuzzer: what is
// fuzzed is the PHC parser. Like argon2id, the key depends on every
// parameter, the salt, the key length and the password.
func cheapKDF(password, salt []byte, a argonParams) []byte {
	h := sha512.New()
	var buf [17]byte
	binary.BigEndian.PutUint32(buf[0:], a.memory)
	binary.BigEndian.PutUint32(buf[4:], a.time)
	buf[8] = a.threads
	binary.BigEndian.PutUint32(buf[9:], uint32(len(salt)))
	binary.BigEndian.PutUint32(buf[13:], uint32(a.keyLen))
	h.Write(buf[:])
	h.Write(salt)
	h.Write(password)
	return h.Sum(nil)[:a.keyLen]
}

func FuzzVerifyEncoded(f *testing.F) {
	p := NewPasswords(1)
	p.kdf = cheapKDF
	// The one valid hash, of "password", with a fixed salt: fuzzing runs
	// in several processes, which must agree on it.
	salt := []byte("0123456789abcdef")
	valid := encode(current(), salt, cheapKDF([]byte("password"), salt, current()))
	if ok, err := p.Verify(context.Background(), valid, "password"); !ok || err != nil {
		f.Fatalf("the valid seed does not verify: %v", err)
	}
	for _, s := range []string{
		valid, valid + "=", valid[:len(valid)-1], strings.Replace(valid, "m=19456", "m=0", 1),
		strings.Replace(valid, "t=2", "t=4294967296", 1), strings.Replace(valid, "p=1", "p=255", 1),
		strings.Replace(valid, "p=1", "p=1,x=2", 1), strings.ReplaceAll(valid, "$", "$$"),
		"$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "$argon2id$v=19$m=8,t=1,p=1$$",
		"$argon2id$v=19$m=+8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "$argon2id$", "", "$", "argon2id",
		"$argon2id$v=19$m=10,t=1,p=1$00000000000$000000000000000000000\r00",
		"$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
	} {
		f.Add(s, "password")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, encoded, password string) {
		ok, err := p.Verify(context.Background(), encoded, password)
		if ok && (err != nil || encoded != valid || password != "password") {
			t.Fatalf("Verify(%q, %q) = true, %v", encoded, password, err)
		}
		a, salt, key, derr := decode(encoded)
		if derr != nil {
			if ok || err == nil {
				t.Fatalf("malformed %q (%v) verified %v with error %v", encoded, derr, ok, err)
			}
			if !p.NeedsRehash(encoded) {
				t.Fatalf("malformed %q does not need a rehash", encoded)
			}
			return
		}
		// What parses is in canonical form: it encodes back to itself.
		if again := encode(a, salt, key); again != encoded {
			t.Fatalf("%q parses, but encodes back as %q", encoded, again)
		}
	})
}
