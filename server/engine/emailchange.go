package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
)

// journeyChangeEmail: a signed-in person changes their email address.
// The new address is proven by the emailed code or link before anything
// changes; the old address is told afterwards.
const journeyChangeEmail = "change-email"

// StepChangeEmail asks a signed-in person for their new email address.
const StepChangeEmail = wire.StepChangeEmail

// ChangedPath is where an email change ends: a page saying it is done.
const ChangedPath = "/account/email/changed"

// ErrNoSession: the browser has no live session, which an account change
// needs.
var ErrNoSession = errors.New("engine: not signed in")

// EmailChangeBegin describes an email change to start.
type EmailChangeBegin struct {
	// Issuer is the tenant's default authorization server as the site
	// reaches it.
	Issuer oidc.Issuer
	// Session is the browser's SSO session cookie.
	Session string
	// Origin, Base, Locale and Dir are as in Begin.
	Origin, Base, Locale, Dir string
}

// StartEmailChange starts the change of the signed-in person's email
// address: a flow at StepChangeEmail. Without a live session of someone
// who may sign in, it is ErrNoSession.
func (e *Engine) StartEmailChange(ctx context.Context, b EmailChangeBegin) (Result, error) {
	secret := newSecret()
	f := &flow{ID: newHandle(), TenantID: b.Issuer.TenantID, Origin: b.Origin, SecretMAC: e.Secrets.MAC(secretPurpose, []byte(secret)),
		Step: StepChangeEmail, ExpiresAt: e.Clock.Now().Add(e.FlowTTL)}
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		s, err := e.Sessions.Lookup(ctx, tx, f.TenantID, b.Session)
		if errors.Is(err, session.ErrNoSession) {
			return ErrNoSession
		}
		if err != nil {
			return err
		}
		u, err := e.Directory.User(ctx, tx, f.TenantID, s.UserID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !u.Status.CanSignIn()) {
			return ErrNoSession
		}
		if err != nil {
			return err
		}
		f.State = state{Issuer: b.Issuer, Locale: b.Locale, Dir: b.Dir, Login: u.Login, Base: b.Base, Journey: journeyChangeEmail, UserID: u.ID}
		return e.insert(ctx, tx, f)
	})
	if errors.Is(err, ErrNoSession) {
		return Result{}, err
	}
	if err != nil {
		return Result{}, fmt.Errorf("engine: start email change: %w", err)
	}
	return Result{Flow: e.view(ctx, f), Secret: secret}, nil
}

// sendEmailChange mails a code and link to the new address typed at
// StepChangeEmail. An address another account signs in with gets no mail
// and the same answer.
func (e *Engine) sendEmailChange(ctx context.Context, f *flow, req wire.ContinueRequest) error {
	email, _ := req.Value(FieldEmail)
	email = strings.TrimSpace(email)
	f.State.Messages = nil
	switch {
	case email == "":
		f.State.Messages = []wire.Message{{ID: MsgFieldRequired, Level: wire.LevelError, Field: FieldEmail}}
	case len(email) > maxLoginLen || !plainAddress(email):
		f.State.Messages = []wire.Message{{ID: MsgEmailInvalid, Level: wire.LevelError, Field: FieldEmail}}
	}
	if f.State.Messages != nil {
		return e.save(ctx, f)
	}
	return e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		u, err := e.Directory.User(ctx, tx, f.TenantID, f.State.UserID)
		if err != nil {
			return err
		}
		if directory.NormalizeLogin(email) == directory.NormalizeLogin(u.Email) {
			f.State.Messages = []wire.Message{{ID: MsgEmailSame, Level: wire.LevelError, Field: FieldEmail}}
			return e.update(ctx, tx, f)
		}
		f.State.Pending, f.State.Email = &pendingRegistration{Email: email}, nil
		return e.sendAndPoll(ctx, tx, f)
	})
}

// emailChanged makes the proven new address the person's, tells the old
// one, and ends the flow at ChangedPath.
func (e *Engine) emailChanged(ctx context.Context, tx store.Tx, f *flow) error {
	old, err := e.Directory.User(ctx, tx, f.TenantID, f.State.UserID)
	if err != nil {
		return err
	}
	u, err := e.Directory.ChangeEmail(ctx, tx, f.TenantID, old.ID, f.State.Pending.Email, events.Ref{Type: "user", ID: old.ID})
	if errors.Is(err, store.ErrConflict) {
		f.Step, f.Done, f.State.Pending = wire.StepError, true, nil
		f.State.Messages = []wire.Message{{ID: MsgEmailTaken, Level: wire.LevelError}}
		return nil
	}
	if err != nil {
		return err
	}
	if old.Email != "" {
		masked, at := directory.MaskEmail(u.Email), e.Clock.Now().UTC().Format("2006-01-02 15:04 UTC")
		if err := e.notify(ctx, tx, f, old, "email-changed", func(s *emailtemplates.Set, lang string, a emailtemplates.Audience) (emailtemplates.Rendered, error) {
			return s.EmailChanged(lang, emailtemplates.EmailChangedView{Audience: a, NewAddress: masked, At: at})
		}); err != nil {
			return err
		}
	}
	f.Step, f.Done, f.State.Pending, f.State.Messages = wire.StepDone, true, nil, nil
	f.State.Login, f.State.Redirect = u.Login, f.State.Base+ChangedPath
	return nil
}
