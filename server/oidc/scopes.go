package oidc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/server/store"
)

// Scopes of the default authorization server.
const (
	ScopeOpenID  = "openid"
	ScopeProfile = "profile"
	ScopeEmail   = "email"
	// ScopeOfflineAccess asks for a refresh token that outlives the SSO
	// session (OIDC Core §11).
	ScopeOfflineAccess = "offline_access"
)

// supportedScopes are the scopes the default server grants, in the order
// discovery lists them.
var supportedScopes = []string{ScopeOpenID, ScopeProfile, ScopeEmail, ScopeOfflineAccess}

// claimsSupported are the claims ID tokens and userinfo may carry.
var claimsSupported = []string{
	"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "at_hash", "sid",
	"name", "locale", "updated_at", "email", "email_verified",
}

// parseScope checks a scope parameter (RFC 6749 §3.3) and returns its
// normal form: tokens in request order, duplicates dropped, one space
// between them. It refuses scopes the server does not know with
// invalid_scope and a scope without openid (this is an OpenID provider).
func parseScope(raw string) (string, *Error) {
	if raw == "" {
		return "", ptr(ErrInvalidScope.WithDescription("scope is required and must include openid"))
	}
	var out []string
	for _, s := range strings.Split(raw, " ") {
		switch {
		case s == "":
			return "", ptr(ErrInvalidScope.WithDescription("scope values are separated by single spaces"))
		case !slices.Contains(supportedScopes, s):
			return "", ptr(ErrInvalidScope.WithDescription("unsupported scope value"))
		case !slices.Contains(out, s):
			out = append(out, s)
		}
	}
	if !slices.Contains(out, ScopeOpenID) {
		return "", ptr(ErrInvalidScope.WithDescription("scope must include openid"))
	}
	return strings.Join(out, " "), nil
}

// hasScope reports whether a normalised scope string holds s.
func hasScope(scope, s string) bool {
	return slices.Contains(strings.Fields(scope), s)
}

func ptr[T any](v T) *T { return &v }

// userClaims are the claims about the user released by scope, as they
// appear in ID tokens and userinfo responses.
type userClaims struct {
	Name          string `json:"name,omitempty"`
	Locale        string `json:"locale,omitempty"`
	UpdatedAt     int64  `json:"updated_at,omitempty"`
	Email         string `json:"email,omitempty"`
	EmailVerified *bool  `json:"email_verified,omitempty"`
}

// released returns the claims of c that scope grants: profile gives name,
// locale and updated_at; email gives email and email_verified.
func released(c Claims, scope string) userClaims {
	var u userClaims
	if hasScope(scope, ScopeProfile) {
		u.Name, u.Locale = c.Name, c.Locale
		if !c.UpdatedAt.IsZero() {
			u.UpdatedAt = c.UpdatedAt.Unix()
		}
	}
	if hasScope(scope, ScopeEmail) && c.Email != "" {
		u.Email, u.EmailVerified = c.Email, ptr(c.EmailVerified)
	}
	return u
}

// errUserGone means the user of a code or token no longer exists or may
// not sign in.
var errUserGone = errors.New("oidc: user not found")

// claims loads a user's claims and checks that they are that user's.
func (p *Provider) claims(ctx context.Context, tx store.Tx, tenantID, userID string) (Claims, error) {
	c, err := p.users.UserClaims(ctx, tx, tenantID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return Claims{}, fmt.Errorf("%w: %w", errUserGone, err)
	}
	if err != nil {
		return Claims{}, fmt.Errorf("oidc: user claims: %w", err)
	}
	if c.Subject == "" {
		c.Subject = userID
	}
	if c.Subject != userID {
		return Claims{}, fmt.Errorf("oidc: user claims of %q carry another subject", userID)
	}
	return c, nil
}
