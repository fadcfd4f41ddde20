package oidc

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// ConsentVersion is the version of what a person consents to: the
// descriptions of the scopes shown on the consent step. Raise it when
// their meaning changes (a scope starts to release more). A consent
// recorded under an older version no longer counts: ConsentNeeded asks
// again, and RecordConsent then replaces the old scopes instead of adding
// to them.
const ConsentVersion = 1

// Consent is what a person agreed to share with a third-party app (an
// app with ConsentRequired), one per tenant, user and client.
type Consent struct {
	TenantID, UserID, ClientID string
	// Scopes are the scope values consented to, in the order first given.
	Scopes []string
	// Version is the ConsentVersion the person consented under.
	Version int
	// GrantedAt is when the person first consented (since the last
	// revocation or change of version); UpdatedAt when the record last
	// changed.
	GrantedAt, UpdatedAt time.Time
	// RevokedAt is when the consent was revoked; nil while it is live.
	RevokedAt *time.Time
}

// consentScopes keeps the values of scope that the server marks as
// needing consent.
func (p *Provider) consentScopes(ctx context.Context, tx store.Tx, iss Issuer, scope string) (string, error) {
	srv, err := p.authz.ServerByName(ctx, tx, iss.TenantID, iss.Server)
	if err != nil {
		return "", fmt.Errorf("oidc: consent: %w", err)
	}
	list, err := p.authz.Scopes(ctx, tx, iss.TenantID, srv.ID)
	if err != nil {
		return "", fmt.Errorf("oidc: consent: %w", err)
	}
	var out []string
	for _, s := range strings.Fields(scope) {
		i := slices.IndexFunc(list, func(sc authserver.Scope) bool { return sc.Name == s })
		if i < 0 || list[i].Consent {
			out = append(out, s) // an unknown scope is refused elsewhere; ask rather than not
		}
	}
	return strings.Join(out, " "), nil
}

// counts reports whether a consent still stands: live and of the current
// version.
func (c Consent) counts() bool { return c.RevokedAt == nil && c.Version == ConsentVersion }

// ConsentNeeded reports, inside the caller's transaction, whether userID
// must consent before app gets the scope values of scope (a space-separated
// scope string) from iss's server. It is false for first-party apps
// (ConsentRequired false) and for scopes the server does not mark for
// consent; for a third-party app it is true unless a live consent of the
// current ConsentVersion covers every value of scope that needs one. It
// never writes.
func (p *Provider) ConsentNeeded(ctx context.Context, tx store.Tx, iss Issuer, app tenant.App, userID, scope string) (bool, error) {
	if !app.ConsentRequired {
		return false, nil
	}
	scope, err := p.consentScopes(ctx, tx, iss, scope)
	if err != nil || scope == "" {
		return false, err
	}
	tenantID := iss.TenantID
	c, err := consentOf(ctx, tx, tenantID, userID, app.ID)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("oidc: read consent: %w", err)
	}
	if !c.counts() {
		return true, nil
	}
	for _, s := range strings.Fields(scope) {
		if !slices.Contains(c.Scopes, s) {
			return true, nil
		}
	}
	return false, nil
}

// RecordConsent records, inside the caller's transaction, that userID
// consents to clientID getting the values of scope. The record's scopes
// become the union of those it already counted and scope's; a revoked
// record or one of an older ConsentVersion starts again from scope alone.
// The record is live afterwards and of the current version. An empty
// scope is refused with an internal error.
func (p *Provider) RecordConsent(ctx context.Context, tx store.Tx, tenantID, clientID, userID, scope string) error {
	add := strings.Fields(scope)
	if tenantID == "" || clientID == "" || userID == "" || len(add) == 0 {
		return errors.New("oidc: record consent: tenant, client, user and scope are required")
	}
	now := p.now()
	scopes, granted := []string{}, now
	c, err := consentOf(ctx, tx, tenantID, userID, clientID)
	switch {
	case err == nil && c.counts():
		scopes, granted = c.Scopes, c.GrantedAt
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("oidc: read consent: %w", err)
	}
	for _, s := range add {
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	list, err := json.Marshal(scopes)
	if err != nil {
		return fmt.Errorf("oidc: record consent: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO oidc_consents (tenant_id, user_id, client_id, scopes, version, granted_at, updated_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
		ON CONFLICT (tenant_id, user_id, client_id) DO UPDATE SET scopes = excluded.scopes, version = excluded.version,
			granted_at = excluded.granted_at, updated_at = excluded.updated_at, revoked_at = NULL`,
		tenantID, userID, clientID, string(list), ConsentVersion, granted, now)
	if err != nil {
		return fmt.Errorf("oidc: record consent: %w", err)
	}
	return nil
}

// Consents lists, inside the caller's transaction, the live (unrevoked)
// consents of a user in a tenant by client ID, older versions included
// (they show what was agreed to, though they no longer count). A user
// without any has an empty list.
func (p *Provider) Consents(ctx context.Context, tx store.Tx, tenantID, userID string) ([]Consent, error) {
	rows, err := tx.Query(ctx, `SELECT `+consentCols+` FROM oidc_consents
		WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL ORDER BY client_id`, tenantID, userID)
	if err != nil {
		return nil, fmt.Errorf("oidc: list consents: %w", err)
	}
	out := []Consent{}
	for rows.Next() {
		c, err := scanConsent(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("oidc: list consents: %w", err)
		}
		out = append(out, c)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("oidc: list consents: %w", err)
	}
	return out, nil
}

// RevokeConsent revokes, inside the caller's transaction, the live consent
// of userID to clientID, and with it every grant of that client for the
// user (RevokeGrants with RevokedConsent), so its refresh and access
// tokens stop working at once. It returns an error wrapping
// store.ErrNotFound when there is no live consent to revoke.
func (p *Provider) RevokeConsent(ctx context.Context, tx store.Tx, tenantID, userID, clientID string) error {
	now := p.now()
	n, err := tx.Exec(ctx, `UPDATE oidc_consents SET revoked_at = ?, updated_at = ?
		WHERE tenant_id = ? AND user_id = ? AND client_id = ? AND revoked_at IS NULL`, now, now, tenantID, userID, clientID)
	if err != nil {
		return fmt.Errorf("oidc: revoke consent: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("%w: consent of %q to %q", store.ErrNotFound, userID, clientID)
	}
	if _, err := p.RevokeGrants(ctx, tx, tenantID, userID, clientID, RevokedConsent); err != nil {
		return err
	}
	return nil
}

const consentCols = `tenant_id, user_id, client_id, scopes, version, granted_at, updated_at, revoked_at`

// scanConsent reads a consent from a *store.Row or *store.Rows.
func scanConsent(r interface{ Scan(dest ...any) error }) (Consent, error) {
	var c Consent
	var scopes []byte
	var revoked sql.NullTime
	if err := r.Scan(&c.TenantID, &c.UserID, &c.ClientID, &scopes, &c.Version, &c.GrantedAt, &c.UpdatedAt, &revoked); err != nil {
		return Consent{}, err
	}
	if revoked.Valid {
		c.RevokedAt = &revoked.Time
	}
	c.Scopes = []string{}
	if err := json.Unmarshal(scopes, &c.Scopes); err != nil {
		return Consent{}, fmt.Errorf("oidc: stored consent scopes: %w", err)
	}
	return c, nil
}

// consentOf reads one consent record, revoked or not; store.ErrNotFound
// when there is none.
func consentOf(ctx context.Context, tx store.Tx, tenantID, userID, clientID string) (Consent, error) {
	return scanConsent(tx.QueryRow(ctx, `SELECT `+consentCols+` FROM oidc_consents
		WHERE tenant_id = ? AND user_id = ? AND client_id = ?`, tenantID, userID, clientID))
}
