package oidc

import (
	"context"
	"errors"
	"net/http"

	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// Revoke returns the revocation endpoint ({issuer}/v1/revoke, RFC 7009).
// The client authenticates as at the token endpoint (a public client
// names itself with client_id) and POSTs token with an optional
// token_type_hint. A refresh token revokes its whole grant, with every
// access token of it; an access token is revoked by itself. A token of
// another client is refused with unauthorized_client; an unknown, expired
// or malformed token is answered 200 like a revoked one (RFC 7009 §2.2),
// so the endpoint tells nothing about tokens the caller does not hold.
func (p *Provider) Revoke() http.Handler { return http.HandlerFunc(p.revoke) }

func (p *Provider) revoke(w http.ResponseWriter, r *http.Request) {
	iss, form, ok := p.tokenRequest(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	token := form.Get("token")
	at, err := p.presentedAccess(ctx, iss, token)
	if err != nil {
		p.log.ErrorContext(ctx, "revoke: verify", "tenant", iss.TenantID, "err", err)
		writeTokenError(w, iss, ErrServerError)
		return
	}
	e, err := p.withClient(ctx, iss, r, form, true, func(ctx context.Context, tx store.Tx, app tenant.App) (*Error, error) {
		if token == "" {
			return ptr(ErrInvalidRequest.WithDescription("token is required")), nil
		}
		return p.revokeToken(ctx, tx, iss, app, token, at)
	})
	switch {
	case err != nil:
		p.log.ErrorContext(ctx, "revoke: internal error", "tenant", iss.TenantID, "err", err)
		writeTokenError(w, iss, ErrServerError)
	case e != nil:
		writeTokenError(w, iss, *e)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// revokeToken revokes one token for its client.
func (p *Provider) revokeToken(ctx context.Context, tx store.Tx, iss Issuer, app tenant.App, token string, at *accessClaims) (*Error, error) {
	notYours := ptr(ErrUnauthorizedClient.WithDescription("the token was issued to another client"))
	if at != nil {
		if at.ClientID != app.ID {
			return notYours, nil
		}
		if err := p.revokeAccess(ctx, tx, iss.TenantID, *at); err != nil {
			return nil, err
		}
		return nil, p.revocationEvent(ctx, tx, iss, app, at.Subject, map[string]any{"token_type": "access_token"})
	}
	rt, err := p.loadRefresh(ctx, tx, token)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	g, err := loadGrant(ctx, tx, rt.grantID)
	if errors.Is(err, store.ErrNotFound) || err == nil && (g.tenantID != iss.TenantID || g.server != iss.Server) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if rt.clientID != app.ID {
		return notYours, nil
	}
	if g.revokedAt.Valid {
		return nil, nil
	}
	if err := p.revokeGrant(ctx, tx, g.id, RevokedByClient); err != nil {
		return nil, err
	}
	return nil, p.revocationEvent(ctx, tx, iss, app, g.userID, map[string]any{"token_type": "refresh_token", "grant_id": g.id})
}

// revocationEvent records a revocation in the system log.
func (p *Provider) revocationEvent(ctx context.Context, tx store.Tx, iss Issuer, app tenant.App, subject string, details map[string]any) error {
	details["server"] = iss.Server
	ev := events.Event{Type: "oauth2.token.revoked", TenantID: app.TenantID, Outcome: events.Success, RequestID: requestid.From(ctx),
		Actor: events.Ref{Type: "app", ID: app.ID}, Target: events.Ref{Type: "app", ID: app.ID}, Details: details}
	if subject != "" && subject != app.ID {
		ev.Subject = subject
	}
	_, err := p.events.Append(ctx, tx, ev)
	return err
}
