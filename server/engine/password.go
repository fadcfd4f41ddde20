package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/factor"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
)

// recentPassword is how long after proving a password a session may
// change it without typing the current one: long enough to go from
// signing in to the account page, short enough that a browser left
// signed in cannot have its password changed by whoever sits at it.
const recentPassword = 5 * time.Minute

// Password-change messages.
const (
	// MsgCurrentPasswordLabel labels the current password a change asks.
	MsgCurrentPasswordLabel = "field.current_password.label"
	// MsgChangePasswordIntro says what choosing a new password from the
	// account page does.
	MsgChangePasswordIntro = "change_password.intro"
)

// DonePassword is the value of the done parameter the account page gets
// back after a password change (SecurityPath?done=password).
const DonePassword = "password"

// startPasswordChange sets up a flow changing the signed-in person's
// password from the account page: the current password is asked first
// unless s proved one within recentPassword (an account without a
// password sets its first one without it).
func (e *Engine) startPasswordChange(ctx context.Context, tx store.Tx, f *flow, s session.Session, u directory.User) error {
	_, err := e.Directory.Credential(ctx, tx, f.TenantID, u.ID, directory.CredentialPassword)
	had := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	fresh := slices.Contains(s.AMR, amrOf[factorPassword]) && e.Clock.Now().Sub(s.AuthTime) <= recentPassword
	f.Step, f.Attempts, f.State.Messages = StepEnrollPassword, 0, nil
	f.State.AskCurrent, f.State.KeepSession = had && !fresh, s.ID
	return nil
}

// changePassword sets the password chosen at the account page's
// password step. The current password, when asked, is checked first
// (outside any transaction, counted by the password limits; wrong ones
// count towards the flow's attempts, not towards the account's lockout:
// the person is signed in, and a lockout would only let whoever holds
// the session lock the holder out); then the password policy checks the
// new one (length, blocklist, history) and it is hashed. In one
// transaction the password is stored and remembered, every other session
// of the person is signed out (this one stays), and the person is told
// by mail: a password-changed notice, or a sign-in-method-added one when
// the account had no password. OAuth grants stay: apps signed in keep
// working, as they would after a sign-out elsewhere.
func (e *Engine) changePassword(ctx context.Context, f *flow, req wire.ContinueRequest) error {
	pw, _ := req.Value(FieldNewPassword)
	current, _ := req.Value(FieldPassword)
	f.State.Messages = nil
	if f.State.AskCurrent {
		switch {
		case current == "":
			f.State.Messages = append(f.State.Messages, wire.Message{ID: MsgFieldRequired, Level: wire.LevelError, Field: FieldPassword})
		case len(current) > factor.MaxPasswordLen:
			f.State.Messages = append(f.State.Messages, wire.Message{ID: MsgFieldTooLong, Level: wire.LevelError, Field: FieldPassword,
				Params: []wire.Param{{Name: "max", Value: strconv.Itoa(factor.MaxPasswordLen)}}})
		}
	}
	if pw == "" {
		f.State.Messages = append(f.State.Messages, wire.Message{ID: MsgFieldRequired, Level: wire.LevelError, Field: FieldNewPassword})
	}
	if len(f.State.Messages) > 0 {
		return e.save(ctx, f)
	}
	if f.State.AskCurrent {
		ok, err := e.checkCurrent(ctx, f, current)
		if err != nil || !ok {
			return err
		}
		f.State.AskCurrent = false // proven in this flow: a refused new password does not ask it again
	}
	hash, refused, err := e.hashNewPassword(ctx, f, pw)
	if err != nil {
		return err
	}
	if refused != nil {
		f.State.Messages = refused
		return e.save(ctx, f)
	}
	err = e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		f.State.AskCurrent = false
		if err := e.passwordSet(ctx, tx, f, hash); err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
	if err != nil {
		return fmt.Errorf("engine: change password: %w", err)
	}
	return nil
}

// checkCurrent checks the current password a change asks for, reporting
// whether it is right; when it is not (or the limits refuse the attempt)
// the flow is saved with the reason, ending after maxAttempts.
func (e *Engine) checkCurrent(ctx context.Context, f *flow, current string) (bool, error) {
	var limited bool
	var hash string
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if limited, err = e.limited(ctx, tx, f, opPassword); err != nil {
			return err
		}
		if limited {
			return e.update(ctx, tx, f)
		}
		c, err := e.Directory.Credential(ctx, tx, f.TenantID, f.State.UserID, directory.CredentialPassword)
		if err == nil {
			hash = c.Secret
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	})
	if err != nil || limited {
		return false, err
	}
	ok := false
	if hash == "" {
		e.Passwords.VerifyDummy(ctx, current) // removed meanwhile: fails, at the same cost
	} else if ok, err = e.Passwords.Verify(ctx, hash, current); err != nil {
		return false, fmt.Errorf("engine: verify password: %w", err)
	}
	if ok {
		return true, nil
	}
	return false, e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		f.Attempts++
		f.State.Messages = []wire.Message{{ID: MsgCredentialsInvalid, Level: wire.LevelError, Field: FieldPassword}}
		if f.Attempts >= maxAttempts {
			f.Step, f.Done = wire.StepError, true
			f.State.Messages = []wire.Message{{ID: MsgAttemptsExceeded, Level: wire.LevelError}}
		}
		if err := e.event(ctx, tx, f, "user.password.change", events.Failure, f.State.UserID, map[string]any{"reason": "credentials", "attempt": f.Attempts}); err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
}

// passwordSet completes a password change in tx once the new password's
// hash is known (see changePassword). A person no longer signed in from
// the session the change started in (signed out, or suspended,
// meanwhile) changes nothing.
func (e *Engine) passwordSet(ctx context.Context, tx store.Tx, f *flow, hash string) error {
	u, err := e.Directory.User(ctx, tx, f.TenantID, f.State.UserID)
	if err != nil {
		return err
	}
	live, err := e.Sessions.List(ctx, tx, f.TenantID, u.ID)
	if err != nil {
		return err
	}
	if !u.Status.CanSignIn() || !slices.ContainsFunc(live, func(s session.Session) bool { return s.ID == f.State.KeepSession }) {
		f.Step, f.Done = wire.StepError, true
		f.State.Messages = []wire.Message{{ID: MsgAccessDenied, Level: wire.LevelError}}
		return e.event(ctx, tx, f, "user.password.change", events.Failure, u.ID, map[string]any{"reason": "session"})
	}
	_, err = e.Directory.Credential(ctx, tx, f.TenantID, u.ID, directory.CredentialPassword)
	had := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err := e.Directory.SetCredential(ctx, tx, f.TenantID, u.ID, directory.CredentialPassword, hash); err != nil {
		return err
	}
	if err := e.Policies.RememberPassword(ctx, tx, f.TenantID, u.ID, hash); err != nil {
		return err
	}
	revoked := 0
	for _, s := range live {
		if s.ID == f.State.KeepSession {
			continue
		}
		if err := e.Sessions.RevokeID(ctx, tx, f.TenantID, u.ID, s.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		revoked++
	}
	if err := e.event(ctx, tx, f, "user.password.changed", events.Success, u.ID, map[string]any{"sessions_revoked": revoked, "first": !had}); err != nil {
		return err
	}
	if had {
		err = e.passwordChanged(ctx, tx, f, u)
	} else {
		err = e.factorEnrolled(ctx, tx, f, factorPassword, "")
	}
	if err != nil {
		return err
	}
	f.Step, f.Done, f.State.Messages = wire.StepDone, true, nil
	f.State.Redirect = f.State.Return + "?done=" + DonePassword
	return nil
}
