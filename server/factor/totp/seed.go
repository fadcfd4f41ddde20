package totp

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/pquerna/otp"

	"github.com/lintel-id/lintel/internal/invalid"
)

// Algorithms a seed may use, named as in the key URI format.
const (
	SHA1   = "SHA1"
	SHA256 = "SHA256"
	SHA512 = "SHA512"
)

// algorithms maps each accepted algorithm to pquerna/otp's constant.
// MD5, which pquerna/otp also knows, is refused.
var algorithms = map[string]otp.Algorithm{SHA1: otp.AlgorithmSHA1, SHA256: otp.AlgorithmSHA256, SHA512: otp.AlgorithmSHA512}

// Bounds of a seed's parameters: what RFC 6238 and the apps in use
// support, so that an imported seed cannot ask for something no app
// shows or that makes a code trivial to guess.
const (
	MinKeyBytes = 10  // 80 bits, RFC 4226's minimum
	MaxKeyBytes = 128 // an SHA512 block; longer keys are hashed anyway
	MinDigits   = 6
	MaxDigits   = 8
	MinPeriod   = 10  // seconds
	MaxPeriod   = 300 // seconds
)

// Seed is a TOTP seed and its parameters. New seeds are SHA1, 6 digits,
// 30 s; seeds imported from other systems may differ (see ParseSeed).
// String, GoString and LogValue leave Key out.
type Seed struct {
	// Key is the shared secret, MinKeyBytes to MaxKeyBytes bytes.
	Key []byte
	// Algorithm is SHA1, SHA256 or SHA512.
	Algorithm string
	// Digits is the length of a code, MinDigits to MaxDigits.
	Digits int
	// Period is the length of a time step in seconds, MinPeriod to
	// MaxPeriod.
	Period int
}

// ParseSeed reads a seed imported from another system: base32 in any case,
// with or without padding, spaces or hyphens between groups, of at least
// 80 bits; alg SHA1, SHA256 or SHA512 in any case (with or without a
// hyphen, "SHA-256"); digits 6 to 8; period 10 to 300 seconds. An empty
// alg, digits 0 and period 0 mean the key URI format's defaults (SHA1, 6,
// 30), as an import that leaves them out intends. Refusals are
// *invalid.Error naming "secret", "algorithm", "digits" or "period",
// joined when several fields are wrong; the secret is never quoted.
func ParseSeed(secret string, alg string, digits, period int) (Seed, error) {
	if alg == "" {
		alg = SHA1
	}
	if digits == 0 {
		digits = DefaultDigits
	}
	if period == 0 {
		period = DefaultPeriod
	}
	s := Seed{Algorithm: strings.ToUpper(strings.ReplaceAll(alg, "-", "")), Digits: digits, Period: period}
	key, kerr := decodeBase32(secret)
	if kerr != nil {
		key = make([]byte, MinKeyBytes) // reported already; check the rest
	}
	s.Key = key
	if err := joinErrs(kerr, s.check()); err != nil {
		return Seed{}, err
	}
	return s, nil
}

// maxSecretInput bounds a base32 secret as given, before it is looked at:
// MaxKeyBytes in base32 with a separator between every character.
const maxSecretInput = 2 * (MaxKeyBytes*8/5 + 8)

// decodeBase32 decodes a base32 secret as people and other systems write
// it. Errors are *invalid.Error naming "secret".
func decodeBase32(secret string) ([]byte, error) {
	if len(secret) > maxSecretInput {
		return nil, invalid.Field("secret", "must be at most %d bytes of base32", MaxKeyBytes)
	}
	var b strings.Builder
	for i := 0; i < len(secret); i++ {
		switch c := secret[i]; {
		case c == ' ' || c == '-' || c == '\t':
		case 'a' <= c && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
		default:
			b.WriteByte(c)
		}
	}
	s := strings.TrimRight(b.String(), "=")
	if s == "" {
		return nil, invalid.Field("secret", "must not be empty")
	}
	key, err := b32.DecodeString(s)
	if n := len(s) % 8; err != nil || n == 1 || n == 3 || n == 6 { // no whole number of bytes has those lengths

		return nil, invalid.Field("secret", "must be base32 (A-Z, 2-7)")
	}
	return key, nil
}

// check refuses a seed whose parameters are out of bounds, with
// *invalid.Error values naming each wrong field.
func (s Seed) check() error {
	var errs []error
	if n := len(s.Key); n < MinKeyBytes || n > MaxKeyBytes {
		errs = append(errs, invalid.Field("secret", "must be %d to %d bits", MinKeyBytes*8, MaxKeyBytes*8))
	}
	if _, ok := algorithms[s.Algorithm]; !ok {
		errs = append(errs, invalid.Field("algorithm", "must be SHA1, SHA256 or SHA512"))
	}
	if s.Digits < MinDigits || s.Digits > MaxDigits {
		errs = append(errs, invalid.Field("digits", "must be %d to %d", MinDigits, MaxDigits))
	}
	if s.Period < MinPeriod || s.Period > MaxPeriod {
		errs = append(errs, invalid.Field("period", "must be %d to %d seconds", MinPeriod, MaxPeriod))
	}
	return joinErrs(errs...)
}

// joinErrs is errors.Join that returns a lone error as it is, so that a
// single refusal reads without a joined list around it.
func joinErrs(errs ...error) error {
	var out []error
	for _, e := range errs {
		if e != nil {
			out = append(out, e)
		}
	}
	if len(out) == 1 {
		return out[0]
	}
	return errors.Join(out...)
}

// Base32 returns Key in unpadded uppercase base32.
func (s Seed) Base32() string { return b32.EncodeToString(s.Key) }

// String describes the seed's parameters without its key.
func (s Seed) String() string {
	return fmt.Sprintf("totp.Seed{Key:[redacted] Algorithm:%s Digits:%d Period:%d}", s.Algorithm, s.Digits, s.Period)
}

// GoString is String, for %#v.
func (s Seed) GoString() string { return s.String() }

// LogValue logs the seed's parameters without its key.
func (s Seed) LogValue() slog.Value {
	return slog.GroupValue(slog.String("algorithm", s.Algorithm), slog.Int("digits", s.Digits), slog.Int("period", s.Period))
}
