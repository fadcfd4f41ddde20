// Package session holds Lintel's single-sign-on sessions: what a browser's
// session cookie stands for (who signed in, how, and until when).
//
// Sessions live in the store. The cookie value is a random token
// ("lses_…", 256 bits) that is never stored: the store keeps only its
// keyed hash (secrets service MAC), so a stolen database holds no usable
// cookie. A session ends after Options.Idle without use or Options.Absolute
// after it started, whichever comes first, or when revoked. Every change
// of assurance (a step-up adding a factor) rotates the cookie value with
// Rotate, so a value planted before sign-in (session fixation) or seen
// before the step-up is worth nothing after it.
//
// Create and Rotate record where the browser came from, so that people
// and administrators can recognise a session in a list: the client's
// address (internal/clientip in ctx, as text, IPv6 whole) and its
// User-Agent (internal/useragent in ctx, cut to MaxUserAgentLen bytes of
// valid UTF-8 without control characters); "" when ctx carries none. Both
// are what the client sent at sign-in or at the last rotation, shown and
// never used to decide anything.
//
// Every method takes the caller's store.Tx and writes nothing outside it.
// A cookie that is malformed, unknown, of another tenant, expired or
// revoked gives ErrNoSession, whichever it is. List and RevokeID, for
// administrators, name sessions by ID, never by cookie; RevokeID gives an
// error wrapping store.ErrNotFound for an ID that names no live session
// of the user (unknown, another user's or tenant's, expired, revoked).
// Refused input (a missing tenant or user, bad amr or acr) holds
// *invalid.Error values naming the field, and nothing is written.
//
// Sessions does not look at the user: the caller checks that the user
// still exists and may sign in, and calls RevokeUser when that changes.
//
// A Sessions is safe for concurrent use; it holds no state of its own.
package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/secrets"
)

// ErrNoSession is returned when a cookie does not stand for a live session
// of the tenant: malformed, unknown, of another tenant, expired or revoked.
var ErrNoSession = errors.New("session: no live session")

// Defaults of Options.
const (
	DefaultIdle     = 30 * time.Minute
	DefaultAbsolute = 12 * time.Hour
)

// CookiePrefix starts every session cookie value, so that leaked values
// are easy to recognise (and to scan for).
const CookiePrefix = "lses_"

// macPurpose is the purpose of the keyed hash cookie values are stored as.
const macPurpose = "session"

// tokenBytes is the randomness of a cookie value: 256 bits.
const tokenBytes = 32

// cookieLen is the length of a cookie value: the prefix, then the token in
// unpadded base64.
const cookieLen = len(CookiePrefix) + (tokenBytes*8+5)/6

// slideResolution is how stale a session's last use may get before a
// Lookup writes it again, so that a busy browser does not write on every
// request. The idle window is therefore between Idle-1m and Idle.
const slideResolution = time.Minute

// Options configure Sessions.
type Options struct {
	// Idle ends a session after this long without a Lookup. Zero (or less)
	// means DefaultIdle.
	Idle time.Duration
	// Absolute ends a session this long after it started, however active.
	// Zero (or less) means DefaultAbsolute.
	Absolute time.Duration
}

// Session is one signed-in browser of a user.
type Session struct {
	ID       string // "ses_…"; not the cookie value
	TenantID string
	UserID   string
	// AMR lists the authentication methods used (RFC 8176: "pwd", "otp",
	// "hwk", …).
	AMR []string
	// ACR is the authentication context class reached, "" if none.
	ACR string
	// AuthTime is when the user last authenticated (sign-in or step-up).
	AuthTime time.Time
	// CreatedAt is when the user signed in; rotation keeps it.
	CreatedAt  time.Time
	LastSeenAt time.Time
	// IdleExpiresAt moves forward with use, never past AbsoluteExpiresAt.
	IdleExpiresAt     time.Time
	AbsoluteExpiresAt time.Time
	// IP is the client's address at sign-in or the last rotation ("" when
	// unknown): "192.0.2.7", "2001:db8::1".
	IP string
	// UserAgent is the browser's User-Agent at sign-in or the last
	// rotation, at most MaxUserAgentLen bytes ("" when unknown).
	UserAgent string
}

// Sessions creates, finds, rotates and revokes sessions. Create it with
// New.
type Sessions struct {
	sec  *secrets.Service
	clk  clock.Clock
	opts Options
}

// New returns Sessions that store cookie values as MACs of sec and read
// the time from clk.
func New(sec *secrets.Service, clk clock.Clock, opts Options) *Sessions {
	if opts.Idle <= 0 {
		opts.Idle = DefaultIdle
	}
	if opts.Absolute <= 0 {
		opts.Absolute = DefaultAbsolute
	}
	return &Sessions{sec: sec, clk: clk, opts: opts}
}

// CookieName returns the name of tenantID's session cookie: "lintel-"
// and a short stable hash of the tenant ID, so that tenants served on one
// host keep apart cookies. When secure it carries the "__Host-" prefix,
// which browsers accept only with Secure, Path=/ and no Domain; plain-http
// localhost development uses the name without it.
func CookieName(tenantID string, secure bool) string {
	sum := sha256.Sum256([]byte("lintel/session-cookie/v1\x00" + tenantID))
	name := "lintel-" + hex.EncodeToString(sum[:6])
	if secure {
		return "__Host-" + name
	}
	return name
}

// now is the current time as the store reads it back.
func (s *Sessions) now() time.Time {
	return s.clk.Now().UTC().Truncate(time.Microsecond)
}

// newCookie returns a random cookie value.
func newCookie() string {
	var b [tokenBytes]byte
	_, _ = rand.Read(b[:])
	return CookiePrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// mac returns the keyed hash of a cookie value, or false for a value that
// New could not have made (checked before hashing).
func (s *Sessions) mac(cookie string) ([]byte, bool) {
	if len(cookie) != cookieLen || cookie[:len(CookiePrefix)] != CookiePrefix {
		return nil, false
	}
	if _, err := base64.RawURLEncoding.Strict().DecodeString(cookie[len(CookiePrefix):]); err != nil {
		return nil, false
	}
	return s.sec.MAC(macPurpose, []byte(cookie)), true
}

// encodeAMR encodes the amr list for its JSON column, as text so that
// SQLite's JSON functions read it.
func encodeAMR(amr []string) string {
	b, _ := json.Marshal(amr)
	return string(b)
}

// decodeAMR decodes the amr column.
func decodeAMR(b []byte) ([]string, error) {
	amr := []string{}
	if err := json.Unmarshal(b, &amr); err != nil {
		return nil, fmt.Errorf("session: stored amr: %w", err)
	}
	return amr, nil
}
