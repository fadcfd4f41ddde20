package oidc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/server/oidc/authserver"
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

// claimsSupported are the claims ID tokens and userinfo may carry.
var claimsSupported = []string{
	"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "at_hash", "sid",
	"name", "given_name", "family_name", "locale", "updated_at", "email", "email_verified",
}

// serverScopes lets a request's scopes be checked against the scopes of
// its authorization server.
type serverScopes struct {
	byName map[string]authserver.Scope
	// requireOpenID: the default server is an OpenID provider first, so
	// its authorization requests must ask for openid.
	requireOpenID bool
	clientID      string
}

// scopesFor loads the scopes of iss's server for a request of clientID.
// It runs its own read transaction.
func (p *Provider) scopesFor(ctx context.Context, iss Issuer, clientID string) (serverScopes, error) {
	srv, err := p.server(ctx, iss.TenantID, iss.Server)
	if err != nil {
		return serverScopes{}, err
	}
	var list []authserver.Scope
	err = p.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		list, err = p.authz.Scopes(ctx, tx, iss.TenantID, srv.ID)
		return err
	})
	if err != nil {
		return serverScopes{}, err
	}
	ss := serverScopes{byName: map[string]authserver.Scope{}, requireOpenID: iss.Server == DefaultServer, clientID: clientID}
	for _, sc := range list {
		ss.byName[sc.Name] = sc
	}
	return ss, nil
}

// parseScope checks the scope parameter of an authorization request (RFC
// 6749 §3.3) and returns its normal form: tokens in request order,
// duplicates dropped, one space between them. Every value must be a
// delegated scope of the server the client may get; the default server
// also requires openid. Refusals are invalid_scope.
func (ss serverScopes) parseScope(raw string) (string, *Error) {
	if raw == "" {
		if ss.requireOpenID {
			return "", ptr(ErrInvalidScope.WithDescription("scope is required and must include openid"))
		}
		return "", ptr(ErrInvalidScope.WithDescription("scope is required"))
	}
	var out []string
	for _, s := range strings.Split(raw, " ") {
		sc, known := ss.byName[s]
		switch {
		case s == "":
			return "", ptr(ErrInvalidScope.WithDescription("scope values are separated by single spaces"))
		case !known:
			return "", ptr(ErrInvalidScope.WithDescription("unsupported scope value"))
		case !slices.Contains(sc.Kinds, authserver.KindDelegated):
			return "", ptr(ErrInvalidScope.WithDescription("a scope for clients acting for themselves cannot be granted by a person"))
		case len(sc.Clients) > 0 && !slices.Contains(sc.Clients, ss.clientID):
			return "", ptr(ErrInvalidScope.WithDescription("the client may not request this scope"))
		case !slices.Contains(out, s):
			out = append(out, s)
		}
	}
	if ss.requireOpenID && !slices.Contains(out, ScopeOpenID) {
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
	GivenName     string `json:"given_name,omitempty"`
	FamilyName    string `json:"family_name,omitempty"`
	Locale        string `json:"locale,omitempty"`
	UpdatedAt     int64  `json:"updated_at,omitempty"`
	Email         string `json:"email,omitempty"`
	EmailVerified *bool  `json:"email_verified,omitempty"`
}

// released returns the claims of c that scope grants: profile gives name,
// given_name, family_name, locale and updated_at; email gives email and
// email_verified.
func released(c Claims, scope string) userClaims {
	var u userClaims
	if hasScope(scope, ScopeProfile) {
		u.Name, u.GivenName, u.FamilyName, u.Locale = c.Name, c.GivenName, c.FamilyName, c.Locale
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
