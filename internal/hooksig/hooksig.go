// Package hooksig signs and verifies the HTTP requests Lintel sends to
// customers' endpoints (inline hooks, event hooks, log streams), so that
// a receiver can tell they came from Lintel and are fresh.
//
// The signature is an HMAC-SHA256 over the timestamp and the body,
// carried in one header:
//
//	Lintel-Signature: t=1733616000,v1=5257a869e7…
//
// where v1 is the lowercase hex of HMAC-SHA256(secret, "<t>.<body>"). A
// receiver recomputes it, compares in constant time and refuses a
// timestamp outside its tolerance (replays). Several v1 values may
// appear while a secret is being rotated; any one matching is enough.
package hooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Header is the request header that carries the signature.
const Header = "Lintel-Signature"

// DefaultTolerance is how far a timestamp may be from the receiver's
// clock.
const DefaultTolerance = 5 * time.Minute

// Errors Verify returns.
var (
	// ErrMalformed is a header that is not t=…,v1=….
	ErrMalformed = errors.New("hooksig: malformed signature header")
	// ErrStale is a timestamp outside the tolerance.
	ErrStale = errors.New("hooksig: timestamp outside the tolerance")
	// ErrMismatch is a signature that no secret produced.
	ErrMismatch = errors.New("hooksig: signature does not match")
)

// Sign returns the header value for body sent at t, one v1 per secret
// (the new secret first during a rotation).
func Sign(t time.Time, body []byte, secrets ...[]byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	var b strings.Builder
	b.WriteString("t=" + ts)
	for _, s := range secrets {
		b.WriteString(",v1=" + hex.EncodeToString(mac(s, ts, body)))
	}
	return b.String()
}

// Verify checks header against body with secret at now: the timestamp
// within tolerance (DefaultTolerance when zero) and one v1 equal to the
// HMAC.
func Verify(header string, body, secret []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrMalformed
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			s, err := hex.DecodeString(v)
			if err != nil {
				return ErrMalformed
			}
			sigs = append(sigs, s)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrMalformed
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return ErrMismatch
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}
