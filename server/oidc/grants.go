package oidc

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// Refresh tokens are opaque: a prefix that secret scanners recognise and
// 256 random bits. Only their keyed hash is stored.
const (
	RefreshTokenPrefix = "lrt_"
	refreshMACPurpose  = "oidc.refresh"
	maxRefreshTokenLen = 128
)

// grantRow is a stored grant.
type grantRow struct {
	id, tenantID, server, clientID, userID, sessionID, scope, acr string
	amr                                                           []string
	authTime, createdAt, expiresAt                                time.Time
	revokedAt                                                     sql.NullTime
}

// createGrant stores a new grant, filling its ID and times; its refresh
// tokens end absolute after now at the latest.
func (p *Provider) createGrant(ctx context.Context, tx store.Tx, g *grantRow, absolute time.Duration) error {
	now := p.now()
	g.id, g.createdAt, g.expiresAt = ident.New("grt", now), now, now.Add(absolute)
	amr := g.amr
	if amr == nil {
		amr = []string{}
	}
	b, err := json.Marshal(amr)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO oidc_grants (id, tenant_id, server, client_id, user_id, session_id, scope,
		auth_time, amr, acr, created_at, expires_at, revoke_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')`,
		g.id, g.tenantID, g.server, g.clientID, g.userID, g.sessionID, g.scope, g.authTime, string(b), g.acr,
		g.createdAt, g.expiresAt)
	if err != nil {
		return fmt.Errorf("oidc: store grant: %w", err)
	}
	return nil
}

// loadGrant reads a grant by ID; store.ErrNotFound when there is none.
func loadGrant(ctx context.Context, tx store.Tx, id string) (grantRow, error) {
	g := grantRow{id: id}
	var amr []byte
	err := tx.QueryRow(ctx, `SELECT tenant_id, server, client_id, user_id, session_id, scope, auth_time, amr, acr,
		created_at, expires_at, revoked_at FROM oidc_grants WHERE id = ?`, id).
		Scan(&g.tenantID, &g.server, &g.clientID, &g.userID, &g.sessionID, &g.scope, &g.authTime, &amr, &g.acr,
			&g.createdAt, &g.expiresAt, &g.revokedAt)
	if err != nil {
		return grantRow{}, err
	}
	if err := json.Unmarshal(amr, &g.amr); err != nil {
		return grantRow{}, fmt.Errorf("oidc: stored amr: %w", err)
	}
	return g, nil
}

// issueRefresh stores a new refresh token of grant g with scope and
// returns it. It expires after idle, never after the grant.
func (p *Provider) issueRefresh(ctx context.Context, tx store.Tx, g grantRow, scope string, idle time.Duration) (string, error) {
	token := RefreshTokenPrefix + randomToken(32)
	now := p.now()
	exp := now.Add(idle)
	if exp.After(g.expiresAt) {
		exp = g.expiresAt
	}
	_, err := tx.Exec(ctx, `INSERT INTO oidc_refresh_tokens (token_mac, grant_id, tenant_id, client_id, scope, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, p.sec.MAC(refreshMACPurpose, []byte(token)), g.id, g.tenantID, g.clientID, scope, now, exp)
	if err != nil {
		return "", fmt.Errorf("oidc: store refresh token: %w", err)
	}
	return token, nil
}

// refreshRow is a stored refresh token.
type refreshRow struct {
	mac                         []byte
	grantID, tenantID, clientID string
	scope                       string
	createdAt, expiresAt        time.Time
	usedAt                      sql.NullTime
}

// loadRefresh reads a refresh token; store.ErrNotFound for an unknown
// one.
func (p *Provider) loadRefresh(ctx context.Context, tx store.Tx, token string) (refreshRow, error) {
	if len(token) > maxRefreshTokenLen || !strings.HasPrefix(token, RefreshTokenPrefix) {
		return refreshRow{}, store.ErrNotFound
	}
	r := refreshRow{mac: p.sec.MAC(refreshMACPurpose, []byte(token))}
	err := tx.QueryRow(ctx, `SELECT grant_id, tenant_id, client_id, scope, created_at, expires_at, used_at
		FROM oidc_refresh_tokens WHERE token_mac = ?`, r.mac).
		Scan(&r.grantID, &r.tenantID, &r.clientID, &r.scope, &r.createdAt, &r.expiresAt, &r.usedAt)
	return r, err
}

// refresh runs the refresh_token grant for app (authenticated): the token
// is exchanged once for a successor; a used token presented again means
// it was stolen or leaked, and the whole family is revoked.
func (p *Provider) refresh(ctx context.Context, tx store.Tx, iss Issuer, app tenant.App, form url.Values) (issued, *Error, error) {
	refuse := func(d string) (issued, *Error, error) {
		return issued{}, ptr(ErrInvalidGrant.WithDescription(d)), nil
	}
	raw := form.Get("refresh_token")
	if raw == "" {
		return issued{}, ptr(ErrInvalidRequest.WithDescription("refresh_token is required")), nil
	}
	rt, err := p.loadRefresh(ctx, tx, raw)
	if errors.Is(err, store.ErrNotFound) {
		return refuse("unknown refresh token")
	}
	if err != nil {
		return issued{}, nil, err
	}
	g, err := loadGrant(ctx, tx, rt.grantID)
	if errors.Is(err, store.ErrNotFound) || err == nil && (g.tenantID != iss.TenantID || g.server != iss.Server) {
		return refuse("unknown refresh token")
	}
	if err != nil {
		return issued{}, nil, err
	}
	if rt.clientID != app.ID {
		p.log.WarnContext(ctx, "refresh token presented by another client", "tenant", iss.TenantID, "client_id", app.ID, "token_client_id", rt.clientID)
		return refuse("the refresh token was issued to another client")
	}
	now := p.now()
	if g.revokedAt.Valid {
		return refuse("the refresh token was revoked")
	}
	if rt.usedAt.Valid {
		return p.refreshReused(ctx, tx, iss, app, g)
	}
	if !now.Before(rt.expiresAt) || !now.Before(g.expiresAt) {
		return refuse("the refresh token expired")
	}
	// Every refusal below leaves the token usable: only a successful
	// exchange uses it up.
	scope := rt.scope
	if req := form.Get("scope"); req != "" {
		narrowed, e := narrowScope(req, rt.scope)
		if e != nil {
			return issued{}, e, nil
		}
		scope = narrowed
	}
	claims, err := p.claims(ctx, tx, iss.TenantID, g.userID)
	if errors.Is(err, errUserGone) {
		return refuse("the user may no longer sign in")
	}
	if err != nil {
		return issued{}, nil, err
	}
	// The policy decides again: a rule changed since sign-in applies now.
	dc, e, err := p.decide(ctx, tx, iss, app, tenant.GrantRefreshToken, strings.Fields(scope), &claims)
	if e != nil || err != nil {
		return issued{}, e, err
	}
	n, err := tx.Exec(ctx, `UPDATE oidc_refresh_tokens SET used_at = ? WHERE token_mac = ? AND used_at IS NULL`, now, rt.mac)
	if err != nil {
		return issued{}, nil, err
	}
	if n != 1 {
		// A concurrent exchange used it first: that is a reuse too.
		return p.refreshReused(ctx, tx, iss, app, g)
	}
	m, err := p.tokens(ctx, tx, dc, minted{subject: claims.Subject, authTime: g.authTime, acr: g.acr, amr: g.amr,
		grantID: g.id, sessionID: g.sessionID, user: &claims})
	if err != nil {
		return issued{}, nil, err
	}
	out := issued{m: m}
	// The successor keeps the original scope (RFC 6749 §6).
	_, idle := p.refreshLifetimes(dc.d)
	if out.refresh, err = p.issueRefresh(ctx, tx, g, rt.scope, idle); err != nil {
		return issued{}, nil, err
	}
	err = p.tokenEvent(ctx, tx, iss, app, tenant.GrantRefreshToken, g.userID, events.Success, map[string]any{"grant_id": g.id})
	return out, nil, err
}

// refreshReused answers a refresh token presented after its use: it was
// stolen or leaked, so its whole family (the grant) is revoked.
func (p *Provider) refreshReused(ctx context.Context, tx store.Tx, iss Issuer, app tenant.App, g grantRow) (issued, *Error, error) {
	p.log.WarnContext(ctx, "refresh token reused: revoking its family", "tenant", iss.TenantID, "client_id", app.ID, "grant_id", g.id, "user", g.userID)
	if err := p.revokeGrant(ctx, tx, g.id, RevokedRefreshReuse); err != nil {
		return issued{}, nil, err
	}
	err := p.tokenEvent(ctx, tx, iss, app, tenant.GrantRefreshToken, g.userID, events.Denied,
		map[string]any{"reason": RevokedRefreshReuse, "grant_id": g.id})
	return issued{}, ptr(ErrInvalidGrant.WithDescription("the refresh token was already used; its grant is revoked")), err
}

// narrowScope checks a scope asked for at refresh against the granted
// one: every value must have been granted (RFC 6749 §6).
func narrowScope(req, granted string) (string, *Error) {
	var out []string
	for _, s := range strings.Split(req, " ") {
		switch {
		case s == "":
			return "", ptr(ErrInvalidScope.WithDescription("scope values are separated by single spaces"))
		case !hasScope(granted, s):
			return "", ptr(ErrInvalidScope.WithDescription("the scope exceeds what was granted"))
		case !hasScope(strings.Join(out, " "), s):
			out = append(out, s)
		}
	}
	return strings.Join(out, " "), nil
}

// Reasons a grant is revoked, recorded with it.
const (
	RevokedCodeReplay   = "code_replay"
	RevokedRefreshReuse = "refresh_reuse"
	RevokedByClient     = "revocation"
	RevokedLogout       = "logout"
	RevokedConsent      = "consent_revoked"
	RevokedByAdmin      = "admin"
	RevokedClientGone   = "client_deleted"
	// RevokedRecovery: the person recovered their account, which ends
	// every grant the old credentials may have handed out.
	RevokedRecovery = "account_recovered"
)

// RevokeGrants revokes, in the caller's transaction, every live grant of
// a user in a tenant — only those of clientID when it is not "" — with all
// their refresh tokens and access tokens (which then fail introspection
// and userinfo). reason is one of the Revoked… values. It reports how
// many grants it revoked.
func (p *Provider) RevokeGrants(ctx context.Context, tx store.Tx, tenantID, userID, clientID, reason string) (int64, error) {
	q := `UPDATE oidc_grants SET revoked_at = ?, revoke_reason = ? WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL`
	args := []any{p.now(), reason, tenantID, userID}
	if clientID != "" {
		q += ` AND client_id = ?`
		args = append(args, clientID)
	}
	n, err := tx.Exec(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("oidc: revoke grants: %w", err)
	}
	return n, nil
}

// RevokeClientGrants revokes, in the caller's transaction, every live
// grant of a client (an app being deleted): its refresh tokens stop
// working and its access tokens fail introspection and userinfo at once.
// It reports how many grants it revoked.
func (p *Provider) RevokeClientGrants(ctx context.Context, tx store.Tx, tenantID, clientID string) (int64, error) {
	n, err := tx.Exec(ctx, `UPDATE oidc_grants SET revoked_at = ?, revoke_reason = ? WHERE tenant_id = ? AND client_id = ? AND revoked_at IS NULL`,
		p.now(), RevokedClientGone, tenantID, clientID)
	if err != nil {
		return 0, fmt.Errorf("oidc: revoke client grants: %w", err)
	}
	return n, nil
}

// EndSession revokes, in the caller's transaction, the grants made during
// an SSO session that ends (logout), except offline ones (scope
// offline_access), which outlive the session by design (OIDC Core §11).
func (p *Provider) EndSession(ctx context.Context, tx store.Tx, tenantID, sessionID string) (int64, error) {
	if sessionID == "" {
		return 0, nil
	}
	rows, err := tx.Query(ctx, `SELECT id, scope FROM oidc_grants WHERE tenant_id = ? AND session_id = ? AND revoked_at IS NULL`, tenantID, sessionID)
	if err != nil {
		return 0, fmt.Errorf("oidc: end session: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id, scope string
		if err := rows.Scan(&id, &scope); err != nil {
			rows.Close()
			return 0, err
		}
		if !hasScope(scope, ScopeOfflineAccess) {
			ids = append(ids, id)
		}
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	var n int64
	for _, id := range ids {
		if err := p.revokeGrant(ctx, tx, id, RevokedLogout); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// revokeGrant revokes one grant by ID.
func (p *Provider) revokeGrant(ctx context.Context, tx store.Tx, id, reason string) error {
	_, err := tx.Exec(ctx, `UPDATE oidc_grants SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL`,
		p.now(), reason, id)
	if err != nil {
		return fmt.Errorf("oidc: revoke grant: %w", err)
	}
	return nil
}

// tokenRetention is how long expired token records stay, so that a late
// replay is still recognised (and logged) as one.
const tokenRetention = 24 * time.Hour

// PurgeTokens deletes expired refresh tokens, grants whose refresh tokens
// can no longer be used (and whose access tokens have expired), revoked
// access tokens past their expiry, and assertion jtis past theirs. It
// reports how many rows went. A scheduled job calls it; it is idempotent.
func (p *Provider) PurgeTokens(ctx context.Context) (int64, error) {
	var total int64
	err := p.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		total = 0
		now := p.now()
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`DELETE FROM oidc_refresh_tokens WHERE expires_at < ?`, []any{now.Add(-tokenRetention)}},
			{`DELETE FROM oidc_grants WHERE expires_at < ? OR (revoked_at IS NOT NULL AND revoked_at < ?)`,
				[]any{now.Add(-tokenRetention), now.Add(-tokenRetention - AccessTokenLifetime)}},
			{`DELETE FROM oidc_revoked_tokens WHERE expires_at < ?`, []any{now}},
			{`DELETE FROM oidc_assertion_jtis WHERE expires_at < ?`, []any{now}},
		} {
			n, err := tx.Exec(ctx, q.sql, q.args...)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("oidc: purge tokens: %w", err)
	}
	return total, nil
}
