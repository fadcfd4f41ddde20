package engine

import (
	"context"
	"errors"
	"fmt"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/internal/clientip"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/mail"
	"github.com/lintel-id/lintel/server/store"
)

// notify queues a notice of kind ("lockout", "recovered", …) for u in tx,
// rendered by render with the flow's brand and app's emails in u's
// language (else the flow's) for u's audience (see audience), and
// records that it was sent. A person without an address gets nothing; a tenant that
// cannot send mail gets a warning in the log and no mail, and the change
// that caused the notice goes on: a notice never blocks it.
func (e *Engine) notify(ctx context.Context, tx store.Tx, f *flow, u directory.User, kind string, render func(s *emailtemplates.Set, lang string, a emailtemplates.Audience) (emailtemplates.Rendered, error)) error {
	if u.Email == "" {
		return nil
	}
	from, err := e.sender(ctx, tx, f)
	if errors.Is(err, mail.ErrNotConfigured) {
		e.Logger.WarnContext(ctx, "engine: notice not sent: the tenant cannot send mail", "tenant", f.TenantID, "kind", kind)
		return nil
	}
	if err != nil {
		return err
	}
	locale := recipientLocale(f, u)
	r, err := render(e.templates(ctx, tx, f, locale), locale, audience(f, u, locale))
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

// audience is what templates may branch on for mail to u about flow f:
// the flow's app and u's profile attributes that are strings, with
// "locale" the language the mail is written in.
func audience(f *flow, u directory.User, locale string) emailtemplates.Audience {
	p := map[string]string{}
	for k, v := range u.Profile {
		if s, ok := v.(string); ok {
			p[k] = s
		}
	}
	p["locale"] = locale
	return emailtemplates.Audience{AppID: f.ClientID, Profile: p}
}

// noticeTime is now as notices show it: UTC, to the minute.
func (e *Engine) noticeTime() string {
	return e.Clock.Now().UTC().Format("2006-01-02 15:04 UTC")
}

// noticeIP is the client address a notice names, "" when unknown.
func noticeIP(ctx context.Context) string {
	if a := clientip.From(ctx); a.IsValid() {
		return a.String()
	}
	return ""
}

// templates returns the emails of the flow's brand and app in lang: the
// branded set when the engine has Branding, else the built-in one.
func (e *Engine) templates(ctx context.Context, tx store.Tx, f *flow, lang string) *emailtemplates.Set {
	if e.Branding == nil {
		return e.Templates
	}
	return e.Branding.Emails(ctx, tx, f.TenantID, f.State.Base, f.ClientID, lang)
}

// sender is the address the flow's mail comes from: the sender of the
// brand of the site the flow runs on, else the tenant's.
func (e *Engine) sender(ctx context.Context, tx store.Tx, f *flow) (string, error) {
	brandID := ""
	if e.Branding != nil {
		brandID = e.Branding.Brand(ctx, tx, f.TenantID, f.State.Base)
	}
	return e.Senders.FromBrand(ctx, tx, f.TenantID, brandID)
}
