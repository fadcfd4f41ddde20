// Package recoverycode holds recovery codes: a set of one-time codes a
// person writes down at enrollment and types when every other factor is
// lost. Codes are shown once and stored only as keyed hashes (MACs under
// the instance's key), so a stolen database reveals none of them; used
// codes keep their hash, so that a reused code is told apart from a wrong
// one.
//
// The package does no database writes: the engine stores what Generate
// and Use return as the Secret of a credential of type
// directory.CredentialRecoveryCodes, writing a changed value back with a
// compare-and-swap on the old one, so that two concurrent uses of one code
// cannot both succeed.
package recoverycode

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/lintel-id/lintel/internal/invalid"
)

// Sentinel errors callers branch on with errors.Is. None of them quotes a
// code or a hash.
var (
	// ErrCodeInvalid means the code is not one of the set: wrong, or not
	// the shape of a recovery code at all.
	ErrCodeInvalid = errors.New("recoverycode: code is not valid")
	// ErrCodeUsed means the code is one of the set but was used before.
	ErrCodeUsed = errors.New("recoverycode: code was already used")
	// ErrMalformed means a stored value is not one this package wrote.
	ErrMalformed = errors.New("recoverycode: stored codes are malformed")
)

// Purpose is the purpose the codes' MACs are computed for, so that a
// recovery code's MAC never equals the MAC of the same string used as
// anything else.
const Purpose = "factor.recovery-code"

// Bounds of a set of codes.
const (
	// DefaultCount is how many codes Generate makes when asked for 0.
	DefaultCount = 10
	// MaxCount is the most codes one set holds.
	MaxCount = 20
)

// codeLen is the number of Crockford base32 symbols of a code: 50 bits,
// beyond guessing online yet short enough to type from paper.
const codeLen = 10

// Codes makes and checks sets of recovery codes. It holds no state of its
// own and is safe for concurrent use if its MAC function is.
type Codes struct {
	mac func(purpose string, value []byte) []byte
}

// New returns Codes that hash codes with mac, called with Purpose and the
// normalized code; the engine passes secrets.Service.MAC. mac must be
// deterministic and return at least 16 bytes. New panics if mac is nil:
// that is a wiring mistake, not a condition to handle.
func New(mac func(purpose string, value []byte) []byte) *Codes {
	if mac == nil {
		panic("recoverycode: New with a nil MAC function")
	}
	return &Codes{mac: mac}
}

// Generate makes n new codes (DefaultCount when n is 0) and returns them
// for display, each as "xxxxx-xxxxx" (ten lowercase Crockford base32
// symbols, 50 random bits), together with the stored value that holds
// their MACs. The codes are distinct. n below 0 or above MaxCount is
// refused with an *invalid.Error naming "n". The codes cannot be recovered
// from stored: show them once.
func (c *Codes) Generate(n int) (codes []string, stored string, err error) {
	switch {
	case n == 0:
		n = DefaultCount
	case n < 0 || n > MaxCount:
		return nil, "", invalid.Field("n", "must be between 1 and %d (0 for %d)", MaxCount, DefaultCount)
	}
	seen := make(map[string]bool, n)
	var s set
	for len(codes) < n {
		raw, err := randomCode()
		if err != nil {
			return nil, "", fmt.Errorf("recoverycode: generate: %w", err)
		}
		if seen[raw] {
			continue // 2^-50 per pair, but a set must never hold a code twice
		}
		seen[raw] = true
		codes = append(codes, raw[:codeLen/2]+"-"+raw[codeLen/2:])
		s.unused = append(s.unused, c.mac(Purpose, []byte(raw)))
	}
	stored, err = s.encode()
	if err != nil {
		return nil, "", fmt.Errorf("recoverycode: generate: %w", err)
	}
	return codes, stored, nil
}

// randomCode returns codeLen random symbols of the alphabet.
func randomCode() (string, error) {
	var b [codeLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[b[i]&31] // 32 symbols: the low 5 bits are uniform
	}
	return string(b[:]), nil
}

// Use checks code against stored. When it matches a code not used yet,
// Use returns next, the stored value with that code marked used, and how
// many codes remain unused; the caller must write next back with a
// compare-and-swap on stored. The code is normalized first (see below),
// then its MAC is compared with every unused and every used MAC in
// constant time, without stopping at a match.
//
// Case is ignored, as are hyphens and spaces; o reads as 0, i and l as 1.
// Errors: ErrCodeInvalid for a code that is wrong or not shaped like a
// code, ErrCodeUsed for one used before (both with remaining, the unused
// count, and next ""), ErrMalformed when stored is unreadable.
func (c *Codes) Use(stored, code string) (next string, remaining int, err error) {
	s, err := decode(stored)
	if err != nil {
		return "", 0, err
	}
	norm, ok := normalize(code)
	if !ok {
		return "", len(s.unused), ErrCodeInvalid
	}
	h := c.mac(Purpose, []byte(norm))
	unused := find(s.unused, h)
	used := find(s.used, h)
	switch {
	case unused >= 0:
		s.used = append(s.used, s.unused[unused])
		s.unused = append(s.unused[:unused:unused], s.unused[unused+1:]...)
		next, err := s.encode()
		if err != nil {
			return "", 0, fmt.Errorf("recoverycode: use: %w", err)
		}
		return next, len(s.unused), nil
	case used >= 0:
		return "", len(s.unused), ErrCodeUsed
	default:
		return "", len(s.unused), ErrCodeInvalid
	}
}

// find returns the index of h in hashes, or -1, comparing with every
// element in constant time so that timing tells nothing of the position
// or of a near miss.
func find(hashes [][]byte, h []byte) int {
	at := -1
	for i, x := range hashes {
		eq := subtle.ConstantTimeCompare(x, h)
		at = subtle.ConstantTimeSelect(eq, i, at)
	}
	return at
}

// Remaining reports how many codes of stored are not used yet, or
// ErrMalformed when stored is unreadable. It does not hash anything.
func (c *Codes) Remaining(stored string) (int, error) {
	s, err := decode(stored)
	if err != nil {
		return 0, err
	}
	return len(s.unused), nil
}
