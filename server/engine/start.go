package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
)

// Start begins a flow for a validated authorization request. A live SSO
// session is reused unless the request says prompt=login, the session's
// authentication is older than max_age, or the app's sign-on policy asks
// for more factors or a fresher authentication: then the flow ends at once with a
// code, or stops at the consent step when the app needs the person's
// consent (or prompt=consent asks for it). With prompt=none it never
// shows a step: no usable session ends it with login_required, a needed
// consent with consent_required. Otherwise it starts at identify.
func (e *Engine) Start(ctx context.Context, b Begin) (Result, error) {
	return e.start(ctx, b, nil)
}

// start begins a flow; sp is the SAML request the flow answers, nil for
// an OAuth flow.
func (e *Engine) start(ctx context.Context, b Begin, sp *samlFlow) (Result, error) {
	secret := newSecret()
	f := &flow{
		ID: newHandle(), TenantID: b.Issuer.TenantID, ClientID: b.App.ID, Origin: b.Origin,
		SecretMAC: e.Secrets.MAC(secretPurpose, []byte(secret)), Step: wire.StepIdentify,
		ExpiresAt: e.Clock.Now().Add(e.FlowTTL),
	}
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		f.Step, f.Done = wire.StepIdentify, false
		f.State = state{Issuer: b.Issuer, Request: b.Request, AppName: b.App.Name, Locale: b.Locale, Dir: b.Dir, LocaleFixed: b.LocaleFixed,
			Login: b.Request.LoginHint, ThirdParty: b.App.ConsentRequired, Base: b.Base, ACR: requestedACR(b.Request.ACRValues),
			Device: e.deviceMAC(b.Device), AppLogin: b.App.InitiateLoginURI, SAML: sp}
		rec, err := e.Policies.Recovery(ctx, tx, f.TenantID)
		if err != nil {
			return err
		}
		f.State.CanRecover = rec.Enabled
		enr, err := e.Policies.Enrollment(ctx, tx, f.TenantID, f.ClientID)
		if err != nil {
			return err
		}
		f.State.CanRegister = enr.Registration
		s, login, err := e.reusable(ctx, tx, b, f.State.ACR)
		var short *stepUp
		if errors.As(err, &short) && !b.Request.HasPrompt(promptNone) {
			// The person is signed in with less than asked: they prove
			// only what is missing.
			f.State.Login, f.State.UserID = short.user.Login, short.user.ID
			p := sessionProof(short.session.AMR)
			f.State.Carried, f.State.CarriedAMR = p.Carried, p.CarriedAMR
			more, nerr := e.nextFactor(ctx, tx, f, short.user, short.decision)
			if nerr != nil {
				return nerr
			}
			if more {
				return e.insert(ctx, tx, f)
			}
			// Nothing the person could add reaches the class asked for:
			// the session answers with what it has (the token's acr says).
			f.Step, f.State.UserID, f.State.Carried, f.State.CarriedAMR = wire.StepIdentify, "", 0, nil
			s, login, err, short = short.session, short.user.Login, nil, nil
		}
		switch {
		case err == nil:
			f.State.Login = login
			u, err := e.Directory.User(ctx, tx, f.TenantID, s.UserID)
			if err != nil {
				return err
			}
			g := grantOf(s)
			g.ACR = answeredACR(sessionACR(s.AMR), f.State.ACR)
			if err := e.seenDevice(ctx, tx, f, u); err != nil {
				return err
			}
			if err := e.afterSignIn(ctx, tx, f, u, u.SignInCount, g); err != nil {
				return err
			}
			if f.Step != wire.StepDone && b.Request.HasPrompt(promptNone) {
				// Terms or attributes to collect need the person.
				f.Step, f.Done, f.State.Ask, f.State.Grant = wire.StepDone, true, nil, nil
				e.refuse(f, oidc.ErrInteractionRequired.WithDescription("the user must review terms or complete their profile"))
			}
			return e.insert(ctx, tx, f)
		case !errors.Is(err, session.ErrNoSession) && short == nil:
			return err
		}
		if b.Request.HasPrompt(promptNone) {
			f.Step, f.Done = wire.StepDone, true
			e.refuse(f, oidc.ErrLoginRequired.WithDescription("the user is not signed in"))
		} else if err := e.offerPasskey(ctx, tx, f); err != nil {
			return err
		} else if err := e.offerIdPs(ctx, tx, f); err != nil {
			return err
		}
		return e.insert(ctx, tx, f)
	})
	if err != nil {
		return Result{}, fmt.Errorf("engine: start flow: %w", err)
	}
	return Result{Flow: e.view(ctx, f), Secret: secret, RedirectURI: b.Request.RedirectURI}, nil
}

// Prompt values the engine acts on (OIDC Core §3.1.2.1).
const (
	promptNone    = "none"
	promptLogin   = "login"
	promptConsent = "consent"
)

// reusable returns the browser's SSO session and its user's login when
// the request may be answered from it, and session.ErrNoSession when it
// may not: no cookie or no live session, prompt=login, an authentication
// older than max_age (max_age=0 always asks again) or than the sign-on
// policy's re-authentication period, or a user who may no longer sign in
// (whose session is revoked here). A session with fewer factors than the
// policy asks, or a weaker class than acr (see requestedACR), is a
// *stepUp: the person may prove only what is missing.
func (e *Engine) reusable(ctx context.Context, tx store.Tx, b Begin, acr string) (session.Session, string, error) {
	if b.Session == "" || b.Request.HasPrompt(promptLogin) {
		return session.Session{}, "", session.ErrNoSession
	}
	s, err := e.Sessions.Lookup(ctx, tx, b.Issuer.TenantID, b.Session)
	if err != nil {
		return session.Session{}, "", err
	}
	// A session outlives nothing about its user: one suspended since
	// signing in is signed out here.
	u, err := e.Directory.User(ctx, tx, b.Issuer.TenantID, s.UserID)
	if err != nil || !u.Status.CanSignIn() {
		if rerr := e.Sessions.Revoke(ctx, tx, b.Issuer.TenantID, b.Session); rerr != nil && !errors.Is(rerr, session.ErrNoSession) {
			return session.Session{}, "", rerr
		}
		return session.Session{}, "", session.ErrNoSession
	}
	if m := b.Request.MaxAge; m != nil && (*m == 0 || e.Clock.Now().Sub(s.AuthTime) > time.Duration(*m)*time.Second) {
		return session.Session{}, "", session.ErrNoSession
	}
	// The app's sign-on policy may ask for more than the session proved:
	// more factors, or a fresher authentication.
	d, err := e.decide(ctx, tx, b.Issuer.TenantID, b.App.ID, u)
	if err != nil {
		return session.Session{}, "", err
	}
	if !d.Allow || (d.ReauthAfter > 0 && e.Clock.Now().Sub(s.AuthTime) > d.ReauthAfter) {
		return session.Session{}, "", session.ErrNoSession
	}
	if sessionProof(s.AMR).count() < d.Factors || acrLevel(sessionACR(s.AMR)) < acrLevel(acr) {
		return session.Session{}, "", &stepUp{session: s, user: u, decision: d}
	}
	return s, u.Login, nil
}

// stepUp is a live session that proved less than a request asks.
type stepUp struct {
	session  session.Session
	user     directory.User
	decision policy.SignOnDecision
}

func (s *stepUp) Error() string { return "engine: the session needs a step-up" }

// Current returns a flow's view without changing it.
func (e *Engine) Current(ctx context.Context, iss oidc.Issuer, id, secret, origin string) (Result, error) {
	f, err := e.loadView(ctx, iss, id, secret, origin)
	if err != nil {
		return Result{}, err
	}
	return Result{Flow: e.view(ctx, f), RedirectURI: f.target()}, nil
}

// grantOf is what a session tells the provider about a sign-in.
func grantOf(s session.Session) oidc.Grant {
	return oidc.Grant{UserID: s.UserID, SessionID: s.ID, AuthTime: s.AuthTime, AMR: s.AMR, ACR: s.ACR}
}

// authenticated moves on a flow whose person is authenticated: to the
// consent step when prompt=consent asks for it or the app needs consent
// the person has not given (ending with consent_required under
// prompt=none), otherwise to the end with a code.
func (e *Engine) authenticated(ctx context.Context, tx store.Tx, f *flow, g oidc.Grant) error {
	req := f.State.Request
	if f.State.SAML != nil {
		// An admin set the SAML app up; there are no scopes to consent to.
		return e.finish(ctx, tx, f, g)
	}
	need := req.HasPrompt(promptConsent)
	if !need {
		var err error
		need, err = e.OIDC.ConsentNeeded(ctx, tx, f.State.Issuer, f.app(), g.UserID, req.Scope)
		if err != nil {
			return err
		}
	}
	switch {
	case !need:
		return e.finish(ctx, tx, f, g)
	case req.HasPrompt(promptNone):
		f.Step, f.Done, f.State.Messages, f.State.Grant = wire.StepDone, true, nil, nil
		f.State.Redirect = oidc.ErrorRedirect(f.State.Issuer, req, oidc.ErrConsentRequired.WithDescription("the user has not consented to the requested scopes"))
		return nil
	}
	f.Step, f.State.Messages, f.State.Grant = wire.StepConsent, nil, &g
	return nil
}

// finish ends a flow for an authenticated person: a code bound to the
// request and the sign-in, and the redirect that carries it to the client.
func (e *Engine) finish(ctx context.Context, tx store.Tx, f *flow, g oidc.Grant) error {
	if f.State.SAML != nil {
		e.endSAML(f, &g, "")
		return nil
	}
	code, err := e.OIDC.IssueCode(ctx, tx, f.State.Issuer, f.State.Request, g)
	var refused *oidc.PolicyError
	if errors.As(err, &refused) {
		// The server's access policy refuses this person or client: the
		// client hears it, as OAuth says (the person is signed in).
		f.Step, f.Done = wire.StepDone, true
		f.State.Messages, f.State.Grant = nil, nil
		f.State.Redirect = oidc.ErrorRedirect(f.State.Issuer, f.State.Request, refused.Err)
		return nil
	}
	if err != nil {
		return err
	}
	f.Step, f.Done = wire.StepDone, true
	f.State.Messages, f.State.Grant = nil, nil
	f.State.Redirect = oidc.SuccessRedirect(f.State.Issuer, f.State.Request, code)
	return nil
}
