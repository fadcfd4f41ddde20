package engine

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// journeyActivate: a person activates the account an administrator (or
// an import) made for them, from the link in their activation email.
const journeyActivate = "activate"

// ActivatedPath is where an activation without an app to return to ends:
// a page saying the account is ready.
const ActivatedPath = "/activate/done"

// ErrActivationInvalid: an activation link that does not exist, was used,
// expired, or whose account is no longer waiting for activation. None of
// these is told apart.
var ErrActivationInvalid = errors.New("engine: activation link invalid")

// ActivationInfo describes an activation link for the page that asks the
// person to confirm it.
type ActivationInfo struct {
	// Locale is the account's language, "" when unknown.
	Locale string
}

// ActivationLink checks an activation token without using it: mail
// scanners fetch links, and only Activate (a POST) uses one. Any problem
// is ErrActivationInvalid.
func (e *Engine) ActivationLink(ctx context.Context, tenantID, token string) (ActivationInfo, error) {
	var info ActivationInfo
	err := e.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		u, err := e.Directory.ActivationUser(ctx, tx, tenantID, token)
		info.Locale = u.Locale
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return ActivationInfo{}, ErrActivationInvalid
	}
	return info, err
}

// ActivateBegin describes an activation to carry out.
type ActivateBegin struct {
	// Issuer is the tenant's default authorization server as the site
	// reaches it: the iss the app is sent back with.
	Issuer oidc.Issuer
	// Token is the activation token from the link.
	Token string
	// App is the app to return to through its initiate_login_uri; nil
	// (or an app without one) ends at ActivatedPath.
	App *tenant.App
	// Origin, Base, Locale and Dir are as in Begin.
	Origin, Base, Locale, Dir string
	// Session is the browser's SSO session cookie, "" when none.
	Session string
}

// Activate uses an activation token, once: the account becomes ACTIVE
// with its email address verified (the link proves it) and is signed in
// on this browser with the email factor; the flow returned then offers a
// password (to skip when the app's sign-on policy allows email sign-in;
// passkeys come with their own enrolment) and ends by sending the person
// to the app's initiate_login_uri with iss and login_hint, never a
// credential: the app starts a normal PKCE sign-in, which the new
// session answers. Any problem with the token is ErrActivationInvalid.
func (e *Engine) Activate(ctx context.Context, b ActivateBegin) (Result, error) {
	secret := newSecret()
	f := &flow{ID: newHandle(), TenantID: b.Issuer.TenantID, Origin: b.Origin, SecretMAC: e.Secrets.MAC(secretPurpose, []byte(secret)),
		ExpiresAt: e.Clock.Now().Add(e.FlowTTL)}
	var cookie *SessionCookie
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		u, err := e.Directory.Activate(ctx, tx, f.TenantID, b.Token)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, directory.ErrTransition) {
			return ErrActivationInvalid
		}
		if err != nil {
			return err
		}
		if u.Email != "" && !u.EmailVerified {
			verified := true
			if u, err = e.Directory.UpdateUser(ctx, tx, f.TenantID, u.ID, directory.UserUpdate{EmailVerified: &verified}, events.Ref{Type: "user", ID: u.ID}); err != nil {
				return err
			}
		}
		f.Step = StepEnrollPassword
		f.State = state{Issuer: b.Issuer, Locale: b.Locale, Dir: b.Dir, Login: u.Login, Base: b.Base,
			Journey: journeyActivate, UserID: u.ID, Proven: []string{factorEmail}, Return: b.Base + ActivatedPath}
		if b.App != nil {
			f.ClientID, f.State.AppName = b.App.ID, b.App.Name
			if b.App.InitiateLoginURI != "" {
				f.State.Return = initiateLogin(b.App.InitiateLoginURI, b.Issuer.URL, u.Login)
			}
		}
		d, err := e.decide(ctx, tx, f.TenantID, f.ClientID, u)
		if err != nil {
			return err
		}
		f.State.CanSkip = slices.Contains(d.Authenticators, factorEmail)
		s, value, err := e.signIn(ctx, tx, f, u.ID, []string{amrOf[factorEmail]}, ACROneFactor, b.Session)
		if err != nil {
			return err
		}
		cookie = &SessionCookie{Value: value, Expires: s.AbsoluteExpiresAt}
		if err := e.Directory.RecordSignIn(ctx, tx, f.TenantID, u.ID); err != nil {
			return err
		}
		if err := e.event(ctx, tx, f, "user.activated", events.Success, u.ID, map[string]any{"app": f.ClientID}); err != nil {
			return err
		}
		f.State.NewAccount = true
		link := ""
		if b.App != nil {
			link = b.App.InitiateLoginURI
		}
		if err := e.welcome(ctx, tx, f, u, link); err != nil {
			return err
		}
		return e.insert(ctx, tx, f)
	})
	if errors.Is(err, ErrActivationInvalid) {
		return Result{}, err
	}
	if err != nil {
		return Result{}, fmt.Errorf("engine: activate: %w", err)
	}
	return Result{Flow: e.view(ctx, f), Secret: secret, SetSession: cookie, RedirectURI: f.target()}, nil
}

// initiateLogin is an app's initiate_login_uri with the parameters of a
// login initiated by a third party (OpenID Connect Core §4): iss and
// login_hint.
func initiateLogin(uri, iss, loginHint string) string {
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	return uri + sep + "iss=" + url.QueryEscape(iss) + "&login_hint=" + url.QueryEscape(loginHint)
}

// target is where a finished flow sends the browser, whose origin the
// page's form-action must allow: the client's redirect URI, or where an
// activation returns to.
func (f *flow) target() string {
	if f.State.Journey == journeyActivate {
		return f.State.Return
	}
	return f.State.Request.RedirectURI
}

// activationPassword stores the password an activation chose, then ends
// the activation.
func (e *Engine) activationPassword(ctx context.Context, tx store.Tx, f *flow, hash string) error {
	if err := e.Directory.SetCredential(ctx, tx, f.TenantID, f.State.UserID, directory.CredentialPassword, hash); err != nil {
		return err
	}
	if err := e.Policies.RememberPassword(ctx, tx, f.TenantID, f.State.UserID, hash); err != nil {
		return err
	}
	if err := e.event(ctx, tx, f, "user.password.set", events.Success, f.State.UserID, map[string]any{"journey": journeyActivate}); err != nil {
		return err
	}
	return e.endActivation(ctx, tx, f)
}

// skipPassword ends an activation without a password, when the sign-on
// policy lets the person sign in by email.
func (e *Engine) skipPassword(ctx context.Context, f *flow) error {
	return e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		if !f.State.CanSkip {
			return ErrUnknownAction
		}
		if err := e.endActivation(ctx, tx, f); err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
}

// endActivation offers, before an activation ends, to set up what the
// sign-on rule prompts for (Rule.Enroll: a passkey, say) when the person
// has none of it; they may skip it.
func (e *Engine) endActivation(ctx context.Context, tx store.Tx, f *flow) error {
	u, err := e.Directory.User(ctx, tx, f.TenantID, f.State.UserID)
	if err != nil {
		return err
	}
	d, err := e.decide(ctx, tx, f.TenantID, f.ClientID, u)
	if err != nil {
		return err
	}
	have, err := e.enrolled(ctx, tx, f.TenantID, u)
	if err != nil {
		return err
	}
	offer := promptOffer(d.Enroll, have)
	if len(offer) == 0 {
		f.finishActivation()
		return nil
	}
	f.State.Offer, f.State.Enrolling, f.State.Optional, f.State.Prompted = offer, true, true, true
	return e.enroll(ctx, tx, f, u, offer[0])
}

// finishActivation ends the flow at the app's initiate_login_uri (or the
// page saying the account is ready).
func (f *flow) finishActivation() {
	f.Step, f.Done, f.State.Messages = wire.StepDone, true, nil
	f.State.Redirect = f.State.Return
}
