package mgmt

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/lintel-id/lintel/server/events"
)

// OAuthToken is a verified OAuth access token presented to the API.
type OAuthToken struct {
	// ID is the token's jti.
	ID string
	// ClientID is the service app the token was issued to.
	ClientID string
	// TenantID is the client's own tenant: the only one it may act on.
	TenantID string
	// Scopes are the management scopes the token carries (without the
	// "mgmt." prefix of their OAuth names).
	Scopes    []Scope
	ExpiresAt time.Time
}

// AccessTokenVerifier verifies OAuth access tokens issued by the system
// tenant's default authorization server to service apps (client
// credentials with private_key_jwt).
//
// VerifyManagementToken returns an error wrapping ErrTokenInvalid for a
// token that is malformed, wrongly signed, expired, revoked, of another
// issuer or without a tenant; other errors are internal. It must be safe
// for concurrent use.
type AccessTokenVerifier interface {
	VerifyManagementToken(ctx context.Context, raw string) (OAuthToken, error)
}

// authenticateToken turns the bearer credential into the caller's token:
// a management token (lmgt_…), or, when an AccessTokenVerifier is set, an
// OAuth access token, which acts like a tenant-admin token narrowed to
// its scopes and its client's own tenant.
func (a *API) authenticateToken(ctx context.Context, raw string) (*Principal, error) {
	if strings.HasPrefix(raw, TokenPrefix) || a.OAuth == nil {
		tok, err := a.Tokens.Authenticate(ctx, a.Store, raw)
		if err != nil {
			return nil, err
		}
		return &Principal{Token: tok}, nil
	}
	ot, err := a.OAuth.VerifyManagementToken(ctx, raw)
	if err != nil {
		return nil, err
	}
	if ot.TenantID == "" || ot.ClientID == "" {
		return nil, errors.Join(ErrTokenInvalid, errors.New("mgmt: OAuth token without client or tenant"))
	}
	scopes := []Scope{}
	for _, s := range ot.Scopes {
		if slices.Contains(AllScopes, s) {
			scopes = append(scopes, s)
		}
	}
	return &Principal{
		Token: Token{ID: ot.ID, TenantID: ot.TenantID, Name: ot.ClientID, Role: RoleTenantAdmin, Scopes: scopes,
			CreatedBy: ot.ClientID, ExpiresAt: ot.ExpiresAt},
		Client: ot.ClientID,
	}, nil
}

// Actor is the caller as the system log names it.
func (p *Principal) Actor() events.Ref {
	if p.Client != "" {
		return events.Ref{Type: "app", ID: p.Client}
	}
	return events.Ref{Type: "mgmt_token", ID: p.Token.ID}
}

// creator is what a token made by the caller records as its creator.
func (p *Principal) creator() string {
	if p.Client != "" {
		return "app:" + p.Client
	}
	return p.Token.ID
}
