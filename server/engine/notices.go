package engine

import (
	"context"
	"errors"
	"strings"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/internal/useragent"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/store"
)

// Mail kinds of the account notices.
const (
	kindWelcome         = "welcome"
	kindPasswordChanged = "password-changed"
	kindFactorEnrolled  = "factor-enrolled"
)

// welcome mails u the greeting of an account that now exists: registered
// (its address proven) or activated. link is the app's
// initiate_login_uri; only an https one is sent, else none.
func (e *Engine) welcome(ctx context.Context, tx store.Tx, f *flow, u directory.User, link string) error {
	v := emailtemplates.WelcomeView{App: f.State.AppName, Name: personName(u), Login: u.Login}
	if strings.HasPrefix(link, "https://") {
		v.Link = link
	}
	return e.notify(ctx, tx, f, u, kindWelcome, func(s *emailtemplates.Set, lang string, a emailtemplates.Audience) (emailtemplates.Rendered, error) {
		v.Audience = a
		r, err := s.Welcome(lang, v)
		if errors.Is(err, emailtemplates.ErrBadLink) {
			// An initiate_login_uri the templates cannot carry: the
			// welcome goes without it.
			v.Link = ""
			return s.Welcome(lang, v)
		}
		return r, err
	})
}

// personName is how a notice greets u: the given name, else the name.
func personName(u directory.User) string {
	if u.GivenName != "" {
		return u.GivenName
	}
	return u.Name
}

// passwordChanged mails u that the account's password was changed, from
// this flow's client.
func (e *Engine) passwordChanged(ctx context.Context, tx store.Tx, f *flow, u directory.User) error {
	v := emailtemplates.PasswordChangedView{App: f.State.AppName, ChangedAt: e.noticeTime(), IP: noticeIP(ctx),
		Device: deviceSummary(useragent.From(ctx))}
	return e.notify(ctx, tx, f, u, kindPasswordChanged, func(s *emailtemplates.Set, lang string, a emailtemplates.Audience) (emailtemplates.Rendered, error) {
		v.Audience = a
		return s.PasswordChanged(lang, v)
	})
}

// factorEnrolled mails the flow's person that a sign-in method (factor,
// an authenticator type) was added to their account, labelled label (""
// for none), unless the flow made or activated the account (the welcome
// covers it).
func (e *Engine) factorEnrolled(ctx context.Context, tx store.Tx, f *flow, factor, label string) error {
	if f.State.NewAccount {
		return nil
	}
	u, err := e.Directory.User(ctx, tx, f.TenantID, f.State.UserID)
	if err != nil {
		return err
	}
	v := emailtemplates.FactorEnrolledView{App: f.State.AppName, Factor: factor, Label: label, EnrolledAt: e.noticeTime(),
		IP: noticeIP(ctx), Device: deviceSummary(useragent.From(ctx))}
	return e.notify(ctx, tx, f, u, kindFactorEnrolled, func(s *emailtemplates.Set, lang string, a emailtemplates.Audience) (emailtemplates.Rendered, error) {
		v.Audience = a
		return s.FactorEnrolled(lang, v)
	})
}

// enrolledLabel is the label a factor-enrolled notice shows for the
// credential just set up: a passkey's name; "" for the others, whose
// labels are not the person's (an authenticator app is labelled with the
// app's name, a security answer with its question, which stays out of
// mail).
func (e *Engine) enrolledLabel(ctx context.Context, tx store.Tx, f *flow, factor, credentialID string) (string, error) {
	if factor != factorPasskey || credentialID == "" {
		return "", nil
	}
	c, err := e.Directory.CredentialByID(ctx, tx, f.TenantID, f.State.UserID, credentialID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return c.Label, nil
}
