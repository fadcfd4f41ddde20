package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/lintel-id/lintel/internal/clientip"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
)

// The factors a flow can prove, named as the sign-on policy names its
// authenticators.
const (
	factorPassword = policy.AuthPassword
	factorEmail    = policy.AuthEmail
)

// amrOf is each factor's authentication method reference (RFC 8176).
var amrOf = map[string]string{factorPassword: "pwd", factorEmail: "otp"}

// amrFactors counts the distinct factors an amr list shows.
func amrFactors(amr []string) int {
	n := 0
	for _, v := range amrOf {
		if slices.Contains(amr, v) {
			n++
		}
	}
	return n
}

// preAuth is the sign-on policy's decision before anyone is authenticated:
// it reads only the app and the network, so the first step never depends
// on whether an account exists.
func (e *Engine) preAuth(ctx context.Context, tx store.Tx, f *flow) (policy.SignOnDecision, error) {
	return e.Policies.SignOn(ctx, tx, f.TenantID, policy.SignOnInput{AppID: f.ClientID, IP: clientip.From(ctx)})
}

// decide is the sign-on policy's decision for an authenticated person.
func (e *Engine) decide(ctx context.Context, tx store.Tx, tenantID, appID string, u directory.User) (policy.SignOnDecision, error) {
	groups, err := e.Directory.GroupsOf(ctx, tx, tenantID, u.ID)
	if err != nil {
		return policy.SignOnDecision{}, err
	}
	subj := &policy.Subject{ID: u.ID, TypeID: u.TypeID, Status: string(u.Status)}
	for _, g := range groups {
		subj.Groups = append(subj.Groups, g.Name)
	}
	return e.Policies.SignOn(ctx, tx, tenantID, policy.SignOnInput{AppID: appID, IP: clientip.From(ctx), User: subj})
}

// proved records in tx that the flow's person proved a factor, then asks
// the sign-on policy what follows: refusal, another factor, or sign-in.
// The flow's user must be set (f.State.UserID). A session cookie comes
// back when the person is signed in.
func (e *Engine) proved(ctx context.Context, tx store.Tx, f *flow, factor, sessionCookie string) (*SessionCookie, error) {
	if f.State.UserID == "" {
		return nil, fmt.Errorf("engine: flow %s proved %s without a user", f.ID, factor)
	}
	if !slices.Contains(f.State.Proven, factor) {
		f.State.Proven = append(f.State.Proven, factor)
	}
	u, err := e.Directory.User(ctx, tx, f.TenantID, f.State.UserID)
	if err != nil {
		return nil, err
	}
	if !u.Status.CanSignIn() {
		// Suspended or locked meanwhile (say, while an email was on its way).
		f.Step, f.Done = wire.StepError, true
		f.State.Messages = []wire.Message{{ID: MsgAccessDenied, Level: wire.LevelError}}
		return nil, e.event(ctx, tx, f, "user.signin", events.Failure, u.ID, map[string]any{"reason": "status"})
	}
	d, err := e.decide(ctx, tx, f.TenantID, f.ClientID, u)
	if err != nil {
		return nil, err
	}
	if !d.Allow {
		f.Step, f.Done = wire.StepError, true
		f.State.Messages = []wire.Message{{ID: MsgAccessDenied, Level: wire.LevelError}}
		return nil, e.event(ctx, tx, f, "user.signin", events.Failure, u.ID, map[string]any{"reason": "policy", "rule": d.Rule})
	}
	if len(f.State.Proven) < d.Factors {
		return nil, e.nextFactor(ctx, tx, f, u, d)
	}
	amr := make([]string, 0, len(f.State.Proven)+1)
	for _, p := range f.State.Proven {
		amr = append(amr, amrOf[p])
	}
	if len(amr) > 1 {
		amr = append(amr, "mfa")
	}
	s, value, err := e.signIn(ctx, tx, f, u.ID, amr, sessionCookie)
	if err != nil {
		return nil, err
	}
	if err := e.Directory.RecordSignIn(ctx, tx, f.TenantID, u.ID); err != nil {
		return nil, err
	}
	if err := e.Policies.ClearFailures(ctx, tx, f.TenantID, u.ID); err != nil {
		return nil, err
	}
	if err := e.afterSignIn(ctx, tx, f, u, u.SignInCount, grantOf(s)); err != nil {
		return nil, err
	}
	if err := e.event(ctx, tx, f, "user.signin", events.Success, u.ID, map[string]any{"factors": f.State.Proven, "rule": d.Rule}); err != nil {
		return nil, err
	}
	return &SessionCookie{Value: value, Expires: s.AbsoluteExpiresAt}, nil
}

// nextFactor moves the flow to the first factor the policy allows that
// the person has not proven yet and has enrolled.
func (e *Engine) nextFactor(ctx context.Context, tx store.Tx, f *flow, u directory.User, d policy.SignOnDecision) error {
	for _, a := range d.Authenticators {
		if slices.Contains(f.State.Proven, a) {
			continue
		}
		switch a {
		case factorPassword:
			_, err := e.Directory.Credential(ctx, tx, f.TenantID, u.ID, "password")
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			f.Step, f.Attempts, f.State.Messages = wire.StepChallengePassword, 0, nil
			return nil
		case factorEmail:
			if u.Email == "" {
				continue
			}
			f.State.Email = nil
			started, err := e.sendEmail(ctx, tx, f)
			if err != nil {
				return err
			}
			if started {
				f.Step = wire.StepPoll
			}
			return nil
		}
	}
	f.Step, f.Done = wire.StepError, true
	f.State.Messages = []wire.Message{{ID: MsgFactorUnavailable, Level: wire.LevelError}}
	return e.event(ctx, tx, f, "user.signin", events.Failure, u.ID, map[string]any{"reason": "no_factor", "rule": d.Rule})
}

// signIn starts a session for the user, or rotates the browser's existing
// one when it belongs to the same user (a change of assurance).
func (e *Engine) signIn(ctx context.Context, tx store.Tx, f *flow, userID string, amr []string, cookie string) (session.Session, string, error) {
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
