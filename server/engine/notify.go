package engine

import (
	"context"
	"errors"
	"fmt"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/mail"
	"github.com/lintel-id/lintel/server/store"
)

// notify queues a notice of kind ("lockout", "recovered", …) for u in tx,
// rendered by render with the flow's brand and app's emails in u's
// language (else the flow's), and records that
// it was sent. A person without an address gets nothing; a tenant that
// cannot send mail gets a warning in the log and no mail, and the change
// that caused the notice goes on: a notice never blocks it.
func (e *Engine) notify(ctx context.Context, tx store.Tx, f *flow, u directory.User, kind string, render func(s *emailtemplates.Set, lang string) (emailtemplates.Rendered, error)) error {
	if u.Email == "" {
		return nil
	}
	from, err := e.Senders.From(ctx, tx, f.TenantID)
	if errors.Is(err, mail.ErrNotConfigured) {
		e.Logger.WarnContext(ctx, "engine: notice not sent: the tenant cannot send mail", "tenant", f.TenantID, "kind", kind)
		return nil
	}
	if err != nil {
		return err
	}
	locale := recipientLocale(f, u)
	r, err := render(e.templates(ctx, tx, f, locale), locale)
	if err != nil {
		return fmt.Errorf("engine: render %s email: %w", kind, err)
	}
	if _, err := e.Mail.Enqueue(ctx, tx, mail.Message{
		TenantID: f.TenantID, To: u.Email, From: from, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
		Kind: kind, UserID: u.ID,
	}); err != nil {
		return fmt.Errorf("engine: queue %s email: %w", kind, err)
	}
	return e.event(ctx, tx, f, "user.email.sent", events.Success, u.ID, map[string]any{"kind": kind})
}

// templates returns the emails of the flow's brand and app in lang: the
// branded set when the engine has Branding, else the built-in one.
func (e *Engine) templates(ctx context.Context, tx store.Tx, f *flow, lang string) *emailtemplates.Set {
	if e.Branding == nil {
		return e.Templates
	}
	return e.Branding.Emails(ctx, tx, f.TenantID, f.State.Base, f.ClientID, lang)
}
