package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/factor"
	"github.com/lintel-id/lintel/server/factor/passkey"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
)

// Continue moves a flow on with an action and values. sessionCookie is the
// browser's current SSO session cookie ("" when none): a successful sign-in
// replaces it. Problems with the values come back as messages in the view,
// not as errors; errors mean the flow itself is unusable.
func (e *Engine) Continue(ctx context.Context, iss oidc.Issuer, id, secret, origin string, req wire.ContinueRequest, sessionCookie string) (Result, error) {
	f, err := e.loadView(ctx, iss, id, secret, origin)
	if err != nil {
		return Result{}, err
	}
	if f.Done {
		return Result{}, ErrFlowDone
	}
	res := Result{RedirectURI: f.target()}
	switch {
	case f.Step == wire.StepIdentify && req.Action == ActionNext:
		err = e.identify(ctx, f, req)
	case (f.Step == wire.StepIdentify || f.Step == wire.StepRedirectIdP) && strings.HasPrefix(req.Action, actionIdPPrefix):
		err = e.chooseIdP(ctx, f, strings.TrimPrefix(req.Action, actionIdPPrefix))
	case req.Action == ActionBack && f.canGoBack():
		err = e.startOver(ctx, f)
	case f.State.Journey == journeyEnroll && req.Action == ActionCancel:
		err = e.cancelEnroll(ctx, f)
	case f.Step == wire.StepIdentify && req.Action == ActionPasskey && f.offersPasskey(),
		f.Step == wire.StepChallengePasskey && req.Action == ActionVerify:
		res.SetSession, err = e.passkeySignIn(ctx, f, req, sessionCookie)
	case req.Action == ActionAnotherWay && len(f.State.Offer) > 1 && (f.State.Factor != nil || f.Step == wire.StepPoll || f.Step == wire.StepChallengePassword):
		err = e.anotherWay(ctx, f)
	case f.Step == wire.StepSelectAuthenticator && req.Action == ActionSelect:
		err = e.selected(ctx, f, req)
	case (f.Step == wire.StepChallengeTOTP || f.Step == wire.StepChallengeRecoveryCode || f.Step == wire.EnrollStep(factorTOTP)) && req.Action == ActionVerify:
		res.SetSession, err = e.codeFactor(ctx, f, req, sessionCookie)
	case f.Step == wire.EnrollStep(factorPasskey) && req.Action == ActionEnroll:
		res.SetSession, err = e.passkeyRegister(ctx, f, req, sessionCookie)
	case f.Step == wire.EnrollStep(factorAnswer) && req.Action == ActionSave:
		res.SetSession, err = e.enrollAnswer(ctx, f, req, sessionCookie)
	case f.Step == wire.EnrollStep(factorRecoveryCode) && req.Action == ActionContinue:
		res.SetSession, err = e.codesSaved(ctx, f, sessionCookie)
	case (f.Step == wire.StepChallengeSMS || f.Step == wire.StepChallengeVoice || f.Step == wire.EnrollStep(factorSMS) || f.Step == wire.EnrollStep(factorVoice)) &&
		(req.Action == ActionSend || req.Action == ActionResend || req.Action == ActionVerify):
		res.SetSession, err = e.phoneStep(ctx, f, req, sessionCookie)
	case f.Step.IsEnroll() && req.Action == ActionSkip && f.State.Optional:
		res.SetSession, err = e.skipEnroll(ctx, f, sessionCookie)
	case req.Action == ActionRegister && f.Step == wire.StepIdentify && f.State.CanRegister:
		err = e.startRegistration(ctx, f)
	case f.Step == StepChangeEmail && req.Action == ActionSend:
		err = e.sendEmailChange(ctx, f, req)
	case f.Step == StepRegister && req.Action == ActionCreate:
		res.SetSession, err = e.register(ctx, f, req, sessionCookie)
	case f.Step == StepTerms && (req.Action == ActionAccept || req.Action == ActionDeny):
		err = e.acceptTerms(ctx, f, req, req.Action == ActionAccept)
	case f.Step == wire.StepProfile && req.Action == ActionSave && f.State.Grant == nil && f.State.Upstream != nil:
		res.SetSession, err = e.provisionAsked(ctx, f, req, sessionCookie)
	case f.Step == wire.StepProfile && (req.Action == ActionSave || req.Action == ActionSkip):
		err = e.saveProfile(ctx, f, req, req.Action == ActionSkip)
	case req.Action == ActionRecover && (f.Step == wire.StepIdentify || f.Step == wire.StepChallengePassword):
		err = e.startRecovery(ctx, f, req)
	case f.Step == wire.StepRecover && req.Action == ActionSend:
		err = e.sendRecovery(ctx, f, req)
	case f.Step == StepChallengeAnswer && req.Action == ActionVerify:
		res.SetSession, err = e.verifyAnswer(ctx, f, req, sessionCookie)
	case f.Step == StepEnrollPassword && req.Action == ActionSetPassword && f.State.Journey == journeyEnroll:
		err = e.changePassword(ctx, f, req)
	case f.Step == StepEnrollPassword && req.Action == ActionSetPassword && (f.State.Journey == journeyRecover || f.State.Journey == journeyActivate):
		res.SetSession, err = e.newPassword(ctx, f, req)
	case f.Step == StepEnrollPassword && req.Action == ActionSkip && f.State.Journey == journeyActivate:
		err = e.skipPassword(ctx, f)
	case f.Step == wire.StepChallengePassword && req.Action == ActionSignIn:
		res.SetSession, err = e.password(ctx, f, req, sessionCookie)
	case f.Step == wire.StepChallengePassword && req.Action == ActionEmailCode && f.offersEmail():
		err = e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
			if err := e.reread(ctx, tx, f); err != nil {
				return err
			}
			return e.sendAndPoll(ctx, tx, f)
		})
	case f.Step == wire.StepPoll || f.Step == wire.StepChallengeEmail:
		res.SetSession, err = e.emailStep(ctx, f, req, sessionCookie)
	case f.Step == wire.StepConsent && (req.Action == ActionAccept || req.Action == ActionDeny):
		err = e.consent(ctx, f, req.Action == ActionAccept)
	default:
		return Result{}, ErrUnknownAction
	}
	if err != nil {
		return Result{}, err
	}
	res.Flow = e.view(ctx, f)
	return res, nil
}

// canGoBack reports whether the flow may start over at identify: from
// a factor or recovery step, never once a factor was proven in a
// recovery, nor while a link confirmed elsewhere awaits approval.
func (f *flow) canGoBack() bool {
	if f.State.Journey == journeyChangeEmail {
		return false // there is no sign-in to start over
	}
	if f.State.Journey == journeyEnroll || f.State.Grant != nil || f.State.Carried > 0 {
		return false // signed in already: nothing to start over
	}
	switch f.Step {
	case wire.StepChallengePassword, wire.StepChallengeEmail, wire.StepRecover, StepChallengeAnswer, StepRegister,
		wire.StepChallengePasskey, wire.StepChallengeTOTP, wire.StepChallengeRecoveryCode, wire.StepChallengeSMS, wire.StepChallengeVoice,
		wire.StepSelectAuthenticator, wire.StepRedirectIdP:
		return true
	case wire.StepPoll:
		return !f.pendingApproval()
	}
	return false
}

// startOver goes back to identify, forgetting every factor proven so far
// and every ceremony in progress.
func (e *Engine) startOver(ctx context.Context, f *flow) error {
	return e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		if err := e.restart(ctx, tx, f); err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
}

// restart puts f back at identify in tx, keeping only what the start
// decided, without saving it.
func (e *Engine) restart(ctx context.Context, tx store.Tx, f *flow) error {
	if err := e.dropPending(ctx, tx, f); err != nil {
		return err
	}
	f.Step, f.Attempts = wire.StepIdentify, 0
	st := f.State
	f.State = state{Issuer: st.Issuer, Request: st.Request, AppName: st.AppName, Locale: st.Locale, Dir: st.Dir,
		ThirdParty: st.ThirdParty, Base: st.Base, CanRegister: st.CanRegister, CanRecover: st.CanRecover, ACR: st.ACR, Device: st.Device, AppLogin: st.AppLogin}
	if err := e.offerPasskey(ctx, tx, f); err != nil {
		return err
	}
	return e.offerIdPs(ctx, tx, f)
}

// offerPasskey prepares the identify step's passkey sign-in (autofill and
// a button) when the sign-on policy allows passkeys before anyone is
// identified.
func (e *Engine) offerPasskey(ctx context.Context, tx store.Tx, f *flow) error {
	f.State.Factor = nil
	d, err := e.preAuth(ctx, tx, f)
	if err != nil || !d.Allow || !slices.Contains(d.Authenticators, factorPasskey) {
		return err
	}
	err = e.startPasskeyLogin(ctx, tx, f, nil)
	if errors.Is(err, passkey.ErrNoRPID) {
		// A site on an IP address cannot use passkeys: the other ways do.
		e.Logger.WarnContext(ctx, "engine: passkeys allowed on a site that cannot have them", "base", f.State.Base)
		f.State.Factor = nil
		return nil
	}
	return err
}

// firstFactors are the factors that can prove who someone is before the
// account is known; the others only follow one of them.
var firstFactors = []string{factorPassword, factorEmail, factorPasskey}

// offersEmail reports whether the password step offers an emailed code
// instead: the policy allows email and no factor is proven yet.
func (f *flow) offersEmail() bool {
	return len(f.State.Proven) == 0 && slices.Contains(f.State.Authenticators, factorEmail)
}

func (e *Engine) save(ctx context.Context, f *flow) error {
	return e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error { return e.update(ctx, tx, f) })
}

// identify records who is signing in and asks the sign-on policy, before
// any account is looked up, which authenticators the app and network
// allow; the first of them is the next step. Nothing here tells whether an
// account exists: every login gets the same step.
func (e *Engine) identify(ctx context.Context, f *flow, req wire.ContinueRequest) error {
	login, _ := req.Value(FieldLogin)
	login = strings.TrimSpace(login)
	f.State.Messages = nil
	switch {
	case login == "":
		f.State.Messages = []wire.Message{{ID: MsgFieldRequired, Level: "error", Field: FieldLogin}}
		return e.save(ctx, f)
	case len(login) > maxLoginLen:
		f.State.Messages = []wire.Message{{ID: MsgFieldTooLong, Level: "error", Field: FieldLogin, Params: []wire.Param{{Name: "max", Value: strconv.Itoa(maxLoginLen)}}}}
		return e.save(ctx, f)
	}
	return e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		f.State.Login, f.State.Messages = login, nil
		if limited, err := e.limited(ctx, tx, f, opIdentify); err != nil || limited {
			if err == nil {
				f.State.Login = ""
				err = e.update(ctx, tx, f)
			}
			return err
		}
		if moved, err := e.routeLogin(ctx, tx, f, login); err != nil || moved {
			if err == nil {
				err = e.update(ctx, tx, f)
			}
			return err
		}
		d, err := e.preAuth(ctx, tx, f)
		if err != nil {
			return err
		}
		var auth []string
		for _, a := range d.Authenticators {
			if slices.Contains(firstFactors, a) {
				auth = append(auth, a)
			}
		}
		if !d.Allow || len(auth) == 0 {
			f.Step, f.Done = wire.StepError, true
			f.State.Messages = []wire.Message{{ID: MsgAccessDenied, Level: wire.LevelError}}
			if err := e.event(ctx, tx, f, "user.signin", events.Failure, "", map[string]any{"reason": "policy", "rule": d.Rule}); err != nil {
				return err
			}
			return e.update(ctx, tx, f)
		}
		f.State.Authenticators, f.State.Factor = auth, nil
		switch auth[0] {
		case factorPassword:
			f.Step = wire.StepChallengePassword
		case factorPasskey:
			// Whatever was typed: the passkey names its owner.
			f.Step = wire.StepChallengePasskey
			if err := e.startPasskeyLogin(ctx, tx, f, nil); err != nil {
				return err
			}
		case factorEmail:
			started, err := e.sendEmail(ctx, tx, f)
			if err != nil {
				return err
			}
			if started {
				f.Step = wire.StepPoll
			} else {
				f.State.Login = ""
			}
		}
		return e.update(ctx, tx, f)
	})
}

// password checks the password outside any transaction (hashing is slow
// and must not hold the database), then records the outcome in one
// transaction: on success the factor (and, when the policy needs no more,
// the session, the sign-in event and the code or the consent step); on
// failure the attempt, the account's failure count and its event, and the
// lockout with its notification when the count reaches the password
// policy's threshold. A locked account fails like a wrong password (the
// mail tells its owner), and one whose lockout has run out is unlocked
// first. Unknown logins and accounts that cannot sign in cost the same
// hashing work as real ones.
func (e *Engine) password(ctx context.Context, f *flow, req wire.ContinueRequest, sessionCookie string) (*SessionCookie, error) {
	pw, _ := req.Value(FieldPassword)
	f.State.Messages = nil
	switch {
	case pw == "":
		f.State.Messages = []wire.Message{{ID: MsgFieldRequired, Level: "error", Field: FieldPassword}}
		return nil, e.save(ctx, f)
	case len(pw) > factor.MaxPasswordLen:
		f.State.Messages = []wire.Message{{ID: MsgFieldTooLong, Level: "error", Field: FieldPassword, Params: []wire.Param{{Name: "max", Value: strconv.Itoa(factor.MaxPasswordLen)}}}}
		return nil, e.save(ctx, f)
	}
	var limited bool
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if limited, err = e.limited(ctx, tx, f, opPassword); err != nil || !limited {
			return err
		}
		return e.update(ctx, tx, f)
	})
	if err != nil || limited {
		return nil, err
	}
	var a account
	err = e.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		a, err = e.account(ctx, tx, f)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("engine: look up account: %w", err)
	}
	ok := false
	if !a.canTry() {
		// The same work as a real check, so timing does not tell.
		e.Passwords.VerifyDummy(ctx, pw)
	} else if ok, err = e.Passwords.Verify(ctx, a.hash, pw); err != nil {
		return nil, fmt.Errorf("engine: verify password: %w", err)
	}
	var cookie *SessionCookie
	err = e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		cookie = nil
		// Re-read what a concurrent request may have changed meanwhile.
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		if a.unlockDue {
			if err := e.unlock(ctx, tx, f, a.user.ID); err != nil {
				return err
			}
		}
		if !ok {
			if err := e.failed(ctx, tx, f, a.user.ID); err != nil {
				return err
			}
			if a.canTry() {
				return e.countFailure(ctx, tx, f, a.user)
			}
			return nil
		}
		f.State.UserID = a.user.ID
		var err error
		if cookie, err = e.proved(ctx, tx, f, factorPassword, sessionCookie); err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
	if err != nil {
		return nil, fmt.Errorf("engine: sign in: %w", err)
	}
	return cookie, nil
}

// failed counts a wrong password; past the limit the flow ends in error.
func (e *Engine) failed(ctx context.Context, tx store.Tx, f *flow, userID string) error {
	f.Attempts++
	left := maxAttempts - f.Attempts
	f.State.Messages = []wire.Message{{ID: MsgCredentialsInvalid, Level: "error"}}
	if left <= 0 {
		f.Step, f.Done = wire.StepError, true
		f.State.Messages = []wire.Message{{ID: MsgAttemptsExceeded, Level: "error"}}
	} else if left <= 2 {
		f.State.Messages = append(f.State.Messages, wire.Message{ID: MsgAttemptsRemaining, Level: "warning", Params: []wire.Param{{Name: "count", Value: strconv.Itoa(left)}}})
	}
	if err := e.event(ctx, tx, f, "user.signin", events.Failure, userID, map[string]any{"reason": "credentials", "factor": factorPassword, "attempt": f.Attempts}); err != nil {
		return err
	}
	return e.update(ctx, tx, f)
}

// event records a sign-in step. The person is named by user ID when the
// account exists, otherwise by the flow; logins typed for accounts that do
// not exist are not recorded (they may be someone's mistyped password).
func (e *Engine) event(ctx context.Context, tx store.Tx, f *flow, typ string, outcome events.Outcome, userID string, details map[string]any) error {
	ev := events.Event{
		Type: typ, TenantID: f.TenantID, Outcome: outcome, RequestID: requestid.From(ctx),
		Actor: events.Ref{Type: "flow", ID: f.ID}, Target: events.Ref{Type: "app", ID: f.ClientID},
		Details: details,
	}
	if f.ClientID == "" {
		// An activation without an app to return to.
		ev.Target = events.Ref{Type: "tenant", ID: f.TenantID}
	}
	if userID != "" {
		ev.Actor = events.Ref{Type: "user", ID: userID}
		ev.Subject = userID
		ev.Personal = map[string]string{"login": f.State.Login}
	}
	_, err := e.Events.Append(ctx, tx, ev)
	return err
}
