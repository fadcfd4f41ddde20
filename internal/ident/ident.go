// Package ident makes the opaque, prefixed identifiers of Lintel's records
// ("app_01jd…"): 48 bits of milliseconds then 80 random bits, in lowercase
// Crockford base32, so that IDs sort by creation time and lists can page by
// ID alone.
package ident

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"time"
)

// alphabet is Crockford's base32, lowercase: no i, l, o, u.
const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// Len is the length of the part after the prefix and underscore.
const Len = 26

// New returns prefix + "_" + 26 characters encoding t (milliseconds since
// the Unix epoch) and 80 random bits.
func New(prefix string, t time.Time) string {
	var b [16]byte
	ms := uint64(t.UnixMilli())
	binary.BigEndian.PutUint64(b[:8], ms<<16)
	_, _ = rand.Read(b[6:])
	var sb strings.Builder
	sb.Grow(len(prefix) + 1 + Len)
	sb.WriteString(prefix)
	sb.WriteByte('_')
	// 128 bits as 26 base32 digits: the first digit holds the top 3 bits.
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	var out [Len]byte
	for i := Len - 1; i >= 0; i-- {
		out[i] = alphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	sb.Write(out[:])
	return sb.String()
}

// Valid reports whether s looks like an ID made by New with prefix.
func Valid(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || len(rest) != Len {
		return false
	}
	for i := range len(rest) {
		if !strings.ContainsRune(alphabet, rune(rest[i])) {
			return false
		}
	}
	return rest[0] <= '7'
}
