package passkey

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// BeginRegistration starts registering a passkey for u on rp. It returns
// the PublicKeyCredentialCreationOptionsJSON for the page to pass to
// PublicKeyCredential.parseCreationOptionsFromJSON and then
// navigator.credentials.create({publicKey}), and the Session to keep
// until FinishRegistration.
//
// The options ask for a discoverable credential (resident key required,
// so it signs in without a username), user verification required, no
// attestation, the algorithms ES256, EdDSA and RS256, and exclude the
// user's existing passkeys (exclude) so an authenticator is not
// registered twice. It refuses an invalid rp (a Name is required here) or
// u (Handle and Name required) with *invalid.Error values.
func (s *Service) BeginRegistration(rp RP, u User, exclude []Credential) (string, Session, error) {
	const op = "begin registration"
	if err := errors.Join(checkRP(rp, true), checkUser(u, true)); err != nil {
		return "", Session{}, fmt.Errorf("passkey: %s: %w", op, err)
	}
	w, err := s.library(rp)
	if err != nil {
		return "", Session{}, err
	}
	creation, lib, err := w.BeginRegistration(libUser{u: u},
		webauthn.WithCredentialParameters(credParams()),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   protocol.VerificationRequired,
		}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
		webauthn.WithExclusions(descriptors(exclude)),
	)
	if err != nil {
		return "", Session{}, fmt.Errorf("passkey: %s: %w", op, err)
	}
	options, err := json.Marshal(creation.Response)
	if err != nil {
		return "", Session{}, fmt.Errorf("passkey: %s: options: %w", op, err)
	}
	return string(options), s.newSession(CeremonyRegistration, lib, VerificationRequired), nil
}

// FinishRegistration verifies the browser's response (the JSON of
// credential.toJSON() after navigator.credentials.create) against the
// Session from BeginRegistration for the same rp and u, and returns the
// new Credential, CreatedAt set from the clock, for the caller to store
// (after checking that its ID is not registered already).
//
// It refuses: an invalid rp or u (*invalid.Error values); a session of
// another kind or RP ID (ErrCeremony) or past its expiry
// (ErrSessionExpired); an empty, overlong or malformed response
// (ErrCeremony with an *invalid.Error naming "response"); a response that
// does not complete this ceremony — another challenge, an origin not in
// rp.Origins, another RP ID, another user, a bad attestation (ErrCeremony,
// wrapping the library's error); a response without user verification
// (ErrUserVerification).
func (s *Service) FinishRegistration(rp RP, sess Session, u User, response string) (Credential, error) {
	const op = "finish registration"
	if err := errors.Join(checkRP(rp, false), checkUser(u, false)); err != nil {
		return Credential{}, fmt.Errorf("passkey: %s: %w", op, err)
	}
	if err := s.check(sess, CeremonyRegistration, rp); err != nil {
		return Credential{}, err
	}
	if err := checkResponse(response); err != nil {
		return Credential{}, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes([]byte(response))
	if err != nil {
		return Credential{}, malformed("registration", err)
	}
	w, err := s.library(rp)
	if err != nil {
		return Credential{}, err
	}
	lc, err := w.CreateCredential(libUser{u: u}, sess.library(), parsed)
	if err != nil {
		return Credential{}, ceremonyError(err)
	}
	if sess.UserVerification == VerificationRequired && !lc.Flags.UserVerified {
		return Credential{}, ErrUserVerification
	}
	c := Credential{
		ID:                lc.ID,
		PublicKey:         lc.PublicKey,
		AttestationType:   lc.AttestationType,
		AttestationFormat: lc.AttestationFormat,
		AAGUID:            lc.Authenticator.AAGUID,
		SignCount:         lc.Authenticator.SignCount,
		Transports:        keepTransports(lc.Transport),
		UserVerified:      lc.Flags.UserVerified,
		BackupEligible:    lc.Flags.BackupEligible,
		BackupState:       lc.Flags.BackupState,
		CreatedAt:         s.clk.Now().UTC(),
	}
	if _, err := Decode(c.Encode()); err != nil {
		// A key or ID too large to store, or a key the stored form
		// does not take: refuse now rather than store what will not load.
		return Credential{}, fmt.Errorf("%w: credential cannot be stored: %w", ErrCeremony, err)
	}
	return c, nil
}
