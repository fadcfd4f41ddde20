// Package passkey runs the WebAuthn ceremonies that register passkeys and
// sign people in with them, on top of github.com/go-webauthn/webauthn.
//
// It holds no state: the engine keeps each ceremony's Session in its flow
// state between the page asking for options and posting the browser's
// response, and stores each Credential (Encode) as the Secret of a
// directory credential of type "webauthn". The relying party of a ceremony
// (RP) is built per call from the host the page runs on (RPID) and the
// brand's origins, whose /.well-known/webauthn document RelatedOrigins
// writes.
package passkey

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/invalid"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrCeremony means the browser's response does not complete the
	// ceremony: it is malformed, answers another challenge (a replay), was
	// made on an origin the RP does not list, for another RP ID, with a bad
	// signature, or with a backup-eligible flag that changed. The error
	// wraps the library's *protocol.Error for the log; people are told
	// only that the passkey did not work.
	ErrCeremony = errors.New("passkey: ceremony failed")
	// ErrSessionExpired means the ceremony's Session is past its expiry;
	// the page must start again with new options.
	ErrSessionExpired = errors.New("passkey: ceremony session expired")
	// ErrUserVerification means the session required user verification
	// (a PIN or biometric) and the authenticator did not perform it.
	ErrUserVerification = errors.New("passkey: user verification required but not performed")
	// ErrCloned means the signature counter did not increase although the
	// stored or the new count is non-zero: two copies of the private key
	// may be in use. The sign-in is refused and nothing is updated.
	ErrCloned = errors.New("passkey: signature counter did not increase; the authenticator may be cloned")
	// ErrUnknownCredential means the browser answered with a credential
	// that is not among the user's (deleted here but still on the device,
	// or another user's).
	ErrUnknownCredential = errors.New("passkey: credential is not one of the user's")
	// ErrNoRPID means a host cannot be a WebAuthn relying party: an IP
	// literal, a public suffix, or not a DNS name.
	ErrNoRPID = errors.New("passkey: host cannot be a relying party ID")
	// ErrMalformedCredential means a stored credential (Decode) is not
	// one this package wrote.
	ErrMalformedCredential = errors.New("passkey: malformed stored credential")
)

// Bounds of the ceremony timeout (Deps.Timeout).
const (
	// DefaultTimeout is how long a ceremony may take when Deps.Timeout is
	// zero: the WebAuthn recommendation for ceremonies that verify the
	// user, long enough to find a phone for a cross-device sign-in.
	DefaultTimeout = 5 * time.Minute
	// MinTimeout and MaxTimeout bound Deps.Timeout; browsers clamp values
	// outside roughly this range anyway.
	MinTimeout = 30 * time.Second
	MaxTimeout = 10 * time.Minute
)

// MaxResponseLen is the longest browser response accepted, in bytes,
// checked before parsing. Attestation with certificate chains stays well
// under it.
const MaxResponseLen = 64 << 10

// Bounds of User fields.
const (
	// MaxUserHandleLen is the WebAuthn limit on a user handle, in bytes.
	MaxUserHandleLen = 64
	// MaxNameLen is the longest User.Name and User.DisplayName, in bytes.
	MaxNameLen = 256
)

// UserVerification is whether a ceremony requires the authenticator to
// verify the person (PIN, biometric) or only prefers it.
type UserVerification string

// UserVerification values.
const (
	// VerificationRequired refuses a response without user verification
	// (ErrUserVerification). Registration and discoverable logins always
	// use it: a passkey alone then proves two factors.
	VerificationRequired UserVerification = "required"
	// VerificationPreferred asks for user verification but accepts a
	// response without it: a passkey as the second factor of a known user.
	VerificationPreferred UserVerification = "preferred"
)

// RP is the relying party of one ceremony.
type RP struct {
	// ID is the RP ID (see RPID): a DNS name, never an IP literal.
	ID string
	// Name is shown by some authenticators at registration ("Acme");
	// required to register.
	Name string
	// Origins are every origin a ceremony may run on: the page's own
	// ("https://login.acme.com") and related ones the RP ID's
	// /.well-known/webauthn lists. Each is https (http only for
	// localhost), without path, query or fragment.
	Origins []string
}

// User is the account a passkey belongs to.
type User struct {
	// Handle is the opaque user handle stored on the authenticator and
	// returned at discoverable sign-in: the user ID's bytes, never an
	// email or anything personal. 1 to MaxUserHandleLen bytes.
	Handle []byte
	// Name is the account name the authenticator shows ("ana@acme.com");
	// required to register, at most MaxNameLen bytes of UTF-8.
	Name string
	// DisplayName is the person's name ("Ana Lima"); Name if empty.
	DisplayName string
}

// Deps are the Service's dependencies.
type Deps struct {
	// Clock gives the time sessions expire and credentials are used at.
	Clock clock.Clock
	// Timeout is how long a ceremony may take (sent to the browser and
	// enforced on Finish); 0 means DefaultTimeout.
	Timeout time.Duration
}

// Service runs WebAuthn ceremonies. It keeps no state between calls and
// is safe for concurrent use. It never logs.
type Service struct {
	clk     clock.Clock
	timeout time.Duration
}

// New returns a Service over d. It refuses a nil Clock and a Timeout
// outside MinTimeout..MaxTimeout (other than 0).
func New(d Deps) (*Service, error) {
	if d.Clock == nil {
		return nil, errors.New("passkey: Deps.Clock is required")
	}
	if d.Timeout == 0 {
		d.Timeout = DefaultTimeout
	}
	if d.Timeout < MinTimeout || d.Timeout > MaxTimeout {
		return nil, fmt.Errorf("passkey: Deps.Timeout must be between %s and %s", MinTimeout, MaxTimeout)
	}
	return &Service{clk: d.Clock, timeout: d.Timeout}, nil
}

// credParams are the algorithms new passkeys may use, in order of
// preference: ES256 (nearly every authenticator), EdDSA, RS256 (Windows
// Hello). The same list checks the registration response, so it is fixed
// rather than stored in the Session.
func credParams() []protocol.CredentialParameter {
	return webauthn.CredentialParametersRecommendedL3()
}

// library returns the go-webauthn instance for rp, built per call because
// every host has its own RP. Expiry is enforced by the Service with its
// clock, so the library's own (wall-clock) enforcement stays off.
func (s *Service) library(rp RP) (*webauthn.WebAuthn, error) {
	t := webauthn.TimeoutConfig{Timeout: s.timeout, TimeoutUVD: s.timeout}
	w, err := webauthn.New(&webauthn.Config{
		RPID:                  rp.ID,
		RPDisplayName:         rp.Name,
		RPOrigins:             rp.Origins,
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts:              webauthn.TimeoutsConfig{Login: t, Registration: t},
		// We request no extension and read no extension output, so an
		// unrequested one (some password managers add credProps) cannot
		// sway a decision; refusing it would lock their users out.
		ExtensionsUnsolicitedOutputPolicy: protocol.UnsolicitedOutputPolicyIgnore,
	})
	if err != nil {
		return nil, fmt.Errorf("passkey: relying party %q: %w", rp.ID, err)
	}
	return w, nil
}

// checkRP validates rp; needName is set for registration, where the
// authenticator shows the name.
func checkRP(rp RP, needName bool) error {
	var errs []error
	if err := checkDomain(rp.ID); err != nil {
		errs = append(errs, invalid.Field("rp.id", "must be a DNS name (%v)", err))
	}
	switch {
	case needName && strings.TrimSpace(rp.Name) == "":
		errs = append(errs, invalid.Field("rp.name", "is required"))
	case len(rp.Name) > MaxNameLen || !utf8.ValidString(rp.Name):
		errs = append(errs, invalid.Field("rp.name", "must be at most %d bytes of UTF-8", MaxNameLen))
	}
	if len(rp.Origins) == 0 {
		errs = append(errs, invalid.Field("rp.origins", "must list at least one origin"))
	}
	for i, o := range rp.Origins {
		if _, err := parseOrigin(o); err != nil {
			errs = append(errs, invalid.Field(fmt.Sprintf("rp.origins[%d]", i), "%s", err))
		}
	}
	return errors.Join(errs...)
}

// checkUser validates u; needName is set for registration.
func checkUser(u User, needName bool) error {
	var errs []error
	if len(u.Handle) == 0 || len(u.Handle) > MaxUserHandleLen {
		errs = append(errs, invalid.Field("user.handle", "must be 1 to %d bytes", MaxUserHandleLen))
	}
	if needName && strings.TrimSpace(u.Name) == "" {
		errs = append(errs, invalid.Field("user.name", "is required"))
	}
	if len(u.Name) > MaxNameLen || !utf8.ValidString(u.Name) {
		errs = append(errs, invalid.Field("user.name", "must be at most %d bytes of UTF-8", MaxNameLen))
	}
	if len(u.DisplayName) > MaxNameLen || !utf8.ValidString(u.DisplayName) {
		errs = append(errs, invalid.Field("user.display_name", "must be at most %d bytes of UTF-8", MaxNameLen))
	}
	return errors.Join(errs...)
}

// checkResponse refuses an empty or overlong response before parsing.
func checkResponse(response string) error {
	switch {
	case response == "":
		return fmt.Errorf("%w: %w", ErrCeremony, invalid.Field("response", "is required"))
	case len(response) > MaxResponseLen:
		return fmt.Errorf("%w: %w", ErrCeremony, invalid.Field("response", "must be at most %d bytes", MaxResponseLen))
	}
	return nil
}

// libUser adapts a User and its credentials to the library's interface.
type libUser struct {
	u     User
	creds []webauthn.Credential
}

func (l libUser) WebAuthnID() []byte                         { return l.u.Handle }
func (l libUser) WebAuthnName() string                       { return l.u.Name }
func (l libUser) WebAuthnCredentials() []webauthn.Credential { return l.creds }
func (l libUser) WebAuthnDisplayName() string {
	if l.u.DisplayName == "" {
		return l.u.Name
	}
	return l.u.DisplayName
}

// ceremonyError wraps a library error in ErrCeremony, with the library's
// detail in the message for the log.
func ceremonyError(err error) error {
	return &libError{msg: ErrCeremony.Error() + ": " + detail(err), err: err}
}

// malformed wraps a parse failure of the browser's response: ErrCeremony,
// an *invalid.Error naming "response", and the library's error.
func malformed(what string, err error) error {
	inv := invalid.Field("response", "is not a well-formed WebAuthn %s response", what)
	return &libError{msg: ErrCeremony.Error() + ": " + inv.Error() + ": " + detail(err), err: err, field: inv}
}

// detail describes a library error for the log: its type, details and
// debug information. The debug information of a challenge mismatch is
// left out, as it quotes the challenges.
func detail(err error) string {
	var pe *protocol.Error
	if !errors.As(err, &pe) {
		return err.Error()
	}
	d := pe.Type + ": " + pe.Details
	if pe.DevInfo != "" && !strings.Contains(strings.ToLower(pe.Details), "challenge") {
		d += " (" + strings.Join(strings.Fields(pe.DevInfo), " ") + ")"
	}
	return d
}

// libError is ErrCeremony with the library error it comes from (and, for
// parse failures, an *invalid.Error), reachable with errors.Is/As.
type libError struct {
	msg   string
	err   error
	field error
}

func (e *libError) Error() string { return e.msg }

func (e *libError) Unwrap() []error {
	if e.field != nil {
		return []error{ErrCeremony, e.field, e.err}
	}
	return []error{ErrCeremony, e.err}
}
