package mgmt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/mail"
	"github.com/lintel-id/lintel/server/store"
)

// Outbox puts a message in the mail outbox in the caller's transaction,
// so that it leaves only if the change that caused it commits; refused
// input is an *invalid.Error. *mail.Outbox implements it.
type Outbox interface {
	Enqueue(ctx context.Context, tx store.Tx, m mail.Message) (string, error)
}

// Senders tells the address a tenant's mail comes from; an error
// wrapping mail.ErrNotConfigured means the tenant cannot send mail.
// *mail.Settings implements it.
type Senders interface {
	From(ctx context.Context, tx store.Tx, tenantID string) (string, error)
}

// ActivationPath is where an emailed activation link points, under the
// tenant's site (tenant.Service.SiteBase), followed by the path-escaped
// token; the hosted pages serve it.
const ActivationPath = directory.ActivationPath

// defaultActivationTTL is an activation's life when the request sets none.
const defaultActivationTTL = 7 * 24 * time.Hour

// ActivationView is the answer to issuing an activation: the token, shown
// once, or where it was mailed.
type ActivationView struct {
	Token     string    `json:"activation_token,omitempty" doc:"Single use; shown once. Hand it to the person through a trusted channel. Absent when the link was mailed"`
	SentTo    string    `json:"sent_to,omitempty" doc:"The user's address the link was mailed to, masked (j•••@example.com); present only with send_email"`
	ExpiresAt time.Time `json:"expires_at"`
}

// activationOut is 201 with the token, or 202 when the link was mailed.
type activationOut struct {
	Status int
	Body   ActivationView
}

// activationBody asks for an activation; every field is optional.
type activationBody struct {
	ExpiresIn int    `json:"expires_in,omitempty" minimum:"300" maximum:"2592000" doc:"Lifetime in seconds, at most 30 days; default 7 days"`
	SendEmail bool   `json:"send_email,omitempty" doc:"Mail the activation link to the user's address (in the user's language) instead of answering the token, which then never leaves the server"`
	AppID     string `json:"app_id,omitempty" maxLength:"64" doc:"With send_email: the app the account is for. It must have an initiate_login_uri; the email names the app and, once activated, the person is sent there to sign in"`
}

// registerActivation serves the route that issues activation tokens.
func (a *API) registerActivation(tag string) {
	register(a, Route{ID: "create-user-activation", Method: http.MethodPost, Path: Prefix + "/tenants/{tenant}/users/{user}/activation",
		Scope: ScopeUsersActivate, Status: http.StatusCreated, AlsoStatus: http.StatusAccepted}, tag,
		"Issue a single-use activation for a STAGED or PROVISIONED user: the token is shown once (201), or with send_email the link is mailed to the user and only the masked address is shown (202). The token is never logged",
		func(ctx context.Context, in *struct {
			UserPath
			Body activationBody
		}) (*activationOut, error) {
			b := in.Body
			ttl := defaultActivationTTL
			if b.ExpiresIn > 0 {
				ttl = time.Duration(b.ExpiresIn) * time.Second
			}
			out := &activationOut{Status: http.StatusCreated}
			err := a.change(ctx, "user.activation.issued", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				tenantID := principal(ctx).Target.ID
				ev.Target = events.Ref{Type: "user", ID: in.User}
				u, err := a.Directory.User(ctx, tx, tenantID, in.User)
				if err != nil {
					return err
				}
				if u.Status != directory.StatusStaged && u.Status != directory.StatusProvisioned {
					return invalid.Field("status", "only STAGED or PROVISIONED users are activated; this one is %s", u.Status)
				}
				if !b.SendEmail {
					if b.AppID != "" {
						return invalid.Field("app_id", "is used only with send_email")
					}
					ev.Details = map[string]any{"delivery": "token"}
					out.Body.Token, err = a.Directory.CreateActivation(ctx, tx, tenantID, in.User, ttl)
					out.Body.ExpiresAt = a.Clock.Now().Add(ttl).UTC()
					return err
				}
				out.Status = http.StatusAccepted
				return a.mailActivation(ctx, tx, u, b.AppID, ttl, ev, &out.Body)
			})
			if err != nil {
				return nil, err
			}
			return out, nil
		})
}

// mailActivation issues an activation for u, valid for ttl, and queues
// the email carrying its link in tx, filling the answer and the event.
// Every refusal comes before anything is written: bad input (no address,
// an app that cannot take the person back) as *invalid.Error, a tenant
// that cannot send mail as mail.ErrNotConfigured.
func (a *API) mailActivation(ctx context.Context, tx store.Tx, u directory.User, appID string, ttl time.Duration, ev *events.Event, out *ActivationView) error {
	if a.Outbox == nil || a.Senders == nil || a.Templates == nil {
		return invalid.Field("send_email", "this server does not send mail")
	}
	var errs []error
	if u.Email == "" {
		errs = append(errs, invalid.Field("send_email", "the user has no email address"))
	}
	appName := ""
	if appID != "" {
		app, err := a.Tenants.App(ctx, tx, u.TenantID, appID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			errs = append(errs, invalid.Field("app_id", "no such app in this tenant"))
		case err != nil:
			return err
		case app.InitiateLoginURI == "":
			errs = append(errs, invalid.Field("app_id", "the app has no initiate_login_uri, so activated people could not go on to sign in to it"))
		default:
			appName = app.Name
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	from, err := a.Senders.From(ctx, tx, u.TenantID)
	if err != nil {
		return err // mail.ErrNotConfigured: 409, nothing written
	}
	// Links come from the tenant's records and the configuration, never
	// from the request.
	base, err := a.Tenants.SiteBase(ctx, tx, u.TenantID)
	if err != nil {
		return err
	}
	token, err := a.Directory.CreateActivation(ctx, tx, u.TenantID, u.ID, ttl)
	if err != nil {
		return err
	}
	link := base + ActivationPath + url.PathEscape(token)
	if appID != "" {
		link += "?app=" + url.QueryEscape(appID)
	}
	name := u.GivenName
	if name == "" {
		name = u.Name
	}
	r, err := a.Templates.Activation(u.Locale, emailtemplates.ActivationView{
		App: appName, Link: link, ExpiresHours: int((ttl + time.Hour - 1) / time.Hour), Name: name,
	})
	if err != nil {
		return fmt.Errorf("mgmt: render activation email: %w", err)
	}
	if _, err := a.Outbox.Enqueue(ctx, tx, mail.Message{
		TenantID: u.TenantID, To: u.Email, From: from, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
		Kind: "activation", UserID: u.ID,
	}); err != nil {
		return fmt.Errorf("mgmt: queue activation email: %w", err)
	}
	ev.Details = map[string]any{"delivery": "email"}
	if appID != "" {
		ev.Details["app_id"] = appID
	}
	// The address is personal: sealed under the user's key.
	ev.Subject, ev.Personal = u.ID, map[string]string{"sent_to": u.Email}
	out.SentTo, out.ExpiresAt = directory.MaskEmail(u.Email), a.Clock.Now().Add(ttl).UTC()
	return nil
}

// emailChanged tells a user's old address, through the outbox in the
// caller's transaction, that an admin changed it (to the new address,
// masked): a change nobody asked for is noticed. The new address is
// left unverified by the directory. Without mail deps, an old address,
// or a tenant that can send mail, nothing is sent and the change goes on.
func (a *API) emailChanged(ctx context.Context, tx store.Tx, old, u directory.User) error {
	if old.Email == "" || directory.NormalizeLogin(old.Email) == directory.NormalizeLogin(u.Email) ||
		a.Outbox == nil || a.Senders == nil || a.Templates == nil {
		return nil
	}
	from, err := a.Senders.From(ctx, tx, u.TenantID)
	if errors.Is(err, mail.ErrNotConfigured) {
		return nil
	}
	if err != nil {
		return err
	}
	r, err := a.Templates.EmailChanged(old.Locale, emailtemplates.EmailChangedView{
		NewAddress: directory.MaskEmail(u.Email), At: a.Clock.Now().UTC().Format("2006-01-02 15:04 UTC"),
	})
	if err != nil {
		return fmt.Errorf("mgmt: render email-changed notice: %w", err)
	}
	if _, err := a.Outbox.Enqueue(ctx, tx, mail.Message{
		TenantID: u.TenantID, To: old.Email, From: from, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
		Kind: "email-changed", UserID: u.ID,
	}); err != nil {
		return fmt.Errorf("mgmt: queue email-changed notice: %w", err)
	}
	return nil
}
