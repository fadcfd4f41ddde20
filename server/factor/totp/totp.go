// Package totp holds authenticator-app codes (TOTP, RFC 6238): making a
// seed and the otpauth:// URI and QR code that carry it to the app,
// sealing the seed for storage, and verifying the codes the app shows.
//
// The package does no database writes. The engine stores what Seal and
// Verify return as the Secret of a credential of type
// directory.CredentialTOTP, writing a changed value back with a
// compare-and-swap on the old one: Verify records the time step of each
// accepted code, and refuses codes of that step or earlier, so that a code
// is good once even when two requests race.
package totp

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/secrets"
)

// Sentinel errors callers branch on with errors.Is. None of them quotes a
// code, a seed or a stored value.
var (
	// ErrCodeInvalid means the code is wrong, outside the drift window, or
	// not shaped like a code at all.
	ErrCodeInvalid = errors.New("totp: code is not valid")
	// ErrCodeReused means the code is right for a time step at or before
	// the last one accepted: a replay, or an older code after a newer one.
	ErrCodeReused = errors.New("totp: code was already used")
	// ErrMalformed means a stored value is unreadable: not a format this
	// package wrote, or a seed that does not open for this credential (the
	// error then also wraps secrets.ErrDecrypt).
	ErrMalformed = errors.New("totp: stored seed is malformed")
)

// Purpose is the secrets.Binding purpose seeds are sealed under; the row
// is the credential's ID.
const Purpose = "factor.totp-seed"

// Defaults of a new seed: what every authenticator app supports.
const (
	DefaultKeyBytes = 20 // 160 bits, RFC 4226's recommendation for SHA1
	DefaultDigits   = 6
	DefaultPeriod   = 30 // seconds
)

// Bounds of the drift window, in time steps either side of now.
const (
	DefaultSkew = 1
	MaxSkew     = 4
)

// Deps are what a Service needs.
type Deps struct {
	// Secrets seals and opens seeds.
	Secrets *secrets.Service
	// Clock tells the time codes are checked against.
	Clock clock.Clock
}

// Option changes a Service from its defaults.
type Option func(*Service) error

// Skew sets the drift window to n time steps either side of the current
// one (DefaultSkew, 1, unless set): clocks of phones drift, and people take
// a few seconds to type. n must be 0 to MaxSkew; every step more is
// another code an attacker may guess.
func Skew(n int) Option {
	return func(s *Service) error {
		if n < 0 || n > MaxSkew {
			return invalid.Field("skew", "must be 0 to %d time steps", MaxSkew)
		}
		s.skew = n
		return nil
	}
}

// Service makes, seals and verifies TOTP seeds. It holds no mutable state
// and is safe for concurrent use.
type Service struct {
	secrets *secrets.Service
	clock   clock.Clock
	skew    int
}

// New returns a Service with the given dependencies, both required, and
// options. It fails if a dependency is missing or an option is out of
// bounds.
func New(d Deps, opts ...Option) (*Service, error) {
	if d.Secrets == nil {
		return nil, errors.New("totp: Deps.Secrets is nil")
	}
	if d.Clock == nil {
		return nil, errors.New("totp: Deps.Clock is nil")
	}
	s := &Service{secrets: d.Secrets, clock: d.Clock, skew: DefaultSkew}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, fmt.Errorf("totp: %w", err)
		}
	}
	return s, nil
}

// Enrollment is a new seed and the ways to hand it to an authenticator
// app. It holds the seed in clear: show it to the person enrolling, seal
// it with Seal, and drop it. String, GoString and LogValue redact it.
type Enrollment struct {
	// Seed is the seed and its parameters, for Seal.
	Seed Seed
	// Secret is the seed in unpadded uppercase base32, as apps take it
	// when typed by hand (pages show it in groups of four: wire.ManualKey).
	Secret string
	// URI is the otpauth://totp/ key URI the QR code carries.
	URI string
	// QR is the QR code of URI: a self-contained SVG document (no script,
	// no external reference, no size but its viewBox) for the page to
	// embed and size.
	QR string
}

// String describes the enrollment without its seed.
func (e Enrollment) String() string {
	return "totp.Enrollment{Seed:" + e.Seed.String() + " Secret:[redacted] URI:[redacted] QR:[redacted]}"
}

// GoString is String, for %#v.
func (e Enrollment) GoString() string { return e.String() }

// LogValue logs the enrollment's parameters, without its seed.
func (e Enrollment) LogValue() slog.Value { return e.Seed.LogValue() }

// Generate returns a new random seed (160 bits, SHA1, 6 digits, 30 s) with
// its key URI and QR code. issuer names the service in the app (the
// brand's name) and account the person (their email or username); both
// are required, valid UTF-8 without control characters or colons (the key
// URI's label separates them with one), at most maxLabelPart bytes.
// Refusals are *invalid.Error naming "issuer" or "account".
func (s *Service) Generate(issuer, account string) (Enrollment, error) {
	if err := checkLabelPart("issuer", issuer); err != nil {
		return Enrollment{}, err
	}
	if err := checkLabelPart("account", account); err != nil {
		return Enrollment{}, err
	}
	key := make([]byte, DefaultKeyBytes)
	if _, err := rand.Read(key); err != nil {
		return Enrollment{}, fmt.Errorf("totp: generate seed: %w", err)
	}
	seed := Seed{Key: key, Algorithm: SHA1, Digits: DefaultDigits, Period: DefaultPeriod}
	uri := keyURI(issuer, account, seed)
	qr, err := qrSVG(uri)
	if err != nil {
		return Enrollment{}, fmt.Errorf("totp: QR code: %w", err)
	}
	return Enrollment{Seed: seed, Secret: seed.Base32(), URI: uri, QR: qr}, nil
}

// maxLabelPart bounds the issuer and the account name, so that the URI
// stays a QR code a phone reads at a glance.
const maxLabelPart = 128

// checkLabelPart refuses an issuer or account name the key URI cannot
// carry unambiguously.
func checkLabelPart(field, v string) error {
	switch {
	case strings.TrimSpace(v) == "":
		return invalid.Field(field, "must not be empty")
	case len(v) > maxLabelPart:
		return invalid.Field(field, "must be at most %d bytes", maxLabelPart)
	case !utf8.ValidString(v):
		return invalid.Field(field, "must be valid UTF-8")
	case strings.ContainsRune(v, ':'):
		return invalid.Field(field, "must not contain a colon")
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return invalid.Field(field, "must not contain control characters")
	}
	return nil
}

// keyURI returns the key URI of seed in the format authenticator apps
// read (github.com/google/google-authenticator/wiki/Key-Uri-Format):
// otpauth://totp/Issuer:account?secret=…&issuer=Issuer&algorithm=…&digits=…&period=…
func keyURI(issuer, account string, seed Seed) string {
	var b strings.Builder
	b.WriteString("otpauth://totp/")
	b.WriteString(uriEscape(issuer))
	b.WriteByte(':')
	b.WriteString(uriEscape(account))
	b.WriteString("?secret=")
	b.WriteString(seed.Base32())
	b.WriteString("&issuer=")
	b.WriteString(uriEscape(issuer))
	b.WriteString("&algorithm=")
	b.WriteString(seed.Algorithm)
	b.WriteString("&digits=")
	b.WriteString(strconv.Itoa(seed.Digits))
	b.WriteString("&period=")
	b.WriteString(strconv.Itoa(seed.Period))
	return b.String()
}

// uriEscape percent-encodes everything in v but RFC 3986's unreserved
// characters and "@" (common in account names, and legal in both the
// path and the query). Apps differ in how they read "+" and a bare "&"
// or "/" in the label, so those are encoded too, and spaces are %20.
func uriEscape(v string) string {
	return strings.NewReplacer("+", "%20", "%40", "@").Replace(url.QueryEscape(v))
}

// b32 is the seed's base32: RFC 4648 alphabet, uppercase, unpadded, as
// the key URI format wants.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)
