package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/internal/clientip"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/factor"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
)

// Journeys a sign-in flow can take besides signing in.
const (
	// journeyRecover: the person forgot their password. The emailed code
	// or link proves the address; the recovery policy may then ask for an
	// enrolled factor; a new password ends it.
	journeyRecover = "recover"
)

// Recovery steps.
const (
	// StepChallengeAnswer asks for the answer to a security question.
	StepChallengeAnswer = wire.StepChallengeSecurityAnswer
)

// StepEnrollPassword asks for a new password.
var StepEnrollPassword = wire.EnrollStep("password")

// recoverable reports whether an account in status s may recover by
// email: active, locked out (recovery unlocks) or with an expired password.
func recoverable(s directory.Status) bool {
	return s == directory.StatusActive || s == directory.StatusLockedOut || s == directory.StatusPasswordExpired
}

// startRecovery moves the flow from identify or the password step to the
// recover step, keeping the login typed so far (at identify, the one the
// form carries).
func (e *Engine) startRecovery(ctx context.Context, f *flow, req wire.ContinueRequest) error {
	typed, _ := req.Value(FieldLogin)
	typed = strings.TrimSpace(typed)
	return e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		if !f.State.CanRecover || len(f.State.Proven) > 0 {
			return ErrUnknownAction
		}
		f.Step, f.Attempts, f.State.Messages, f.State.UserID, f.State.Email = wire.StepRecover, 0, nil, "", nil
		if typed != "" && len(typed) <= maxLoginLen {
			f.State.Login = typed
		}
		return e.update(ctx, tx, f)
	})
}

// sendRecovery mails the recovery code and link for the login typed at
// the recover step. Whether or not an account exists, the flow moves to
// the poll step with the same message; only an account that may recover
// gets mail.
func (e *Engine) sendRecovery(ctx context.Context, f *flow, req wire.ContinueRequest) error {
	login, _ := req.Value(FieldLogin)
	login = strings.TrimSpace(login)
	f.State.Messages = nil
	switch {
	case login == "":
		f.State.Messages = []wire.Message{{ID: MsgFieldRequired, Level: wire.LevelError, Field: FieldLogin}}
		return e.save(ctx, f)
	case len(login) > maxLoginLen:
		f.State.Messages = []wire.Message{{ID: MsgFieldTooLong, Level: wire.LevelError, Field: FieldLogin, Params: []wire.Param{{Name: "max", Value: strconv.Itoa(maxLoginLen)}}}}
		return e.save(ctx, f)
	}
	return e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		f.State.Login, f.State.Journey, f.State.Email = login, journeyRecover, nil
		return e.sendAndPoll(ctx, tx, f)
	})
}

// recoveryProved follows a proven recovery email: the recovery policy
// decides whether an enrolled factor must be proven before a new password
// is set. With RecoveryFactorRequired and no factor enrolled, self-service
// recovery is refused (the help desk can still help).
func (e *Engine) recoveryProved(ctx context.Context, tx store.Tx, f *flow, userID string) error {
	f.State.UserID, f.State.Proven = userID, []string{factorEmail}
	pol, err := e.Policies.Recovery(ctx, tx, f.TenantID)
	if err != nil {
		return err
	}
	var answer *directory.Credential
	if pol.Factor != policy.RecoveryFactorNone && slices.Contains(pol.Factors, factorAnswer) {
		creds, err := e.Directory.Credentials(ctx, tx, f.TenantID, userID)
		if err != nil {
			return err
		}
		for _, c := range creds {
			if c.Type == directory.CredentialSecurityAnswer {
				answer = &c
				break
			}
		}
	}
	switch {
	case answer != nil:
		f.Step, f.Attempts, f.State.Messages = StepChallengeAnswer, 0, nil
		f.State.Question, f.State.AnswerID = answer.Label, answer.ID
	case pol.Factor == policy.RecoveryFactorRequired:
		f.Step, f.Done = wire.StepError, true
		f.State.Messages = []wire.Message{{ID: MsgRecoveryNeedsFactor, Level: wire.LevelError}}
		return e.event(ctx, tx, f, "user.recovery", events.Failure, userID, map[string]any{"reason": "no_factor"})
	default:
		f.Step, f.Attempts, f.State.Messages = StepEnrollPassword, 0, nil
	}
	return nil
}

// verifyAnswer checks a security answer outside any transaction (it is
// hashed like a password), then records the outcome: the new-password
// step, or a failed attempt (the flow ends after maxAttempts).
func (e *Engine) verifyAnswer(ctx context.Context, f *flow, req wire.ContinueRequest, sessionCookie string) (*SessionCookie, error) {
	answer, _ := req.Value(FieldAnswer)
	f.State.Messages = nil
	if strings.TrimSpace(answer) == "" {
		f.State.Messages = []wire.Message{{ID: MsgFieldRequired, Level: wire.LevelError, Field: FieldAnswer}}
		return nil, e.save(ctx, f)
	}
	if len(answer) > factor.MaxPasswordLen {
		f.State.Messages = []wire.Message{{ID: MsgFieldTooLong, Level: wire.LevelError, Field: FieldAnswer, Params: []wire.Param{{Name: "max", Value: strconv.Itoa(factor.MaxPasswordLen)}}}}
		return nil, e.save(ctx, f)
	}
	var hash string
	err := e.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		creds, err := e.Directory.Credentials(ctx, tx, f.TenantID, f.State.UserID)
		for _, c := range creds {
			if c.ID == f.State.AnswerID && c.Type == directory.CredentialSecurityAnswer {
				hash = c.Secret
			}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("engine: security answer: %w", err)
	}
	ok := false
	if hash == "" {
		e.Passwords.VerifyDummy(ctx, answer) // removed meanwhile: fails, at the same cost
	} else if ok, err = e.Passwords.VerifyAnswer(ctx, hash, answer); invalid.Is(err) {
		// An answer that could never have been enrolled (too short once
		// normalised) is simply wrong.
		ok, err = false, nil
	} else if err != nil {
		return nil, fmt.Errorf("engine: verify security answer: %w", err)
	}
	var cookie *SessionCookie
	err = e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		if !ok {
			f.Attempts++
			f.State.Messages = []wire.Message{{ID: MsgAnswerInvalid, Level: wire.LevelError, Field: FieldAnswer}}
			if f.Attempts >= maxAttempts {
				f.Step, f.Done = wire.StepError, true
				f.State.Messages = []wire.Message{{ID: MsgAttemptsExceeded, Level: wire.LevelError}}
			}
			typ := "user.recovery"
			if f.State.Journey != journeyRecover {
				typ = "user.signin"
			}
			if err := e.event(ctx, tx, f, typ, events.Failure, f.State.UserID, map[string]any{"reason": "answer", "factor": factorAnswer, "attempt": f.Attempts}); err != nil {
				return err
			}
			return e.update(ctx, tx, f)
		}
		if f.State.Journey != journeyRecover {
			f.State.Question, f.State.AnswerID = "", ""
			var err error
			if cookie, err = e.proved(ctx, tx, f, factorAnswer, sessionCookie); err != nil {
				return err
			}
			return e.update(ctx, tx, f)
		}
		if !slices.Contains(f.State.Proven, factorAnswer) {
			f.State.Proven = append(f.State.Proven, factorAnswer)
		}
		f.Step, f.Attempts, f.State.Messages, f.State.Question, f.State.AnswerID = StepEnrollPassword, 0, nil, "", ""
		return e.update(ctx, tx, f)
	})
	return cookie, err
}

// newPassword sets the password chosen at the new-password step and
// completes the recovery: the password policy checks it (length,
// blocklist, history) and it is hashed outside any write transaction;
// then, in one transaction, the password is stored and remembered, every
// session and OAuth grant of the person ends, a lockout is lifted, the
// person is told by mail (when the policy says so) and signed in here.
func (e *Engine) newPassword(ctx context.Context, f *flow, req wire.ContinueRequest) (*SessionCookie, error) {
	pw, _ := req.Value(FieldNewPassword)
	f.State.Messages = nil
	if pw == "" {
		f.State.Messages = []wire.Message{{ID: MsgFieldRequired, Level: wire.LevelError, Field: FieldNewPassword}}
		return nil, e.save(ctx, f)
	}
	hash, refused, err := e.hashNewPassword(ctx, f, pw)
	if err != nil {
		return nil, err
	}
	if refused != nil {
		f.State.Messages = refused
		return nil, e.save(ctx, f)
	}
	var cookie *SessionCookie
	err = e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		if f.State.Journey == journeyActivate {
			if err := e.activationPassword(ctx, tx, f, hash); err != nil {
				return err
			}
			return e.update(ctx, tx, f)
		}
		var err error
		cookie, err = e.recovered(ctx, tx, f, hash)
		if err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
	if err != nil {
		return nil, fmt.Errorf("engine: complete recovery: %w", err)
	}
	return cookie, nil
}

// recovered completes a recovery in tx once the new password's hash is
// known, then signs the person in as the sign-on policy allows (the email
// counts as the factor proven; a policy asking for two goes on to the
// next).
func (e *Engine) recovered(ctx context.Context, tx store.Tx, f *flow, hash string) (*SessionCookie, error) {
	userID := f.State.UserID
	u, err := e.Directory.User(ctx, tx, f.TenantID, userID)
	if err != nil {
		return nil, err
	}
	if !recoverable(u.Status) {
		f.Step, f.Done = wire.StepError, true
		f.State.Messages = []wire.Message{{ID: MsgAccessDenied, Level: wire.LevelError}}
		return nil, e.event(ctx, tx, f, "user.recovery", events.Failure, userID, map[string]any{"reason": "status"})
	}
	if err := e.Directory.SetCredential(ctx, tx, f.TenantID, userID, directory.CredentialPassword, hash); err != nil {
		return nil, err
	}
	if err := e.Policies.RememberPassword(ctx, tx, f.TenantID, userID, hash); err != nil {
		return nil, err
	}
	sessions, err := e.Sessions.RevokeUser(ctx, tx, f.TenantID, userID)
	if err != nil {
		return nil, err
	}
	grants, err := e.OIDC.RevokeGrants(ctx, tx, f.TenantID, userID, "", oidc.RevokedRecovery)
	if err != nil {
		return nil, err
	}
	if err := e.Policies.ClearFailures(ctx, tx, f.TenantID, userID); err != nil {
		return nil, err
	}
	if u.Status != directory.StatusActive {
		if u, err = e.Directory.Transition(ctx, tx, f.TenantID, userID, directory.StatusActive, events.Ref{Type: "user", ID: userID}); err != nil {
			return nil, err
		}
	}
	if err := e.event(ctx, tx, f, "user.recovered", events.Success, userID, map[string]any{
		"factors": f.State.Proven, "sessions_revoked": sessions, "grants_revoked": grants,
	}); err != nil {
		return nil, err
	}
	pol, err := e.Policies.Recovery(ctx, tx, f.TenantID)
	if err != nil {
		return nil, err
	}
	if pol.Notify {
		ip := ""
		if a := clientip.From(ctx); a.IsValid() {
			ip = a.String()
		}
		at := e.Clock.Now().UTC().Format("2006-01-02 15:04 UTC")
		if err := e.notify(ctx, tx, f, u, "recovered", func(s *emailtemplates.Set, lang string, a emailtemplates.Audience) (emailtemplates.Rendered, error) {
			return s.Recovered(lang, emailtemplates.RecoveredView{Audience: a, At: at, IP: ip})
		}); err != nil {
			return nil, err
		}
	}
	// The session starts afresh (every earlier one just ended), on the
	// email factor: a security answer is a recovery factor only.
	f.State.Journey, f.State.Proven = "", nil
	return e.proved(ctx, tx, f, factorEmail, "")
}

// passwordMessages turns a refusal of the password policy into messages
// about field; any other error comes back as it is.
func passwordMessages(err error, pol policy.PasswordPolicy, field string) ([]wire.Message, error) {
	if err == nil || !errors.Is(err, policy.ErrPasswordRefused) {
		return nil, err
	}
	count := func(n int) []wire.Param { return []wire.Param{{Name: "count", Value: strconv.Itoa(n)}} }
	var out []wire.Message
	for _, r := range []struct {
		err    error
		id     string
		params []wire.Param
	}{
		{policy.ErrPasswordTooShort, MsgPasswordTooShort, count(pol.MinLength)},
		{policy.ErrPasswordTooLong, MsgPasswordTooLong, count(pol.MaxLength)},
		{policy.ErrPasswordCommon, MsgPasswordCommon, nil},
		{policy.ErrPasswordReused, MsgPasswordReused, count(pol.History)},
	} {
		if errors.Is(err, r.err) {
			out = append(out, wire.Message{ID: r.id, Level: wire.LevelError, Field: field, Params: r.params})
		}
	}
	if out == nil {
		out = []wire.Message{{ID: MsgPasswordRefused, Level: wire.LevelError, Field: field}}
	}
	return out, nil
}

// hashNewPassword checks pw against the tenant's password policy for the
// flow's account (length, blocklist, history) and hashes it; a refusal
// comes back as the messages to show on the new-password field.
func (e *Engine) hashNewPassword(ctx context.Context, f *flow, pw string) (hash string, refused []wire.Message, err error) {
	err = e.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		pol, err := e.Policies.Password(ctx, tx, f.TenantID)
		if err != nil {
			return err
		}
		hash, err = e.Policies.HashPassword(ctx, tx, f.TenantID, f.State.UserID, pw)
		refused, err = passwordMessages(err, pol, FieldNewPassword)
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("engine: new password: %w", err)
	}
	return hash, refused, nil
}
