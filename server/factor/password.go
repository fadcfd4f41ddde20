// Package factor holds the ways a person proves who they are: for now
// passwords and the answers to security questions, hashed with argon2id;
// later email OTP and magic links, SMS, TOTP, WebAuthn and recovery
// codes.
package factor

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"

	"github.com/lintel-id/lintel/internal/invalid"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrPasswordTooLong refuses a password longer than MaxPasswordLen
	// bytes before any hashing, so that long inputs cannot tie up the
	// hasher. It comes together with an *invalid.Error naming "password".
	ErrPasswordTooLong = errors.New("factor: password too long")
	// ErrPasswordEmpty refuses an empty password. It comes together with
	// an *invalid.Error naming "password".
	ErrPasswordEmpty = errors.New("factor: password empty")
	// ErrMalformedHash means a stored password hash is not an argon2id PHC
	// string this package can verify, or its parameters are out of bounds.
	ErrMalformedHash = errors.New("factor: malformed password hash")
)

// MaxPasswordLen is the longest password accepted, in bytes.
const MaxPasswordLen = 1024

// argonParams are the parameters of one argon2id hash.
type argonParams struct {
	memory  uint32 // KiB
	time    uint32 // passes
	threads uint8
	saltLen int // bytes
	keyLen  int // bytes
}

// The parameters new hashes use: the OWASP minimum for argon2id (m=19 MiB,
// t=2, p=1), a 16-byte salt and a 32-byte key.
const (
	hashMemory  = 19 * 1024 // KiB
	hashTime    = 2
	hashThreads = 1
	hashSalt    = 16
	hashKey     = 32
)

// current returns the parameters new hashes use.
func current() argonParams {
	return argonParams{memory: hashMemory, time: hashTime, threads: hashThreads, saltLen: hashSalt, keyLen: hashKey}
}

// Bounds on the parameters of a stored hash, so that a hash imported from
// elsewhere (or planted in the database) cannot make one verification cost
// a node seconds or gigabytes. Hashes beyond them are malformed.
const (
	maxMemory  = 256 * 1024 // KiB
	maxTime    = 16
	maxThreads = 16
	minSalt    = 8
	maxSalt    = 64
	minKey     = 16
	maxKey     = 64
)

// b64 is the PHC string's base64: standard alphabet, no padding, and
// strict so that each value has exactly one encoding.
func b64() *base64.Encoding { return base64.RawStdEncoding.Strict() }

// Passwords hashes and verifies passwords with argon2id (m=19 MiB, t=2,
// p=1, 16-byte salt, 32-byte key), encoded as PHC strings
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>". At most MaxInFlight
// hashes run at once: each costs 19 MiB and a CPU for tens of
// milliseconds, so a burst of sign-ins waits (respecting its context)
// instead of exhausting the node. VerifyDummy spends the same effort for
// unknown users, so timing does not reveal whether an account exists.
//
// A Passwords is safe for concurrent use. It never logs passwords or
// hashes.
type Passwords struct {
	sem chan struct{}
	// kdf derives the key; tests wrap argon2.IDKey to count or block.
	kdf func(password, salt []byte, p argonParams) []byte
	// onWait, if set, is called when a caller starts waiting for a slot
	// (tests only).
	onWait func()
	// derivations counts key derivations run, real and dummy alike.
	derivations atomic.Uint64
}

// Derivations reports how many argon2id derivations have run: hashes,
// verifications and dummy verifications alike. Enumeration tests compare
// it between known and unknown accounts; it also serves as a metric.
func (p *Passwords) Derivations() uint64 { return p.derivations.Load() }

// NewPasswords returns a Passwords that runs at most maxInFlight hashes at
// once; 0 (or less) means runtime.NumCPU().
func NewPasswords(maxInFlight int) *Passwords {
	if maxInFlight <= 0 {
		maxInFlight = runtime.NumCPU()
	}
	return &Passwords{sem: make(chan struct{}, maxInFlight), kdf: idKey}
}

// MaxInFlight reports how many hashes may run at once.
func (p *Passwords) MaxInFlight() int { return cap(p.sem) }

func idKey(password, salt []byte, a argonParams) []byte {
	return argon2.IDKey(password, salt, a.time, a.memory, a.threads, uint32(a.keyLen))
}

// derive runs the key derivation in a slot of the semaphore. It returns
// ctx.Err() if ctx ends before a slot is free.
func (p *Passwords) derive(ctx context.Context, password, salt []byte, a argonParams) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case p.sem <- struct{}{}:
	default:
		if p.onWait != nil {
			p.onWait()
		}
		select {
		case p.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	defer func() { <-p.sem }()
	p.derivations.Add(1)
	return p.kdf(password, salt, a), nil
}

// checkPassword refuses empty and overlong passwords.
func checkPassword(password string) error {
	switch {
	case password == "":
		return fmt.Errorf("%w: %w", ErrPasswordEmpty, invalid.Field("password", "is required"))
	case len(password) > MaxPasswordLen:
		return fmt.Errorf("%w: %w", ErrPasswordTooLong, invalid.Field("password", "must be at most %d bytes", MaxPasswordLen))
	}
	return nil
}

// Hash returns the PHC string of a new argon2id hash of password, with a
// random salt. It refuses an empty password (ErrPasswordEmpty) and one
// longer than MaxPasswordLen bytes (ErrPasswordTooLong) before hashing.
func (p *Passwords) Hash(ctx context.Context, password string) (string, error) {
	if err := checkPassword(password); err != nil {
		return "", err
	}
	return p.hash(ctx, []byte(password))
}

// hash returns the PHC string of a new argon2id hash of secret, with the
// current parameters and a random salt.
func (p *Passwords) hash(ctx context.Context, secret []byte) (string, error) {
	salt := make([]byte, hashSalt)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("factor: salt: %w", err)
	}
	key, err := p.derive(ctx, secret, salt, current())
	if err != nil {
		return "", err
	}
	return encode(current(), salt, key), nil
}

// Verify reports whether password matches the PHC string encoded, taking
// the parameters from the string so that hashes made with older
// parameters still verify (see NeedsRehash). The comparison is constant
// time. A malformed hash returns ErrMalformedHash and never true; an empty
// or overlong password returns false with ErrPasswordEmpty or
// ErrPasswordTooLong, without hashing. If ctx ends while waiting for a
// slot, Verify returns false and ctx.Err().
func (p *Passwords) Verify(ctx context.Context, encoded, password string) (bool, error) {
	a, salt, want, err := decode(encoded)
	if err != nil {
		return false, err
	}
	if err := checkPassword(password); err != nil {
		return false, err
	}
	return p.matches(ctx, []byte(password), a, salt, want)
}

// matches derives secret's key with a hash's parameters and salt and
// compares it with the hash's key in constant time.
func (p *Passwords) matches(ctx context.Context, secret []byte, a argonParams, salt, want []byte) (bool, error) {
	got, err := p.derive(ctx, secret, salt, a)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// VerifyDummy spends what verifying password against a hash with the
// current parameters costs, slot of the semaphore included, and discards
// the result. Call it when the user is unknown (or has no password) so
// that the answer takes as long as for a real account. Like Verify it
// returns at once for an empty or overlong password.
func (p *Passwords) VerifyDummy(ctx context.Context, password string) {
	if checkPassword(password) != nil {
		return
	}
	salt := make([]byte, hashSalt)
	_, _ = rand.Read(salt)
	got, err := p.derive(ctx, []byte(password), salt, current())
	if err == nil {
		// Compare as Verify does, so that no step is skipped.
		_ = subtle.ConstantTimeCompare(got, make([]byte, hashKey))
	}
}

// NeedsRehash reports whether a hash was made with parameters other than
// the current ones (or is malformed), so that the caller replaces it with
// a new Hash of the password after a successful Verify.
func (p *Passwords) NeedsRehash(encoded string) bool {
	a, _, _, err := decode(encoded)
	return err != nil || a != current()
}

// encode returns the PHC string of an argon2id hash.
func encode(a argonParams, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, a.memory, a.time, a.threads, b64().EncodeToString(salt), b64().EncodeToString(key))
}

// decode parses the PHC string of an argon2id hash. It accepts exactly
// the form encode writes, with parameters within the bounds above.
func decode(encoded string) (argonParams, []byte, []byte, error) {
	bad := func(what string) (argonParams, []byte, []byte, error) {
		return argonParams{}, nil, nil, fmt.Errorf("%w: %s", ErrMalformedHash, what)
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return bad("not an argon2id PHC string")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("unsupported version")
	}
	ps := strings.Split(parts[3], ",")
	if len(ps) != 3 {
		return bad("parameters are not m,t,p")
	}
	m, okM := param(ps[0], "m=", maxMemory)
	t, okT := param(ps[1], "t=", maxTime)
	th, okP := param(ps[2], "p=", maxThreads)
	if !okM || !okT || !okP || m < 8*th {
		return bad("parameters out of bounds")
	}
	salt, ok := unbase64(parts[4], minSalt, maxSalt)
	if !ok {
		return bad("salt")
	}
	key, ok := unbase64(parts[5], minKey, maxKey)
	if !ok {
		return bad("hash")
	}
	a := argonParams{memory: m, time: t, threads: uint8(th), saltLen: len(salt), keyLen: len(key)}
	return a, salt, key, nil
}

// unbase64 decodes s, which must be the one encoding of min..max bytes
// (the decoder alone would skip line breaks).
func unbase64(s string, min, max int) ([]byte, bool) {
	b, err := b64().DecodeString(s)
	if err != nil || len(b) < min || len(b) > max || b64().EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}

// param parses "name=N" with N a decimal in 1..max, written without sign
// or leading zeros.
func param(s, name string, max uint32) (uint32, bool) {
	v, ok := strings.CutPrefix(s, name)
	if !ok || v == "" || len(v) > 10 || v[0] == '0' {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n < 1 || n > uint64(max) {
		return 0, false
	}
	return uint32(n), true
}
