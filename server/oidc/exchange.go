package oidc

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// exchangeCode redeems an authorization code for app (already
// authenticated): it records the code's use, starts a grant, and mints an
// access token, an ID token and, for offline access, a refresh token.
func (p *Provider) exchangeCode(ctx context.Context, tx store.Tx, iss Issuer, app tenant.App, form url.Values) (issued, *Error, error) {
	code, redirect, verifier := form.Get("code"), form.Get("redirect_uri"), form.Get("code_verifier")
	refuse := func(d string) (issued, *Error, error) {
		return issued{}, ptr(ErrInvalidGrant.WithDescription(d)), nil
	}
	switch {
	case code == "":
		return issued{}, ptr(ErrInvalidRequest.WithDescription("code is required")), nil
	case redirect == "":
		return issued{}, ptr(ErrInvalidRequest.WithDescription("redirect_uri is required")), nil
	case verifier == "":
		return issued{}, ptr(ErrInvalidRequest.WithDescription("code_verifier is required")), nil
	case !pkceValue(verifier):
		return issued{}, ptr(ErrInvalidRequest.WithDescription("code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]")), nil
	case len(code) > 128:
		return refuse("unknown authorization code")
	}
	row, err := loadCode(ctx, tx, p.sec.MAC(codeMACPurpose, []byte(code)))
	if errors.Is(err, store.ErrNotFound) {
		return refuse("unknown authorization code")
	}
	if err != nil {
		return issued{}, nil, err
	}
	if row.tenantID != iss.TenantID || row.server != iss.Server {
		// Another tenant's code: not ours to use up or revoke.
		return refuse("unknown authorization code")
	}
	now := p.now()
	first := !row.usedAt.Valid
	if first {
		if first, err = markUsed(ctx, tx, row.mac, now); err != nil {
			return issued{}, nil, err
		}
	}
	if !first {
		return p.codeReplayed(ctx, tx, iss, app, row)
	}
	switch {
	case !now.Before(row.expiresAt):
		return refuse("authorization code expired")
	case row.clientID != app.ID:
		p.log.WarnContext(ctx, "authorization code presented by another client", "tenant", iss.TenantID,
			"client_id", app.ID, "code_client_id", row.clientID)
		return refuse("authorization code was issued to another client")
	case row.redirectURI != redirect:
		return refuse("redirect_uri does not match the authorization request")
	case !verifierMatches(verifier, row.challenge):
		return refuse("code_verifier does not match the code_challenge")
	}
	claims, err := p.claims(ctx, tx, iss.TenantID, row.userID)
	if errors.Is(err, errUserGone) {
		return refuse("the user may no longer sign in")
	}
	if err != nil {
		return issued{}, nil, err
	}
	dc, e, err := p.decide(ctx, tx, iss, app, tenant.GrantAuthorizationCode, strings.Fields(row.scope), &claims)
	if e != nil || err != nil {
		return issued{}, e, err
	}
	absolute, idle := p.refreshLifetimes(dc.d)
	g := grantRow{
		tenantID: iss.TenantID, server: iss.Server, clientID: app.ID, userID: row.userID, sessionID: row.sessionID,
		scope: strings.Join(dc.d.Scopes, " "), authTime: row.authTime, amr: row.amr, acr: row.acr,
	}
	if err := p.createGrant(ctx, tx, &g, absolute); err != nil {
		return issued{}, nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE oidc_codes SET grant_id = ? WHERE code_mac = ?`, g.id, row.mac); err != nil {
		return issued{}, nil, err
	}
	m, err := p.tokens(ctx, tx, dc, minted{
		subject: claims.Subject, authTime: row.authTime, acr: row.acr, amr: row.amr, grantID: g.id,
		user: &claims, nonce: row.nonce, sessionID: row.sessionID,
	})
	if err != nil {
		return issued{}, nil, err
	}
	out := issued{m: m}
	if offline(app, g.scope) {
		if out.refresh, err = p.issueRefresh(ctx, tx, g, g.scope, idle); err != nil {
			return issued{}, nil, err
		}
	}
	err = p.tokenEvent(ctx, tx, iss, app, tenant.GrantAuthorizationCode, row.userID, events.Success, map[string]any{"grant_id": g.id})
	return out, nil, err
}

// codeReplayed refuses a code presented again and revokes what its first
// exchange issued (RFC 6749 §4.1.2): whoever presents it twice, one of
// them is not the client.
func (p *Provider) codeReplayed(ctx context.Context, tx store.Tx, iss Issuer, app tenant.App, row codeRow) (issued, *Error, error) {
	gid := ""
	if err := tx.QueryRow(ctx, `SELECT grant_id FROM oidc_codes WHERE code_mac = ?`, row.mac).Scan(&gid); err != nil {
		return issued{}, nil, err
	}
	p.log.WarnContext(ctx, "authorization code replayed", "tenant", iss.TenantID, "client_id", app.ID,
		"code_client_id", row.clientID, "user", row.userID, "first_used_at", row.usedAt.Time, "grant_id", gid)
	if gid != "" {
		if err := p.revokeGrant(ctx, tx, gid, RevokedCodeReplay); err != nil {
			return issued{}, nil, err
		}
	}
	err := p.tokenEvent(ctx, tx, iss, app, tenant.GrantAuthorizationCode, row.userID, events.Denied,
		map[string]any{"reason": RevokedCodeReplay, "grant_id": gid})
	return issued{}, ptr(ErrInvalidGrant.WithDescription("authorization code already used")), err
}

// offline reports whether a grant of scope gets a refresh token: the
// client may refresh and asked for offline_access.
func offline(app tenant.App, scope string) bool {
	return hasScope(scope, ScopeOfflineAccess) && app.Type != tenant.AppService &&
		slices.Contains(app.GrantTypes, tenant.GrantRefreshToken)
}
