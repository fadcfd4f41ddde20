package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// journeyEnroll: a signed-in person sets up a factor from their account
// page; the flow ends back there.
const journeyEnroll = "enroll"

// Questions are the message IDs of the security questions a person may
// choose from when setting up an answer.
var Questions = []string{"question.first_school", "question.first_pet", "question.birth_city", "question.childhood_friend", "question.first_job", "question.parents_met"}

// enroll moves the flow to setting up factor for the person: a passkey, an
// authenticator app (with a new, not yet verified credential holding its
// sealed key), a phone number, or a security answer.
func (e *Engine) enroll(ctx context.Context, tx store.Tx, f *flow, u directory.User, factor string) error {
	f.Step, f.State.Factor, f.State.Messages, f.Attempts = wire.EnrollStep(factor), &factorState{Name: factor}, nil, 0
	switch factor {
	case factorPasskey:
		return e.passkeyEnroll(ctx, tx, f, u)
	case factorTOTP:
		return e.totpEnroll(ctx, tx, f, u)
	case factorSMS, factorVoice, factorAnswer:
		return nil
	}
	return fmt.Errorf("engine: %q cannot be enrolled", factor)
}

// totpEnroll makes a new authenticator-app key: the credential is stored
// unverified with the key sealed, and the key URI, sealed to the flow,
// waits for the page to show it until a first code proves the app has it.
// An earlier unverified one of the person (an abandoned set-up) goes.
func (e *Engine) totpEnroll(ctx context.Context, tx store.Tx, f *flow, u directory.User) error {
	all, err := e.Directory.Credentials(ctx, tx, f.TenantID, u.ID)
	if err != nil {
		return err
	}
	for _, c := range all {
		if c.Type == directory.CredentialTOTP && !c.Verified {
			if err := e.Directory.DeleteCredential(ctx, tx, f.TenantID, u.ID, c.ID); err != nil {
				return err
			}
		}
	}
	issuer := f.State.AppName
	if issuer == "" {
		issuer = "Lintel"
	}
	account := u.Login
	if u.Email != "" {
		account = u.Email
	}
	en, err := e.TOTP.Generate(strings.ReplaceAll(issuer, ":", " "), strings.ReplaceAll(account, ":", " "))
	if err != nil {
		return err
	}
	c, err := e.Directory.AddCredential(ctx, tx, f.TenantID, u.ID, directory.CredentialInput{Type: directory.CredentialTOTP, Secret: "pending", Label: issuer})
	if err != nil {
		return err
	}
	stored, err := e.TOTP.Seal(c.ID, en.Seed)
	if err != nil {
		return err
	}
	if err := e.Directory.SwapCredentialSecret(ctx, tx, f.TenantID, u.ID, c.ID, "pending", stored, false); err != nil {
		return err
	}
	sealed, err := e.Secrets.Seal(secrets.Binding{Purpose: sealPurpose, Row: f.ID}, []byte(en.URI))
	if err != nil {
		return err
	}
	f.State.Factor.CredentialID, f.State.Factor.Sealed = c.ID, sealed
	return nil
}

// shown opens what the current step shows sealed ("" when nothing).
func (e *Engine) shown(ctx context.Context, f *flow) string {
	if f.State.Factor == nil || len(f.State.Factor.Sealed) == 0 {
		return ""
	}
	b, err := e.Secrets.Open(ctx, nil, secrets.Binding{Purpose: sealPurpose, Row: f.ID}, f.State.Factor.Sealed)
	if err != nil {
		e.Logger.ErrorContext(ctx, "engine: open what a step shows", "flow", f.ID, "err", err)
		return ""
	}
	return string(b)
}

// enrollAnswer stores the security answer chosen at its enrollment step.
func (e *Engine) enrollAnswer(ctx context.Context, f *flow, req wire.ContinueRequest, sessionCookie string) (*SessionCookie, error) {
	q, _ := req.Value(FieldQuestion)
	answer, _ := req.Value(FieldAnswer)
	f.State.Messages = nil
	if !slices.Contains(Questions, q) {
		f.State.Messages = append(f.State.Messages, wire.Message{ID: MsgFieldRequired, Level: wire.LevelError, Field: FieldQuestion})
	}
	hash, err := e.Passwords.HashAnswer(ctx, answer)
	if invalid.Is(err) {
		id := MsgAnswerTooShort
		if strings.TrimSpace(answer) == "" {
			id = MsgFieldRequired
		}
		f.State.Messages = append(f.State.Messages, wire.Message{ID: id, Level: wire.LevelError, Field: FieldAnswer})
	} else if err != nil {
		return nil, fmt.Errorf("engine: hash security answer: %w", err)
	}
	if len(f.State.Messages) > 0 {
		return nil, e.save(ctx, f)
	}
	var cookie *SessionCookie
	err = e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		if _, err := e.Directory.AddCredential(ctx, tx, f.TenantID, f.State.UserID, directory.CredentialInput{
			Type: directory.CredentialSecurityAnswer, Secret: hash, Verified: true, Label: e.questionText(f, q)}); err != nil {
			return err
		}
		var err error
		if cookie, err = e.afterEnroll(ctx, tx, f, factorAnswer, sessionCookie); err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
	return cookie, err
}

// questionText is a question in the flow's language, as the credential
// keeps it (recovery shows it as it was asked).
func (e *Engine) questionText(f *flow, id string) string {
	if e.Text != nil {
		if s := e.Text(f.State.Locale, id); s != "" {
			return s
		}
	}
	return id
}

// afterEnroll moves on once the person set up factor: the factor counts
// as proven for a sign-in that needed it; recovery codes come next when
// the policy allows them and the person has none left; then the flow goes
// where it was going (the sign-in, the code, the account page).
func (e *Engine) afterEnroll(ctx context.Context, tx store.Tx, f *flow, factor, sessionCookie string) (*SessionCookie, error) {
	ev := map[string]any{"factor": factor}
	if f.State.Factor != nil && f.State.Factor.CredentialID != "" {
		ev["credential"] = f.State.Factor.CredentialID
	}
	if err := e.event(ctx, tx, f, "user.factor.enrolled", events.Success, f.State.UserID, ev); err != nil {
		return nil, err
	}
	cred := ""
	if f.State.Factor != nil {
		cred = f.State.Factor.CredentialID
	}
	label, err := e.enrolledLabel(ctx, tx, f, factor, cred)
	if err != nil {
		return nil, err
	}
	if err := e.factorEnrolled(ctx, tx, f, factor, label); err != nil {
		return nil, err
	}
	f.State.Factor, f.State.Messages, f.Attempts = nil, nil, 0
	if factor != factorAnswer {
		shown, err := e.offerCodes(ctx, tx, f)
		if err != nil || shown {
			if shown && f.State.Enrolling && !slices.Contains(f.State.Proven, factor) {
				f.State.Proven = append(f.State.Proven, factor)
			}
			return nil, err
		}
	}
	return e.enrollDone(ctx, tx, f, factor, sessionCookie)
}

// enrollDone ends an enrollment: proven for a sign-in that needed it, or
// back to the code (a prompt after sign-in), or to the account page.
func (e *Engine) enrollDone(ctx context.Context, tx store.Tx, f *flow, factor, sessionCookie string) (*SessionCookie, error) {
	f.State.Factor = nil
	switch {
	case f.State.Journey == journeyEnroll:
		f.Step, f.Done, f.State.Redirect = wire.StepDone, true, f.State.Return
		return nil, nil
	case f.State.Journey == journeyActivate:
		f.State.Offer, f.State.Enrolling, f.State.Optional = nil, false, false
		f.finishActivation()
		return nil, nil
	case f.State.Grant != nil:
		return nil, e.authenticated(ctx, tx, f, *f.State.Grant)
	}
	if factor == factorRecoveryCode {
		// The codes were shown after the factor the sign-in needed.
		return e.conclude(ctx, tx, f, sessionCookie, false)
	}
	f.State.Enrolling, f.State.Optional = false, false
	return e.proved(ctx, tx, f, factor, sessionCookie)
}

// offerCodes shows a new set of recovery codes when the sign-on policy
// allows them and the person has none left; it reports whether it did.
func (e *Engine) offerCodes(ctx context.Context, tx store.Tx, f *flow) (bool, error) {
	u, err := e.Directory.User(ctx, tx, f.TenantID, f.State.UserID)
	if err != nil {
		return false, err
	}
	d, err := e.decide(ctx, tx, f.TenantID, f.ClientID, u)
	if err != nil || !slices.Contains(d.Authenticators, factorRecoveryCode) {
		return false, err
	}
	have, err := e.enrolled(ctx, tx, f.TenantID, u)
	if err != nil || have[factorRecoveryCode] {
		return false, err
	}
	return true, e.newCodes(ctx, tx, f, u.ID)
}

// newCodes replaces the person's recovery codes with a new set, shown
// once at the step that follows.
func (e *Engine) newCodes(ctx context.Context, tx store.Tx, f *flow, userID string) error {
	codes, stored, err := e.Codes.Generate(0)
	if err != nil {
		return err
	}
	old, err := e.Directory.Credentials(ctx, tx, f.TenantID, userID)
	if err != nil {
		return err
	}
	for _, c := range old {
		if c.Type == directory.CredentialRecoveryCodes {
			if err := e.Directory.DeleteCredential(ctx, tx, f.TenantID, userID, c.ID); err != nil {
				return err
			}
		}
	}
	c, err := e.Directory.AddCredential(ctx, tx, f.TenantID, userID, directory.CredentialInput{Type: directory.CredentialRecoveryCodes, Secret: stored, Verified: true})
	if err != nil {
		return err
	}
	sealed, err := e.Secrets.Seal(secrets.Binding{Purpose: sealPurpose, Row: f.ID}, []byte(strings.Join(codes, " ")))
	if err != nil {
		return err
	}
	f.Step = wire.EnrollStep(factorRecoveryCode)
	f.State.Factor = &factorState{Name: factorRecoveryCode, CredentialID: c.ID, Sealed: sealed}
	return nil
}

// codesSaved ends the step that showed recovery codes.
func (e *Engine) codesSaved(ctx context.Context, f *flow, sessionCookie string) (*SessionCookie, error) {
	var cookie *SessionCookie
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		var err error
		if cookie, err = e.enrollDone(ctx, tx, f, factorRecoveryCode, sessionCookie); err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
	return cookie, err
}

// skipEnroll declines an optional enrollment: within the rule's grace the
// sign-in goes on with what is proven; a prompt after sign-in goes on to
// the code.
func (e *Engine) skipEnroll(ctx context.Context, f *flow, sessionCookie string) (*SessionCookie, error) {
	var cookie *SessionCookie
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		if !f.State.Optional {
			return ErrUnknownAction
		}
		if err := e.dropPending(ctx, tx, f); err != nil {
			return err
		}
		if err := e.event(ctx, tx, f, "user.factor.enroll_skipped", events.Success, f.State.UserID, map[string]any{"factor": f.State.Factor.Name}); err != nil {
			return err
		}
		f.State.Offer, f.State.Enrolling, f.State.Optional, f.State.Factor, f.State.Messages = nil, false, false, nil, nil
		var err error
		switch {
		case f.State.Journey == journeyActivate:
			f.finishActivation()
		case f.State.Grant != nil:
			err = e.authenticated(ctx, tx, f, *f.State.Grant)
		default:
			cookie, err = e.conclude(ctx, tx, f, sessionCookie, true)
		}
		if err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
	return cookie, err
}

// dropPending removes the unverified credential of an enrollment left
// unfinished.
func (e *Engine) dropPending(ctx context.Context, tx store.Tx, f *flow) error {
	if f.State.Factor == nil || f.State.Factor.CredentialID == "" || f.State.Factor.Name == factorRecoveryCode {
		return nil
	}
	c, err := e.Directory.CredentialByID(ctx, tx, f.TenantID, f.State.UserID, f.State.Factor.CredentialID)
	if err != nil || c.Verified {
		return nil // gone or done meanwhile
	}
	return e.Directory.DeleteCredential(ctx, tx, f.TenantID, f.State.UserID, c.ID)
}

// beforeCode runs last before the code: the enrollment the sign-on rule
// prompts for (Rule.Enroll) when the person has none of those factors,
// once per flow; then consent and the code.
func (e *Engine) beforeCode(ctx context.Context, tx store.Tx, f *flow, g oidc.Grant) error {
	if !f.State.Prompted && len(f.State.Prompt) > 0 && !f.State.Request.HasPrompt(promptNone) {
		f.State.Prompted = true
		u, err := e.Directory.User(ctx, tx, f.TenantID, g.UserID)
		if err != nil {
			return err
		}
		have, err := e.enrolled(ctx, tx, f.TenantID, u)
		if err != nil {
			return err
		}
		if offer := promptOffer(f.State.Prompt, have); len(offer) > 0 {
			f.State.Grant, f.State.Offer, f.State.Enrolling, f.State.Optional = &g, offer, true, true
			return e.enroll(ctx, tx, f, u, offer[0])
		}
	}
	return e.authenticated(ctx, tx, f, g)
}

// promptOffer is what a rule's enrollment prompt (Rule.Enroll) offers a
// person who has the factors have: the prompt's enrollable factors, none
// when they have any of them already.
func promptOffer(prompt []string, have map[string]bool) []string {
	if slices.ContainsFunc(prompt, func(a string) bool { return have[a] }) {
		return nil
	}
	return slices.DeleteFunc(slices.Clone(prompt), func(a string) bool { return !slices.Contains(policy.Enrollable, a) })
}
