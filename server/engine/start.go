package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
)

// Start begins a flow for a validated authorization request. With a live
// SSO session (and no prompt=login) the flow ends at once with a code; with
// prompt=none and no session it ends at once with login_required. Otherwise
// it starts at identify.
func (e *Engine) Start(ctx context.Context, b Begin) (Result, error) {
	secret := newSecret()
	f := &flow{
		ID: newHandle(), TenantID: b.Issuer.TenantID, ClientID: b.App.ID, Origin: b.Origin,
		SecretMAC: e.Secrets.MAC(secretPurpose, []byte(secret)), Step: wire.StepIdentify,
		State:     state{Issuer: b.Issuer, Request: b.Request, AppName: b.App.Name, Locale: b.Locale, Dir: b.Dir, Login: b.Request.LoginHint},
		ExpiresAt: e.Clock.Now().Add(e.FlowTTL),
	}
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		f.Step, f.Done, f.State.Redirect = wire.StepIdentify, false, ""
		if b.Session != "" && b.Request.Prompt != "login" {
			s, err := e.Sessions.Lookup(ctx, tx, b.Issuer.TenantID, b.Session)
			if err == nil {
				// A session outlives nothing about its user: one suspended
				// since signing in is signed out here.
				u, uerr := e.Directory.User(ctx, tx, b.Issuer.TenantID, s.UserID)
				if uerr != nil || !u.Status.CanSignIn() {
					if rerr := e.Sessions.Revoke(ctx, tx, b.Issuer.TenantID, b.Session); rerr != nil && !errors.Is(rerr, session.ErrNoSession) {
						return rerr
					}
					err = session.ErrNoSession
				}
			}
			switch {
			case err == nil:
				if err := e.finish(ctx, tx, f, s); err != nil {
					return err
				}
				return e.insert(ctx, tx, f)
			case !errors.Is(err, session.ErrNoSession):
				return err
			}
		}
		if b.Request.Prompt == "none" {
			f.Step, f.Done = wire.StepDone, true
			f.State.Redirect = oidc.ErrorRedirect(b.Issuer, b.Request, oidc.Error{Code: "login_required", Description: "the user is not signed in"})
		}
		return e.insert(ctx, tx, f)
	})
	if err != nil {
		return Result{}, fmt.Errorf("engine: start flow: %w", err)
	}
	return Result{Flow: e.view(f), Secret: secret, RedirectURI: b.Request.RedirectURI}, nil
}

// Current returns a flow's view without changing it.
func (e *Engine) Current(ctx context.Context, iss oidc.Issuer, id, secret, origin string) (Result, error) {
	f, err := e.loadView(ctx, iss, id, secret, origin)
	if err != nil {
		return Result{}, err
	}
	return Result{Flow: e.view(f), RedirectURI: f.State.Request.RedirectURI}, nil
}

// finish ends a flow for a signed-in session: a code bound to the request
// and the session, and the redirect that carries it to the client.
func (e *Engine) finish(ctx context.Context, tx store.Tx, f *flow, s session.Session) error {
	code, err := e.OIDC.IssueCode(ctx, tx, f.State.Issuer, f.State.Request, oidc.Grant{
		UserID: s.UserID, SessionID: s.ID, AuthTime: s.AuthTime, AMR: s.AMR, ACR: s.ACR,
	})
	if err != nil {
		return err
	}
	f.Step, f.Done = wire.StepDone, true
	f.State.Messages = nil
	f.State.Redirect = oidc.SuccessRedirect(f.State.Issuer, f.State.Request, code)
	return nil
}
