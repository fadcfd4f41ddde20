package passkey

import (
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// Ceremony names what a Session was begun for.
type Ceremony string

// Ceremony values.
const (
	CeremonyRegistration Ceremony = "registration"
	CeremonyLogin        Ceremony = "login"
)

// Session is the state of one ceremony, kept by the engine in its flow
// state (server side, never in the browser) between Begin and Finish. It
// marshals to JSON with stable field names; byte fields are standard
// base64 as encoding/json writes them. A Session serves one Finish: the
// caller discards it afterwards, whatever the outcome.
type Session struct {
	// Ceremony is what the session was begun for; Finish refuses the
	// other kind.
	Ceremony Ceremony `json:"ceremony"`
	// Challenge is the base64url challenge sent to the browser.
	Challenge string `json:"challenge"`
	// RPID is the RP ID the ceremony runs for; Finish refuses another.
	RPID string `json:"rp_id"`
	// UserHandle is the user registering or signing in; empty for a
	// discoverable login, where the passkey names the user.
	UserHandle []byte `json:"user_handle,omitempty"`
	// AllowedCredentialIDs are the credentials a login may use; empty
	// for registration and discoverable logins.
	AllowedCredentialIDs [][]byte `json:"allowed_credential_ids,omitempty"`
	// UserVerification is whether Finish requires user verification.
	UserVerification UserVerification `json:"user_verification"`
	// ExpiresAt is when the session expires (Deps.Timeout after Begin).
	ExpiresAt time.Time `json:"expires_at"`
}

// newSession returns the Session for what the library began.
func (s *Service) newSession(c Ceremony, lib *webauthn.SessionData, uv UserVerification) Session {
	return Session{
		Ceremony:             c,
		Challenge:            lib.Challenge,
		RPID:                 lib.RelyingPartyID,
		UserHandle:           lib.UserID,
		AllowedCredentialIDs: lib.AllowedCredentialIDs,
		UserVerification:     uv,
		ExpiresAt:            s.clk.Now().Add(s.timeout).UTC(),
	}
}

// check refuses a session of another ceremony or RP (ErrCeremony) and one
// past its expiry (ErrSessionExpired).
func (s *Service) check(sess Session, c Ceremony, rp RP) error {
	switch {
	case sess.Ceremony != c:
		return fmt.Errorf("%w: session is for %q", ErrCeremony, sess.Ceremony)
	case sess.RPID != rp.ID:
		return fmt.Errorf("%w: session is for another RP ID", ErrCeremony)
	case sess.UserVerification != VerificationRequired && sess.UserVerification != VerificationPreferred:
		return fmt.Errorf("%w: session has no user verification requirement", ErrCeremony)
	case !s.clk.Now().Before(sess.ExpiresAt):
		return fmt.Errorf("%w: at %s", ErrSessionExpired, sess.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// library returns the session as the library expects it. User
// verification is left to the Service (ErrUserVerification), so the
// library is told it is only preferred; expiry is the Service's too.
func (sess Session) library() webauthn.SessionData {
	d := webauthn.SessionData{
		Challenge:            sess.Challenge,
		RelyingPartyID:       sess.RPID,
		UserID:               sess.UserHandle,
		AllowedCredentialIDs: sess.AllowedCredentialIDs,
		UserVerification:     protocol.VerificationPreferred,
	}
	if sess.Ceremony == CeremonyRegistration {
		d.CredParams = credParams()
	}
	return d
}
