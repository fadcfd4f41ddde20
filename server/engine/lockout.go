package engine

import (
	"context"
	"errors"
	"time"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// account is what a password attempt needs to know about the login's
// account. user.ID is "" when there is none.
type account struct {
	user directory.User
	hash string
	// unlockDue is true when the account is locked out by the password
	// policy and the lockout has run out: it is unlocked before the
	// attempt counts.
	unlockDue bool
}

// canTry reports whether the password is worth checking: an account with
// a password that may sign in (or will, once unlocked).
func (a account) canTry() bool {
	return a.hash != "" && (a.user.Status.CanSignIn() || a.unlockDue)
}

// account looks up the flow's account: the person an earlier factor
// proved, else the account of the login.
func (e *Engine) account(ctx context.Context, tx store.Tx, f *flow) (account, error) {
	var u directory.User
	var err error
	if f.State.UserID != "" {
		u, err = e.Directory.User(ctx, tx, f.TenantID, f.State.UserID)
	} else {
		u, err = e.Directory.UserByLogin(ctx, tx, f.TenantID, f.State.Login)
	}
	if errors.Is(err, store.ErrNotFound) {
		return account{}, nil
	}
	if err != nil {
		return account{}, err
	}
	c, err := e.Directory.Credential(ctx, tx, f.TenantID, u.ID, "password")
	if errors.Is(err, store.ErrNotFound) {
		return account{user: u}, nil
	}
	if err != nil {
		return account{}, err
	}
	a := account{user: u, hash: c.Secret}
	if u.Status == directory.StatusLockedOut {
		// Only a lockout the policy set and the clock ended is lifted
		// here; one an administrator set waits for an administrator.
		if a.unlockDue, err = e.Policies.LockEnded(ctx, tx, f.TenantID, u.ID); err != nil {
			return account{}, err
		}
	}
	return a, nil
}

// unlock lifts a lockout whose time has run out.
func (e *Engine) unlock(ctx context.Context, tx store.Tx, f *flow, userID string) error {
	u, err := e.Directory.User(ctx, tx, f.TenantID, userID)
	if err != nil {
		return err
	}
	if u.Status != directory.StatusLockedOut {
		return nil // unlocked meanwhile
	}
	if _, err := e.Directory.Transition(ctx, tx, f.TenantID, userID, directory.StatusActive, events.Ref{Type: "system", ID: "lockout"}); err != nil {
		return err
	}
	if err := e.Policies.ClearFailures(ctx, tx, f.TenantID, userID); err != nil {
		return err
	}
	return e.event(ctx, tx, f, "user.unlocked", events.Success, userID, map[string]any{"reason": "lockout_expired"})
}

// countFailure adds a wrong password to the account's count; the failure
// that reaches the policy's threshold locks the account out, records it
// and, when the policy says so, mails the owner.
func (e *Engine) countFailure(ctx context.Context, tx store.Tx, f *flow, u directory.User) error {
	locked, until, err := e.Policies.RecordFailure(ctx, tx, f.TenantID, u.ID)
	if err != nil || !locked {
		return err
	}
	if _, err := e.Directory.Transition(ctx, tx, f.TenantID, u.ID, directory.StatusLockedOut, events.Ref{Type: "system", ID: "lockout"}); err != nil {
		return err
	}
	pol, err := e.Policies.Password(ctx, tx, f.TenantID)
	if err != nil {
		return err
	}
	details := map[string]any{"threshold": pol.LockoutThreshold}
	if !until.IsZero() {
		details["until"] = until.UTC().Format(time.RFC3339)
	}
	if err := e.event(ctx, tx, f, "user.locked", events.Success, u.ID, details); err != nil {
		return err
	}
	if !pol.NotifyLockout {
		return nil
	}
	v := emailtemplates.LockoutView{App: f.State.AppName, Attempts: pol.LockoutThreshold}
	if !until.IsZero() {
		v.Until = until.UTC().Format("2006-01-02 15:04 UTC")
		v.Minutes = int(until.Sub(e.Clock.Now()).Round(time.Minute) / time.Minute)
	}
	return e.notify(ctx, tx, f, u, "lockout", func(s *emailtemplates.Set, lang string, a emailtemplates.Audience) (emailtemplates.Rendered, error) {
		v.Audience = a
		return s.Lockout(lang, v)
	})
}
