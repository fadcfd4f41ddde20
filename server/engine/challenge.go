package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/factor/recoverycode"
	"github.com/lintel-id/lintel/server/factor/totp"
	"github.com/lintel-id/lintel/server/store"
)

// factorState is the ceremony of the current factor step: what a code is
// checked against, the credential being set up, what the page shows.
type factorState struct {
	// Name is the factor.
	Name string `json:"name"`
	// CredentialID is the credential being verified or set up.
	CredentialID string `json:"credential_id,omitempty"`
	// Sealed is what the step shows that must not rest in clear (an
	// authenticator app's key URI, recovery codes), sealed to the flow.
	Sealed []byte `json:"sealed,omitempty"`
	// WebAuthn is a passkey ceremony's state; Options what the page
	// passes to the browser.
	WebAuthn []byte `json:"webauthn,omitempty"`
	Options  string `json:"options,omitempty"`
	// Phone is a code sent by text message or call.
	Phone *phoneChallenge `json:"phone,omitempty"`
}

// sealPurpose binds what a step shows to its flow.
const sealPurpose = "engine.flow-shown"

// challengeStep is the step that asks for each factor.
var challengeStep = map[string]wire.StepKind{
	factorPassword: wire.StepChallengePassword, factorPasskey: wire.StepChallengePasskey,
	factorTOTP: wire.StepChallengeTOTP, factorRecoveryCode: wire.StepChallengeRecoveryCode,
	factorSMS: wire.StepChallengeSMS, factorVoice: wire.StepChallengeVoice, factorAnswer: StepChallengeAnswer,
}

// challenge moves the flow to the step that asks the person, whose
// account is known, for factor (one they have enrolled).
func (e *Engine) challenge(ctx context.Context, tx store.Tx, f *flow, u directory.User, factor string) error {
	f.State.Factor, f.State.Messages, f.Attempts = &factorState{Name: factor}, nil, 0
	switch factor {
	case factorPassword, factorTOTP, factorRecoveryCode:
		f.Step = challengeStep[factor]
		return nil
	case factorEmail:
		f.State.Factor, f.State.Email = nil, nil
		started, err := e.sendEmail(ctx, tx, f)
		if err != nil {
			return err
		}
		if started {
			f.Step = wire.StepPoll
		}
		return nil
	case factorAnswer:
		creds, err := e.credentials(ctx, tx, f.TenantID, u.ID, directory.CredentialSecurityAnswer)
		if err != nil || len(creds) == 0 {
			return errors.Join(err, fmt.Errorf("engine: %s has no security answer", u.ID))
		}
		f.Step, f.State.Question, f.State.AnswerID = StepChallengeAnswer, creds[0].Label, creds[0].ID
		return nil
	case factorPasskey:
		return e.passkeyChallenge(ctx, tx, f, u)
	case factorSMS, factorVoice:
		return e.phoneChallenge(ctx, tx, f, u, factor)
	}
	return fmt.Errorf("engine: no challenge for %q", factor)
}

// credentials lists a user's verified credentials of one type.
func (e *Engine) credentials(ctx context.Context, tx store.Tx, tenantID, userID, typ string) ([]directory.Credential, error) {
	all, err := e.Directory.Credentials(ctx, tx, tenantID, userID)
	return slices.DeleteFunc(all, func(c directory.Credential) bool { return c.Type != typ || !c.Verified }), err
}

// selectAuthenticator moves the flow to the choice among the factors on
// offer ("another way").
func (e *Engine) anotherWay(ctx context.Context, f *flow) error {
	return e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		if len(f.State.Offer) < 2 {
			return ErrUnknownAction
		}
		f.Step, f.State.Messages, f.State.Factor, f.Attempts = wire.StepSelectAuthenticator, nil, nil, 0
		return e.update(ctx, tx, f)
	})
}

// selected moves the flow to the factor the person chose.
func (e *Engine) selected(ctx context.Context, f *flow, req wire.ContinueRequest) error {
	choice, _ := req.Value(FieldAuthenticator)
	return e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		if !slices.Contains(f.State.Offer, choice) {
			f.State.Messages = []wire.Message{{ID: MsgFieldRequired, Level: wire.LevelError, Field: FieldAuthenticator}}
			return e.update(ctx, tx, f)
		}
		u, err := e.Directory.User(ctx, tx, f.TenantID, f.State.UserID)
		if err != nil {
			return err
		}
		if f.State.Enrolling {
			err = e.enroll(ctx, tx, f, u, choice)
		} else {
			err = e.challenge(ctx, tx, f, u, choice)
		}
		if err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
}

// codeFactor checks a code of an authenticator app or a recovery code
// against the person's credentials, and records the outcome in one
// transaction: the credential's new state written with a compare-and-
// swap (so a code is good once even when two requests race), then the
// factor proven; or a failed attempt (the flow ends after maxAttempts).
func (e *Engine) codeFactor(ctx context.Context, f *flow, req wire.ContinueRequest, sessionCookie string) (*SessionCookie, error) {
	code, _ := req.Value(FieldCode)
	code = strings.TrimSpace(code)
	f.State.Messages = nil
	switch {
	case code == "":
		f.State.Messages = []wire.Message{{ID: MsgFieldRequired, Level: wire.LevelError, Field: FieldCode}}
		return nil, e.save(ctx, f)
	case len(code) > maxCodeLen:
		f.State.Messages = []wire.Message{{ID: MsgFieldTooLong, Level: wire.LevelError, Field: FieldCode, Params: []wire.Param{{Name: "max", Value: strconv.Itoa(maxCodeLen)}}}}
		return nil, e.save(ctx, f)
	}
	var cookie *SessionCookie
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		cookie = nil
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		if limited, err := e.limited(ctx, tx, f, opCode); err != nil || limited {
			if err == nil {
				err = e.update(ctx, tx, f)
			}
			return err
		}
		name := f.State.Factor.Name
		ok, used, err := e.useCode(ctx, tx, f, name, code)
		if err != nil {
			return err
		}
		if !ok {
			return e.wrongCode(ctx, tx, f, name, used)
		}
		if f.Step.IsEnroll() {
			cookie, err = e.afterEnroll(ctx, tx, f, name, sessionCookie)
		} else {
			cookie, err = e.proved(ctx, tx, f, name, sessionCookie)
		}
		if err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
	if err != nil {
		return nil, fmt.Errorf("engine: verify code: %w", err)
	}
	return cookie, nil
}

// maxCodeLen bounds a typed code of any kind.
const maxCodeLen = 32

// useCode checks code against the person's credentials of factor and, on
// a match, stores the credential's new state. used says the code was
// good once but was used already (a replay).
func (e *Engine) useCode(ctx context.Context, tx store.Tx, f *flow, name, code string) (ok, used bool, err error) {
	var typ string
	switch name {
	case factorTOTP:
		typ = directory.CredentialTOTP
	case factorRecoveryCode:
		typ = directory.CredentialRecoveryCodes
	case factorSMS, factorVoice:
		return e.phoneCode(ctx, tx, f, code)
	default:
		return false, false, fmt.Errorf("engine: %s is not a code factor", name)
	}
	all, err := e.Directory.Credentials(ctx, tx, f.TenantID, f.State.UserID)
	if err != nil {
		return false, false, err
	}
	for _, c := range all {
		if c.Type != typ || (!c.Verified && c.ID != f.State.Factor.CredentialID) {
			continue
		}
		var next string
		switch typ {
		case directory.CredentialTOTP:
			next, err = e.TOTP.Verify(ctx, tx, c.ID, c.Secret, code)
		default:
			next, _, err = e.Codes.Use(c.Secret, code)
		}
		switch {
		case errors.Is(err, totp.ErrCodeReused), errors.Is(err, recoverycode.ErrCodeUsed):
			used = true
			continue
		case errors.Is(err, totp.ErrCodeInvalid), errors.Is(err, recoverycode.ErrCodeInvalid):
			continue
		case err != nil:
			return false, false, fmt.Errorf("engine: %s credential %s: %w", typ, c.ID, err)
		}
		err = e.Directory.SwapCredentialSecret(ctx, tx, f.TenantID, f.State.UserID, c.ID, c.Secret, next, true)
		if errors.Is(err, directory.ErrCredentialChanged) {
			return false, true, nil // the same code, used at the same moment
		}
		return err == nil, false, err
	}
	return false, used, nil
}

// wrongCode counts a wrong code; past maxAttempts the flow ends.
func (e *Engine) wrongCode(ctx context.Context, tx store.Tx, f *flow, name string, used bool) error {
	f.Attempts++
	id := MsgCodeInvalid
	if used {
		id = MsgCodeUsed
	}
	f.State.Messages = []wire.Message{{ID: id, Level: wire.LevelError, Field: FieldCode}}
	if f.Attempts >= maxAttempts {
		f.Step, f.Done = wire.StepError, true
		f.State.Messages = []wire.Message{{ID: MsgAttemptsExceeded, Level: wire.LevelError}}
	}
	if err := e.event(ctx, tx, f, "user.signin", events.Failure, f.State.UserID, map[string]any{"reason": "code", "factor": name, "attempt": f.Attempts, "replay": used}); err != nil {
		return err
	}
	return e.update(ctx, tx, f)
}
