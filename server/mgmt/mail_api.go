package mgmt

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/mail"
	"github.com/lintel-id/lintel/server/store"
)

// MailSettingsView is a tenant's SMTP relay. The password is write-only:
// only whether one is stored is shown.
type MailSettingsView struct {
	TenantID    string    `json:"tenant_id"`
	Host        string    `json:"host"`
	Port        int       `json:"port"`
	Username    string    `json:"username"`
	PasswordSet bool      `json:"password_set" doc:"Whether a password is stored; the password itself is never returned"`
	TLS         string    `json:"tls" enum:"starttls,implicit,none"`
	From        string    `json:"from" doc:"Sender address of the tenant's mail"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func mailView(r mail.TenantRelay) MailSettingsView {
	return MailSettingsView{TenantID: r.TenantID, Host: r.Host, Port: r.Port, Username: r.Username, PasswordSet: r.PasswordSet,
		TLS: string(r.TLS), From: r.From, UpdatedAt: r.UpdatedAt}
}

// mailBody is a tenant's SMTP relay as written.
type mailBody struct {
	Host     string  `json:"host" minLength:"1" maxLength:"253" doc:"DNS name or IP address of the relay, without a port. Connections go through the egress policy: loopback, private and link-local addresses are refused unless the operator allows them"`
	Port     int     `json:"port" minimum:"1" maximum:"65535" doc:"Usually 587 (starttls) or 465 (implicit)"`
	Username string  `json:"username,omitempty" maxLength:"256" doc:"Empty: no authentication (and no password)"`
	Password *string `json:"password,omitempty" maxLength:"1024" doc:"Write-only. Leave it out to keep the stored password; an empty string removes it"`
	TLS      string  `json:"tls,omitempty" enum:"starttls,implicit,none" doc:"starttls (the default: STARTTLS required), implicit (TLS from the start) or none (only for a relay on loopback)"`
	From     string  `json:"from" minLength:"1" maxLength:"320" doc:"Sender address, a display name allowed: Acme <no-reply@acme.example>"`
}

func (a *API) registerMail() {
	if a.Mail == nil {
		return
	}
	const tag = "Mail"
	base := Prefix + "/tenants/{tenant}/mail"
	register(a, Route{ID: "get-mail-settings", Method: http.MethodGet, Path: base, Scope: ScopeMailRead}, tag,
		"Get the tenant's SMTP relay (404 when it uses the instance default)",
		func(ctx context.Context, in *TenantPath) (*Out[MailSettingsView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (mail.TenantRelay, error) {
				return a.Mail.Get(ctx, tx, principal(ctx).Target.ID)
			}, mailView)
		})
	register(a, Route{ID: "put-mail-settings", Method: http.MethodPut, Path: base, Scope: ScopeMailWrite, Secret: true}, tag,
		"Set the tenant's SMTP relay and sender address",
		func(ctx context.Context, in *struct {
			TenantPath
			Body mailBody
		}) (*Out[MailSettingsView], error) {
			id, b := principal(ctx).Target.ID, in.Body
			return changed(a, ctx, "mail.settings.updated", ref[mail.TenantRelay]("mail_settings", id),
				func(ctx context.Context, tx store.Tx, ev *events.Event) (mail.TenantRelay, error) {
					old, err := a.Mail.Get(ctx, tx, id)
					created := errors.Is(err, store.ErrNotFound)
					if err != nil && !created {
						return mail.TenantRelay{}, err
					}
					r, err := a.Mail.Put(ctx, tx, id, mail.RelayInput{Host: b.Host, Port: b.Port, Username: b.Username,
						Password: b.Password, TLS: mail.TLSPolicy(b.TLS), From: b.From})
					if err != nil {
						return r, err
					}
					ev.Details = map[string]any{"created": created, "fields": changedMailFields(old, r, b.Password != nil)}
					return r, nil
				}, mailView)
		})
	register(a, Route{ID: "delete-mail-settings", Method: http.MethodDelete, Path: base, Scope: ScopeMailWrite, Status: http.StatusNoContent}, tag,
		"Remove the tenant's SMTP relay: its mail goes through the instance default",
		func(ctx context.Context, in *TenantPath) (*struct{}, error) {
			id := principal(ctx).Target.ID
			return deleted(a, ctx, "mail.settings.deleted", events.Ref{Type: "mail_settings", ID: id}, func(ctx context.Context, tx store.Tx) error {
				return a.Mail.Delete(ctx, tx, id)
			})
		})
}

// changedMailFields names the fields a Put changed, for the event; a
// password that was sent counts as changed, whatever it was.
func changedMailFields(old, r mail.TenantRelay, password bool) []string {
	out := []string{}
	add := func(name string, differs bool) {
		if differs {
			out = append(out, name)
		}
	}
	add("host", old.Host != r.Host)
	add("port", old.Port != r.Port)
	add("username", old.Username != r.Username)
	add("password", password || old.PasswordSet != r.PasswordSet)
	add("tls", old.TLS != r.TLS)
	add("from", old.From != r.From)
	return out
}
