package totp

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"

	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// Verify checks code against the stored value of the credential
// credentialID at the Service's clock, and returns next, stored with the
// matched time step recorded; the caller must write next back with a
// compare-and-swap on stored, so that a code is accepted once. tx is the
// caller's transaction, passed to the secrets service to open the seed
// (nil lets it read on its own; see secrets.Service.Open).
//
// The code is normalized first, before any cryptography: spaces and tabs
// dropped, and one hyphen in the middle ("123-456"); it must then be
// exactly as many ASCII digits as the seed's. It is accepted for the
// current time step and the drift window either side (see Skew), compared
// in constant time with the code of every step in the window. A code that matches only steps at
// or before the last step accepted is a replay.
//
// Errors: ErrCodeInvalid (wrong, outside the window, or not a code),
// ErrCodeReused (a replay), ErrMalformed (stored unreadable, or sealed for
// another credential), or the secrets service's error if it could not
// load a data key; next is then "". An empty credential ID is refused
// with an *invalid.Error. No error quotes the code, the seed or stored.
func (s *Service) Verify(ctx context.Context, tx store.Tx, credentialID, stored, code string) (next string, err error) {
	if err := checkCredentialID(credentialID); err != nil {
		return "", err
	}
	r, err := decode(stored)
	if err != nil {
		return "", err
	}
	typed, err := normalizeCode(code, r.Digits)
	if err != nil {
		return "", err
	}
	key, err := s.secrets.Open(ctx, tx, binding(credentialID), r.sealed)
	switch {
	case errors.Is(err, secrets.ErrDecrypt):
		return "", fmt.Errorf("%w: seed does not open for this credential: %w", ErrMalformed, err)
	case err != nil:
		return "", fmt.Errorf("totp: open seed: %w", err)
	case len(key) < MinKeyBytes || len(key) > MaxKeyBytes:
		return "", fmt.Errorf("%w: seed is %d bytes", ErrMalformed, len(key))
	}
	step, ok, err := s.match(key, r, typed)
	if err != nil {
		return "", fmt.Errorf("totp: compute codes: %w", err)
	}
	if !ok {
		return "", ErrCodeInvalid
	}
	if step <= r.Last {
		return "", ErrCodeReused
	}
	r.Last = step
	if next, err = r.encode(); err != nil {
		return "", fmt.Errorf("totp: verify: %w", err)
	}
	return next, nil
}

// match compares typed with the code of every time step in the window
// around now, all of them, in constant time. It returns the earliest
// matching step after r.Last if there is one (a code valid for two steps
// is a 1-in-10^digits accident; taking the earliest locks out the fewest
// later codes), else the latest matching step at or before r.Last (a
// replay); ok is false when no step matches.
func (s *Service) match(key []byte, r record, typed string) (step int64, ok bool, err error) {
	opts := hotp.ValidateOpts{Digits: otp.Digits(r.Digits), Algorithm: algorithms[r.Alg]}
	secret := b32.EncodeToString(key)
	now := floorDiv(s.clock.Now().Unix(), int64(r.Period))
	fresh, stale := int64(-1), int64(-1)
	for c := now - int64(s.skew); c <= now+int64(s.skew); c++ {
		if c < 0 {
			continue // before 1970: no code exists
		}
		want, err := hotp.GenerateCodeCustom(secret, uint64(c), opts)
		if err != nil {
			return 0, false, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(typed)) != 1 {
			continue
		}
		switch {
		case c > r.Last && fresh < 0:
			fresh = c
		case c <= r.Last:
			stale = c
		}
	}
	switch {
	case fresh >= 0:
		return fresh, true, nil
	case stale >= 0:
		return stale, true, nil
	}
	return 0, false, nil
}

// floorDiv is a / b rounded towards minus infinity, b > 0: the time step
// of a Unix time, also for a clock set before 1970.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// maxCodeInput bounds a code as typed, checked before looking at it.
const maxCodeInput = 64

// normalizeCode returns the digits of a code as typed: spaces and tabs
// dropped anywhere, and at most one hyphen, between the two halves
// ("123-456", "1234-5678"; for 7 digits after the third or fourth). What
// is left must be exactly digits ASCII digits. Anything else, or input
// longer than maxCodeInput bytes, is ErrCodeInvalid.
func normalizeCode(code string, digits int) (string, error) {
	if len(code) > maxCodeInput {
		return "", ErrCodeInvalid
	}
	out := make([]byte, 0, digits)
	hyphen := -1
	for i := 0; i < len(code); i++ {
		switch c := code[i]; {
		case c == ' ' || c == '\t':
		case c == '-' && hyphen < 0:
			hyphen = len(out)
		case '0' <= c && c <= '9' && len(out) < digits:
			out = append(out, c)
		default:
			return "", ErrCodeInvalid
		}
	}
	if len(out) != digits || (hyphen >= 0 && hyphen != digits/2 && hyphen != (digits+1)/2) {
		return "", ErrCodeInvalid
	}
	return string(out), nil
}
