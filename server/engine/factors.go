package engine

import (
	"context"
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
	if err := e.linkProven(ctx, tx, f); err != nil {
		return nil, err
	}
	return e.conclude(ctx, tx, f, sessionCookie, false)
}

// conclude asks the sign-on policy what follows what the flow proved:
// refusal, another factor (unless skip: the person declined an optional
// enrollment), or sign-in.
func (e *Engine) conclude(ctx context.Context, tx store.Tx, f *flow, sessionCookie string, skip bool) (*SessionCookie, error) {
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
	f.State.Prompt = d.Enroll
	if !skip {
		if more, err := e.nextFactor(ctx, tx, f, u, d); err != nil || more {
			return nil, err
		}
	}
	f.State.Offer, f.State.Enrolling, f.State.Optional, f.State.Factor = nil, false, false, nil
	p := f.proof()
	s, value, err := e.signIn(ctx, tx, f, u.ID, p.amr(), answeredACR(p.acr(), f.State.ACR), sessionCookie)
	if err != nil {
		return nil, err
	}
	if err := e.Directory.RecordSignIn(ctx, tx, f.TenantID, u.ID); err != nil {
		return nil, err
	}
	if err := e.seenDevice(ctx, tx, f, u); err != nil {
		return nil, err
	}
	if err := e.Policies.ClearFailures(ctx, tx, f.TenantID, u.ID); err != nil {
		return nil, err
	}
	if err := e.afterSignIn(ctx, tx, f, u, u.SignInCount, grantOf(s)); err != nil {
		return nil, err
	}
	if err := e.event(ctx, tx, f, "user.signin", events.Success, u.ID, map[string]any{"factors": f.State.Proven, "rule": d.Rule, "acr": s.ACR}); err != nil {
		return nil, err
	}
	return &SessionCookie{Value: value, Expires: s.AbsoluteExpiresAt}, nil
}

// proof is what the flow has proven so far.
func (f *flow) proof() proof {
	return proof{Factors: f.State.Proven, Carried: f.State.Carried, CarriedAMR: f.State.CarriedAMR,
		PasskeyUV: f.State.PasskeyUV, PasskeySynced: f.State.PasskeySynced}
}

// needs reports whether the flow's proof falls short of the sign-on
// decision's factors or of the class the request asked for.
func (f *flow) needs(d policy.SignOnDecision) bool {
	p := f.proof()
	return p.count() < d.Factors || !p.reaches(f.State.ACR)
}

// nextFactor decides what follows a proven factor when the proof falls
// short (see needs), and reports whether the flow goes on to another
// step (false: sign in with what is proven).
//
// The next factor is the first the policy allows, most preferred first,
// that the person has enrolled and that proves something new (an amr not
// proven yet; a passkey when a phishing-resistant class is asked). The
// others that qualify are offered as "another way". With none enrolled
// the person sets one up: the policy's enrollable authenticators are
// offered, and the enrollment may be skipped while the account is within
// the rule's enrollment grace, which signs in with what is proven. With
// nothing to prove or set up the flow ends in error.
func (e *Engine) nextFactor(ctx context.Context, tx store.Tx, f *flow, u directory.User, d policy.SignOnDecision) (bool, error) {
	if !f.needs(d) {
		return false, nil
	}
	have, err := e.enrolled(ctx, tx, f.TenantID, u)
	if err != nil {
		return false, err
	}
	var offer, enroll []string
	for _, a := range f.useful(d) {
		if have[a] {
			offer = append(offer, a)
		} else if slices.Contains(policy.Enrollable, a) {
			enroll = append(enroll, a)
		}
	}
	f.State.Messages, f.Attempts, f.State.Factor = nil, 0, nil
	if len(offer) > 0 {
		f.State.Offer, f.State.Enrolling, f.State.Optional = offer, false, false
		return true, e.challenge(ctx, tx, f, u, offer[0])
	}
	if len(enroll) > 0 && len(f.State.Proven) > 0 {
		grace := d.EnrollGrace > 0 && e.Clock.Now().Before(u.CreatedAt.Add(d.EnrollGrace))
		f.State.Offer, f.State.Enrolling, f.State.Optional = enroll, true, grace
		return true, e.enroll(ctx, tx, f, u, enroll[0])
	}
	if f.proof().count() >= d.Factors && len(f.State.Proven)+f.State.Carried > 0 {
		// Only the class the client asked for is out of reach: sign in
		// with what is proven; the token's acr tells the client (acr_values
		// are voluntary, OpenID Connect Core §3.1.2.1).
		return false, nil
	}
	f.Step, f.Done = wire.StepError, true
	f.State.Messages = []wire.Message{{ID: MsgFactorUnavailable, Level: wire.LevelError}}
	return true, e.event(ctx, tx, f, "user.signin", events.Failure, u.ID, map[string]any{"reason": "no_factor", "rule": d.Rule})
}

// useful lists the factors of a decision that would add to the flow's
// proof, in the policy's order: not proven yet, with an amr not proven
// yet, and a passkey only when a phishing-resistant class is asked.
func (f *flow) useful(d policy.SignOnDecision) []string {
	p := f.proof()
	have := p.amr()
	var out []string
	for _, a := range d.Authenticators {
		switch {
		case slices.Contains(f.State.Proven, a):
		case acrLevel(f.State.ACR) >= acrLevel(ACRPhishingResistant) && a != factorPasskey:
		case a == factorPasskey && (slices.Contains(have, "hwk") || slices.Contains(have, "swk")):
		case a != factorPasskey && slices.Contains(have, amrOf[a]):
		default:
			out = append(out, a)
		}
	}
	return out
}

// enrolled tells which factors a person can prove now: verified
// credentials of each kind (a phone for both SMS and voice), recovery
// codes with some left, and an email address.
func (e *Engine) enrolled(ctx context.Context, tx store.Tx, tenantID string, u directory.User) (map[string]bool, error) {
	creds, err := e.Directory.Credentials(ctx, tx, tenantID, u.ID)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{factorEmail: u.Email != ""}
	for _, c := range creds {
		if !c.Verified {
			continue
		}
		switch c.Type {
		case directory.CredentialPassword:
			have[factorPassword] = true
		case directory.CredentialWebAuthn:
			have[factorPasskey] = true
		case directory.CredentialTOTP:
			have[factorTOTP] = true
		case directory.CredentialPhone:
			have[factorSMS], have[factorVoice] = true, true
		case directory.CredentialSecurityAnswer:
			have[factorAnswer] = true
		case directory.CredentialRecoveryCodes:
			if n, err := e.Codes.Remaining(c.Secret); err == nil && n > 0 {
				have[factorRecoveryCode] = true
			}
		}
	}
	return have, nil
}

// signIn starts a session for the user, or rotates the browser's existing
// one when it belongs to the same user (a change of assurance).
func (e *Engine) signIn(ctx context.Context, tx store.Tx, f *flow, userID string, amr []string, acr, cookie string) (session.Session, string, error) {
	if cookie != "" {
		if s, err := e.Sessions.Lookup(ctx, tx, f.TenantID, cookie); err == nil && s.UserID == userID {
			return e.Sessions.Rotate(ctx, tx, f.TenantID, cookie, amr, acr)
		} else if err == nil {
			// Another person's session on this browser ends here.
			if err := e.Sessions.Revoke(ctx, tx, f.TenantID, cookie); err != nil {
				return session.Session{}, "", err
			}
		}
	}
	return e.Sessions.Create(ctx, tx, f.TenantID, userID, amr, acr)
}
