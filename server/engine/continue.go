package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/factor"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/session"
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
	res := Result{RedirectURI: f.State.Request.RedirectURI}
	switch {
	case f.Step == wire.StepIdentify && req.Action == ActionNext:
		err = e.identify(ctx, f, req)
	case f.Step == wire.StepChallengePassword && req.Action == ActionBack:
		f.Step, f.State.Login, f.State.Messages = wire.StepIdentify, "", nil
		err = e.save(ctx, f)
	case f.Step == wire.StepChallengePassword && req.Action == ActionSignIn:
		res.SetSession, err = e.password(ctx, f, req, sessionCookie)
	case f.Step == wire.StepConsent && (req.Action == ActionAccept || req.Action == ActionDeny):
		err = e.consent(ctx, f, req.Action == ActionAccept)
	default:
		return Result{}, ErrUnknownAction
	}
	if err != nil {
		return Result{}, err
	}
	res.Flow = e.view(f)
	return res, nil
}

func (e *Engine) save(ctx context.Context, f *flow) error {
	return e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error { return e.update(ctx, tx, f) })
}

// identify records who is signing in. It does not look the account up:
// every login moves on to the password step, so the step never tells
// whether an account exists.
func (e *Engine) identify(ctx context.Context, f *flow, req wire.ContinueRequest) error {
	login, _ := req.Value(FieldLogin)
	login = strings.TrimSpace(login)
	f.State.Messages = nil
	switch {
	case login == "":
		f.State.Messages = []wire.Message{{ID: MsgFieldRequired, Level: "error", Field: FieldLogin}}
	case len(login) > maxLoginLen:
		f.State.Messages = []wire.Message{{ID: MsgFieldTooLong, Level: "error", Field: FieldLogin, Params: []wire.Param{{Name: "max", Value: strconv.Itoa(maxLoginLen)}}}}
	default:
		f.Step, f.State.Login = wire.StepChallengePassword, login
	}
	return e.save(ctx, f)
}

// password checks the password outside any transaction (hashing is slow
// and must not hold the database), then records the outcome in one
// transaction: on success the session, the sign-in event and the code (or
// the consent step); on failure the attempt and its event. The session
// cookie is returned whenever the password was right, also when the flow
// stops at consent.
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
	var user directory.User
	var hash string
	err := e.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		u, err := e.Directory.UserByLogin(ctx, tx, f.TenantID, f.State.Login)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		c, err := e.Directory.Credential(ctx, tx, f.TenantID, u.ID, "password")
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		user, hash = u, c.Secret
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("engine: look up account: %w", err)
	}
	ok := false
	if hash == "" || !user.Status.CanSignIn() {
		// The same work as a real check, so timing does not tell.
		e.Passwords.VerifyDummy(ctx, pw)
	} else if ok, err = e.Passwords.Verify(ctx, hash, pw); err != nil {
		return nil, fmt.Errorf("engine: verify password: %w", err)
	}
	var cookie *SessionCookie
	err = e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		cookie = nil
		// Re-read what a concurrent request may have changed meanwhile.
		var step string
		if err := tx.QueryRow(ctx, `SELECT step, attempts FROM flows WHERE id = ?`, f.ID).Scan(&step, &f.Attempts); err != nil {
			return err
		}
		if wire.StepKind(step) != wire.StepChallengePassword {
			return ErrFlowDone
		}
		if !ok {
			return e.failed(ctx, tx, f, user.ID)
		}
		s, value, err := e.signIn(ctx, tx, f, user.ID, sessionCookie)
		if err != nil {
			return err
		}
		cookie = &SessionCookie{Value: value, Expires: s.AbsoluteExpiresAt}
		if err := e.Directory.RecordSignIn(ctx, tx, f.TenantID, user.ID); err != nil {
			return err
		}
		if err := e.authenticated(ctx, tx, f, grantOf(s)); err != nil {
			return err
		}
		if err := e.event(ctx, tx, f, "user.signin", events.Success, user.ID, nil); err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
	if err != nil {
		return nil, fmt.Errorf("engine: sign in: %w", err)
	}
	return cookie, nil
}

// signIn starts a session for the user, or rotates the browser's existing
// one when it belongs to the same user (a change of assurance).
func (e *Engine) signIn(ctx context.Context, tx store.Tx, f *flow, userID, cookie string) (session.Session, string, error) {
	amr := []string{"pwd"}
	if cookie != "" {
		if s, err := e.Sessions.Lookup(ctx, tx, f.TenantID, cookie); err == nil && s.UserID == userID {
			return e.Sessions.Rotate(ctx, tx, f.TenantID, cookie, amr, "")
		} else if err == nil {
			// Another person's session on this browser ends here.
			if err := e.Sessions.Revoke(ctx, tx, f.TenantID, cookie); err != nil {
				return session.Session{}, "", err
			}
		}
	}
	return e.Sessions.Create(ctx, tx, f.TenantID, userID, amr, "")
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
	if err := e.event(ctx, tx, f, "user.signin", events.Failure, userID, map[string]any{"reason": "credentials", "attempt": f.Attempts}); err != nil {
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
	if userID != "" {
		ev.Actor = events.Ref{Type: "user", ID: userID}
		ev.Subject = userID
		ev.Personal = map[string]string{"login": f.State.Login}
	}
	_, err := e.Events.Append(ctx, tx, ev)
	return err
}
