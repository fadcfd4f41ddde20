package passkey

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/lintel-id/lintel/internal/invalid"
)

// FindFunc looks up the user a login names and all of their passkeys:
// by userHandle (from the passkey for a discoverable login, from the
// Session otherwise); credentialID is the one the browser used, for
// callers that index by it. It returns every passkey of the user, not
// only the one used: a second-factor login checks that the user still
// owns every passkey its allow list named. Its error is returned
// wrapped, so callers can branch on their own not-found error.
type FindFunc func(ctx context.Context, userHandle, credentialID []byte) (User, []Credential, error)

// BeginDiscoverableLogin starts a sign-in where the passkey names the
// user: the "sign in with a passkey" button, and conditional UI (autofill,
// when the page passes mediation: "conditional" to
// navigator.credentials.get). It returns the
// PublicKeyCredentialRequestOptionsJSON (for
// PublicKeyCredential.parseRequestOptionsFromJSON), with no allow list and
// user verification required, since the passkey is then the only factor;
// and the Session to keep until FinishLogin. It refuses an invalid rp with
// *invalid.Error values.
func (s *Service) BeginDiscoverableLogin(rp RP) (string, Session, error) {
	const op = "begin login"
	if err := checkRP(rp, false); err != nil {
		return "", Session{}, fmt.Errorf("passkey: %s: %w", op, err)
	}
	w, err := s.library(rp)
	if err != nil {
		return "", Session{}, err
	}
	assertion, lib, err := w.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	return s.loginOptions(op, assertion, lib, VerificationRequired, err)
}

// BeginLogin starts a sign-in of a known user u (only Handle is read)
// with one of their passkeys, allow (which must not be empty), as a
// second factor. uv is VerificationPreferred (or "", the same) or
// VerificationRequired when policy wants the passkey to verify the
// person. It returns the PublicKeyCredentialRequestOptionsJSON, listing
// allow with their transports, and the Session to keep until FinishLogin.
// It refuses an invalid rp or u, an empty allow and another uv with
// *invalid.Error values.
func (s *Service) BeginLogin(rp RP, u User, allow []Credential, uv UserVerification) (string, Session, error) {
	const op = "begin login"
	if uv == "" {
		uv = VerificationPreferred
	}
	errs := []error{checkRP(rp, false), checkUser(u, false)}
	if len(allow) == 0 {
		errs = append(errs, invalid.Field("allow", "must list the user's passkeys"))
	}
	for i, c := range allow {
		if len(c.ID) == 0 || len(c.ID) > MaxCredentialIDLen {
			errs = append(errs, invalid.Field(fmt.Sprintf("allow[%d].id", i), "must be 1 to %d bytes", MaxCredentialIDLen))
		}
	}
	if uv != VerificationPreferred && uv != VerificationRequired {
		errs = append(errs, invalid.Field("user_verification", "must be %q or %q", VerificationPreferred, VerificationRequired))
	}
	if err := errors.Join(errs...); err != nil {
		return "", Session{}, fmt.Errorf("passkey: %s: %w", op, err)
	}
	w, err := s.library(rp)
	if err != nil {
		return "", Session{}, err
	}
	lu := libUser{u: u, creds: make([]webauthn.Credential, len(allow))}
	for i, c := range allow {
		lu.creds[i] = c.library()
	}
	assertion, lib, err := w.BeginLogin(lu, webauthn.WithUserVerification(protocol.UserVerificationRequirement(uv)))
	return s.loginOptions(op, assertion, lib, uv, err)
}

// loginOptions returns the options JSON and Session of a begun login.
func (s *Service) loginOptions(op string, a *protocol.CredentialAssertion, lib *webauthn.SessionData, uv UserVerification, err error) (string, Session, error) {
	if err != nil {
		return "", Session{}, fmt.Errorf("passkey: %s: %w", op, err)
	}
	options, err := json.Marshal(a.Response)
	if err != nil {
		return "", Session{}, fmt.Errorf("passkey: %s: options: %w", op, err)
	}
	return string(options), s.newSession(CeremonyLogin, lib, uv), nil
}

// FinishLogin verifies the browser's response (the JSON of
// credential.toJSON() after navigator.credentials.get) against the
// Session from BeginDiscoverableLogin or BeginLogin for the same rp. The
// user is the one the passkey's user handle names for a discoverable
// login, the session's otherwise; find (called with ctx) returns them and
// their passkeys. It returns that user and the passkey used, updated for
// the caller to store: the new signature counter, the backup state
// (which may change), and LastUsedAt from the clock.
//
// It refuses: an invalid rp (*invalid.Error values); a session of another
// kind or RP ID (ErrCeremony) or past its expiry (ErrSessionExpired); an
// empty, overlong or malformed response (ErrCeremony with an
// *invalid.Error naming "response"); a discoverable response without a
// user handle (ErrCeremony); find's error (wrapped); a credential that is
// not among the user's (ErrUnknownCredential); a response that does not
// complete this ceremony — another challenge (a replay), an origin not in
// rp.Origins, another RP ID, a bad signature, another user's handle, a
// credential outside the allow list, a changed backup-eligible flag
// (ErrCeremony, wrapping the library's error); a response without user
// verification when the session requires it (ErrUserVerification); and a
// signature counter that did not increase while the stored or the new one
// is non-zero (ErrCloned). A ctx done before find is called returns
// ctx.Err(). Nothing is returned but the error when it refuses.
func (s *Service) FinishLogin(ctx context.Context, rp RP, sess Session, response string, find FindFunc) (User, Credential, error) {
	const op = "finish login"
	if err := checkRP(rp, false); err != nil {
		return User{}, Credential{}, fmt.Errorf("passkey: %s: %w", op, err)
	}
	if err := s.check(sess, CeremonyLogin, rp); err != nil {
		return User{}, Credential{}, err
	}
	if err := checkResponse(response); err != nil {
		return User{}, Credential{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes([]byte(response))
	if err != nil {
		return User{}, Credential{}, malformed("authentication", err)
	}
	discoverable := len(sess.UserHandle) == 0
	handle := sess.UserHandle
	if discoverable {
		handle = parsed.Response.UserHandle
		if len(handle) == 0 || len(handle) > MaxUserHandleLen {
			return User{}, Credential{}, fmt.Errorf("%w: discoverable login without a valid user handle", ErrCeremony)
		}
	}
	if err := ctx.Err(); err != nil {
		return User{}, Credential{}, err
	}
	user, creds, err := find(ctx, handle, parsed.RawID)
	if err != nil {
		return User{}, Credential{}, fmt.Errorf("passkey: %s: find user: %w", op, err)
	}
	if !bytes.Equal(user.Handle, handle) {
		return User{}, Credential{}, fmt.Errorf("passkey: %s: find returned a user with another handle", op)
	}
	used := -1
	lu := libUser{u: user, creds: make([]webauthn.Credential, len(creds))}
	for i, c := range creds {
		lu.creds[i] = c.library()
		if bytes.Equal(c.ID, parsed.RawID) {
			used = i
		}
	}
	if used < 0 {
		return User{}, Credential{}, ErrUnknownCredential
	}
	w, err := s.library(rp)
	if err != nil {
		return User{}, Credential{}, err
	}
	var lc *webauthn.Credential
	if discoverable {
		_, lc, err = w.ValidatePasskeyLogin(func(_, _ []byte) (webauthn.User, error) { return lu, nil }, sess.library(), parsed)
	} else {
		lc, err = w.ValidateLogin(lu, sess.library(), parsed)
	}
	if err != nil {
		return User{}, Credential{}, ceremonyError(err)
	}
	if sess.UserVerification == VerificationRequired && !parsed.Response.AuthenticatorData.Flags.HasUserVerified() {
		return User{}, Credential{}, ErrUserVerification
	}
	if lc.Authenticator.CloneWarning {
		return User{}, Credential{}, fmt.Errorf("%w: stored %d, received %d", ErrCloned, creds[used].SignCount, parsed.Response.AuthenticatorData.Counter)
	}
	c := creds[used]
	c.SignCount = lc.Authenticator.SignCount
	c.UserVerified = lc.Flags.UserVerified
	c.BackupState = lc.Flags.BackupState
	c.LastUsedAt = s.clk.Now().UTC()
	return user, c, nil
}
