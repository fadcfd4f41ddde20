package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/factor/passkey"
	"github.com/lintel-id/lintel/server/factor/phone"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
)

// SecurityPath is the account page listing a signed-in person's factors,
// where enrollments started from it end.
const SecurityPath = "/account/security"

// ErrFactorNotFound: no such factor of the signed-in person, or one the
// account page does not manage (the password).
var ErrFactorNotFound = errors.New("engine: factor not found")

// Factor is one of a person's factors as their account page shows it;
// never its secret.
type Factor struct {
	// ID is the credential's.
	ID string
	// Kind is the factor: passkey, totp, sms (a phone, also for voice),
	// recovery_code, security_answer; password for the password, which
	// the page changes (StartEnroll with FactorPassword) but never
	// renames or removes.
	Kind string
	// Label is the person's name for it, a security question, or "".
	Label string
	// Detail is what tells it apart: a masked phone number; "" otherwise.
	Detail string
	// Remaining counts the recovery codes left.
	Remaining int
	// Synced says a passkey is backed up by its provider.
	Synced              bool
	CreatedAt, LastUsed time.Time
}

// accountKinds maps the credential types the account page manages to the
// factor each proves.
var accountKinds = map[string]string{
	directory.CredentialWebAuthn: factorPasskey, directory.CredentialTOTP: factorTOTP, directory.CredentialPhone: factorSMS,
	directory.CredentialRecoveryCodes: factorRecoveryCode, directory.CredentialSecurityAnswer: factorAnswer,
}

// Enrollable lists what a person may set up from their account page, in
// the page's order.
var Enrollable = []string{factorPasskey, factorTOTP, factorSMS, factorAnswer, factorRecoveryCode}

// FactorPassword is the factor StartEnroll takes to change (or set) the
// person's password.
const FactorPassword = factorPassword

// signedIn is the live session's person, or ErrNoSession.
func (e *Engine) signedIn(ctx context.Context, tx store.Tx, tenantID, cookie string) (directory.User, error) {
	_, u, err := e.signedInSession(ctx, tx, tenantID, cookie)
	return u, err
}

// signedInSession is the live session and its person, or ErrNoSession.
func (e *Engine) signedInSession(ctx context.Context, tx store.Tx, tenantID, cookie string) (session.Session, directory.User, error) {
	s, err := e.Sessions.Lookup(ctx, tx, tenantID, cookie)
	if errors.Is(err, session.ErrNoSession) {
		return session.Session{}, directory.User{}, ErrNoSession
	}
	if err != nil {
		return session.Session{}, directory.User{}, err
	}
	u, err := e.Directory.User(ctx, tx, tenantID, s.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !u.Status.CanSignIn()) {
		return session.Session{}, directory.User{}, ErrNoSession
	}
	return s, u, err
}

// Account is who the browser's signed-in person is, for the account
// pages.
type Account struct {
	// Login is what they sign in with.
	Login string
	// Locale is their profile's language ("" when unset): the account
	// pages speak it unless ui_locales asks otherwise.
	Locale string
}

// Factors lists the factors of the browser's signed-in person (set-ups
// left unfinished are not shown), oldest first, with who they are.
// Without a live session it is ErrNoSession.
func (e *Engine) Factors(ctx context.Context, tenantID, cookie string) ([]Factor, Account, error) {
	var out []Factor
	var acct Account
	err := e.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		u, err := e.signedIn(ctx, tx, tenantID, cookie)
		if err != nil {
			return err
		}
		acct = Account{Login: u.Login, Locale: u.Locale}
		creds, err := e.Directory.Credentials(ctx, tx, tenantID, u.ID)
		if err != nil {
			return err
		}
		for _, c := range creds {
			if c.Type == directory.CredentialPassword {
				out = append(out, Factor{ID: c.ID, Kind: factorPassword, CreatedAt: c.CreatedAt})
				continue
			}
			kind, ok := accountKinds[c.Type]
			if !ok || !c.Verified {
				continue
			}
			f := Factor{ID: c.ID, Kind: kind, Label: c.Label, CreatedAt: c.CreatedAt}
			switch c.Type {
			case directory.CredentialWebAuthn:
				if k, err := passkey.Decode(c.Secret); err == nil {
					f.Synced, f.LastUsed = k.BackupState, k.LastUsedAt
				}
			case directory.CredentialPhone:
				if n, err := phone.ParseNumber(c.Secret); err == nil {
					f.Detail = n.Masked()
				}
			case directory.CredentialRecoveryCodes:
				f.Remaining, _ = e.Codes.Remaining(c.Secret)
			}
			out = append(out, f)
		}
		return nil
	})
	return out, acct, err
}

// RenameFactor names one of the signed-in person's factors (a passkey:
// "Work laptop"); labels are trimmed, at most directory.MaxLabelLen
// characters (longer is an *invalid.Error).
func (e *Engine) RenameFactor(ctx context.Context, tenantID, cookie, id, label string) error {
	return e.accountChange(ctx, tenantID, cookie, id, "user.factor.renamed", func(ctx context.Context, tx store.Tx, u directory.User) error {
		_, err := e.Directory.RenameCredential(ctx, tx, tenantID, u.ID, id, label)
		return err
	})
}

// RemoveFactor removes one of the signed-in person's factors. Their
// sessions stay; the next sign-in follows the sign-on policy with what is
// left (which may ask them to set something up again).
func (e *Engine) RemoveFactor(ctx context.Context, tenantID, cookie, id string) error {
	return e.accountChange(ctx, tenantID, cookie, id, "user.factor.removed", func(ctx context.Context, tx store.Tx, u directory.User) error {
		return e.Directory.DeleteCredential(ctx, tx, tenantID, u.ID, id)
	})
}

// accountChange applies change to a factor the account page manages, with
// its system-log event, in one transaction.
func (e *Engine) accountChange(ctx context.Context, tenantID, cookie, id, event string, change func(ctx context.Context, tx store.Tx, u directory.User) error) error {
	return e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		u, err := e.signedIn(ctx, tx, tenantID, cookie)
		if err != nil {
			return err
		}
		c, err := e.Directory.CredentialByID(ctx, tx, tenantID, u.ID, id)
		if errors.Is(err, store.ErrNotFound) {
			return ErrFactorNotFound
		}
		if err != nil {
			return err
		}
		kind, ok := accountKinds[c.Type]
		if !ok {
			return ErrFactorNotFound
		}
		if err := change(ctx, tx, u); err != nil {
			return err
		}
		f := &flow{TenantID: tenantID}
		return e.event(ctx, tx, f, event, events.Success, u.ID, map[string]any{"factor": kind, "credential": c.ID})
	})
}

// EnrollBegin describes setting up a factor from the account page.
type EnrollBegin struct {
	// Issuer is the tenant's default authorization server as the site
	// reaches it.
	Issuer oidc.Issuer
	// Session is the browser's SSO session cookie.
	Session string
	// Factor is one of Enrollable.
	Factor string
	// Origin, Base, Locale and Dir are as in Begin.
	Origin, Base, Locale, Dir string
}

// StartEnroll starts setting up a factor for the browser's signed-in
// person: a flow at its enrollment step (new recovery codes are shown at
// once and replace the old ones, and the person is told by mail), ending
// back at SecurityPath. FactorPassword changes the password (see
// changePassword), ending at SecurityPath?done=password. Without a live
// session it is ErrNoSession; a factor not in Enrollable nor
// FactorPassword is ErrUnknownAction.
func (e *Engine) StartEnroll(ctx context.Context, b EnrollBegin) (Result, error) {
	if !slices.Contains(Enrollable, b.Factor) && b.Factor != FactorPassword {
		return Result{}, ErrUnknownAction
	}
	secret := newSecret()
	f := &flow{ID: newHandle(), TenantID: b.Issuer.TenantID, Origin: b.Origin, SecretMAC: e.Secrets.MAC(secretPurpose, []byte(secret)),
		ExpiresAt: e.Clock.Now().Add(e.FlowTTL)}
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		s, u, err := e.signedInSession(ctx, tx, f.TenantID, b.Session)
		if err != nil {
			return err
		}
		f.State = state{Issuer: b.Issuer, Locale: b.Locale, Dir: b.Dir, Login: u.Login, Base: b.Base, Journey: journeyEnroll,
			UserID: u.ID, Return: b.Base + SecurityPath}
		switch b.Factor {
		case factorPassword:
			err = e.startPasswordChange(ctx, tx, f, s, u)
		case factorRecoveryCode:
			// The new codes work at once, whether or not the person goes
			// on from the page that shows them.
			if err = e.newCodes(ctx, tx, f, u.ID); err == nil {
				err = e.factorEnrolled(ctx, tx, f, factorRecoveryCode, "")
			}
		default:
			err = e.enroll(ctx, tx, f, u, b.Factor)
		}
		if err != nil {
			return err
		}
		return e.insert(ctx, tx, f)
	})
	if errors.Is(err, ErrNoSession) {
		return Result{}, err
	}
	if err != nil {
		return Result{}, fmt.Errorf("engine: start enrollment: %w", err)
	}
	return Result{Flow: e.view(ctx, f), Secret: secret, RedirectURI: f.State.Return}, nil
}

// cancelEnroll leaves an enrollment started from the account page.
func (e *Engine) cancelEnroll(ctx context.Context, f *flow) error {
	return e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		if err := e.dropPending(ctx, tx, f); err != nil {
			return err
		}
		f.Step, f.Done, f.State.Redirect, f.State.Factor = wire.StepDone, true, f.State.Return, nil
		return e.update(ctx, tx, f)
	})
}
