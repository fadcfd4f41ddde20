package oidc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// ErrTokenInactive is wrapped by VerifyAccessToken when a token is not
// valid for the issuer: malformed, wrongly signed, expired, or revoked
// (itself or its grant). The reason is in the error text, for logs only.
var ErrTokenInactive = errors.New("oidc: access token is not active")

// AccessToken is a verified, live access token.
type AccessToken struct {
	// ID is the jti.
	ID string
	// Subject is the user, or the client itself for client credentials.
	Subject  string
	ClientID string
	// TenantID is the tenant the token acts for: the issuer's, or on the
	// system tenant's server the client's own (tid).
	TenantID string
	Scopes   []string
	// GrantID is the grant of a user's token, "" for client credentials.
	GrantID             string
	IssuedAt, ExpiresAt time.Time
}

// HasScope reports whether the token carries scope s.
func (t AccessToken) HasScope(s string) bool { return slices.Contains(t.Scopes, s) }

// VerifyAccessToken checks an access token issued by iss: signature by a
// published key, type at+jwt, issuer and audience, expiry, and that
// neither it nor its grant was revoked. Failures wrap ErrTokenInactive;
// other errors are internal. It runs its own read transaction.
func (p *Provider) VerifyAccessToken(ctx context.Context, iss Issuer, raw string) (AccessToken, error) {
	c, err := p.verifyAccess(ctx, iss, raw)
	if errors.Is(err, errBadToken) {
		return AccessToken{}, fmt.Errorf("%w: %w", ErrTokenInactive, err)
	}
	if err != nil {
		return AccessToken{}, err
	}
	var live bool
	err = p.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		live, err = p.accessLive(ctx, tx, iss, c)
		return err
	})
	if err != nil {
		return AccessToken{}, err
	}
	if !live {
		return AccessToken{}, fmt.Errorf("%w: revoked", ErrTokenInactive)
	}
	return accessToken(iss, c), nil
}

// accessToken turns verified claims into an AccessToken.
func accessToken(iss Issuer, c accessClaims) AccessToken {
	t := AccessToken{ID: c.ID, Subject: c.Subject, ClientID: c.ClientID, TenantID: iss.TenantID,
		Scopes: strings.Fields(c.Scope), GrantID: c.GrantID}
	if c.TenantID != "" {
		t.TenantID = c.TenantID
	}
	if c.IssuedAt != nil {
		t.IssuedAt = c.IssuedAt.Time
	}
	if c.ExpiresAt != nil {
		t.ExpiresAt = c.ExpiresAt.Time
	}
	return t
}

// accessLive reports whether a verified access token is still live: not
// revoked by jti, and its grant (if any) exists in the issuer's tenant
// and is not revoked.
func (p *Provider) accessLive(ctx context.Context, tx store.Tx, iss Issuer, c accessClaims) (bool, error) {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM oidc_revoked_tokens WHERE jti = ?`, c.ID).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if c.GrantID == "" {
		return true, nil
	}
	g, err := loadGrant(ctx, tx, c.GrantID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return g.tenantID == iss.TenantID && g.server == iss.Server && !g.revokedAt.Valid, nil
}

// revokeAccess records an access token as revoked until it expires.
func (p *Provider) revokeAccess(ctx context.Context, tx store.Tx, tenantID string, c accessClaims) error {
	exp := p.now().Add(AccessTokenLifetime)
	if c.ExpiresAt != nil {
		exp = c.ExpiresAt.Time.UTC().Truncate(time.Microsecond)
	}
	_, err := tx.Exec(ctx, `INSERT INTO oidc_revoked_tokens (jti, tenant_id, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (jti) DO NOTHING`, c.ID, tenantID, exp)
	if err != nil {
		return fmt.Errorf("oidc: revoke access token: %w", err)
	}
	return nil
}
