package oidc

import (
	"context"
	"errors"
	"net/netip"
	"slices"

	"github.com/lintel-id/lintel/internal/clientip"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// PreviewInput is a token request to preview: who asks, for what, from
// where.
type PreviewInput struct {
	ClientID  string
	GrantType string
	// Scopes asked for; empty asks for the server's defaults.
	Scopes []string
	// UserID is the person ("" for client credentials).
	UserID string
	// IP is where the request comes from, for network zones; the zero
	// Addr is in no zone.
	IP netip.Addr
}

// PreviewResult is what a token request would get.
type PreviewResult struct {
	// Decision is the policy decision with its trace: the rule that
	// matched and why each earlier rule did not.
	Decision authserver.Decision
	// Error is the protocol error the request would get ("" when
	// granted), and ErrorDescription its description.
	Error, ErrorDescription string
	// Access and ID are the claims the tokens would carry (ID is nil
	// without an ID token). jti, iat and exp are the preview's own;
	// at_hash is left out (it hashes the signed access token), and so is
	// what the sign-in itself decides: auth_time is the preview's time,
	// acr, amr, sid and nonce are absent.
	Access, ID map[string]any
}

// Preview tells what a token request to the tenant's server, whose
// issuer URL is issuerURL, would get, without issuing anything: the same
// checks, policy decision and claim evaluation as the token endpoint. It
// runs its own read transaction.
func (p *Provider) Preview(ctx context.Context, tenantID, server, issuerURL string, in PreviewInput) (PreviewResult, error) {
	return p.preview(ctx, tenantID, server, issuerURL, in)
}

// preview runs a token request's checks and policy without issuing.
func (p *Provider) preview(ctx context.Context, tenantID, server, issuerURL string, in PreviewInput) (PreviewResult, error) {
	srv, err := p.server(ctx, tenantID, server)
	if err != nil {
		return PreviewResult{}, err
	}
	iss := Issuer{TenantID: tenantID, Server: server, URL: issuerURL, Audiences: srv.Audiences}
	ctx = clientip.With(ctx, in.IP)
	var out PreviewResult
	refuse := func(e Error) error {
		out.Error, out.ErrorDescription = e.Code, e.Description
		return nil
	}
	err = p.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		out = PreviewResult{}
		app, err := p.tenants.App(ctx, tx, tenantID, in.ClientID)
		if errors.Is(err, store.ErrNotFound) {
			return refuse(ErrInvalidClient.WithDescription("unknown client"))
		}
		if err != nil {
			return err
		}
		if !slices.Contains(app.GrantTypes, in.GrantType) {
			return refuse(ErrUnauthorizedClient.WithDescription("the client may not use the " + in.GrantType + " grant"))
		}
		var user *Claims
		m := minted{subject: app.ID}
		if in.GrantType != tenant.GrantClientCredentials {
			if in.UserID == "" {
				return refuse(ErrInvalidRequest.WithDescription("a user is needed for this grant"))
			}
			c, err := p.claims(ctx, tx, tenantID, in.UserID)
			if errors.Is(err, errUserGone) {
				return refuse(ErrInvalidGrant.WithDescription("the user may no longer sign in"))
			}
			if err != nil {
				return err
			}
			user = &c
			m = minted{subject: c.Subject, authTime: p.now(), user: &c}
		}
		dc, e, err := p.decide(ctx, tx, iss, app, in.GrantType, in.Scopes, user)
		out.Decision = dc.d
		if err != nil {
			return err
		}
		if e != nil {
			return refuse(*e)
		}
		if m, err = p.tokens(ctx, tx, dc, m); err != nil {
			return err
		}
		cs, err := p.claimSet(iss, app, m, p.now(), "preview")
		if err != nil {
			return err
		}
		if err := m.checkSize(cs); err != nil {
			return err
		}
		out.Access, out.ID = cs.access, cs.id
		return nil
	})
	if errors.Is(err, authserver.ErrClaimTooLarge) || errors.Is(err, authserver.ErrTokenTooLarge) || errors.Is(err, authserver.ErrClaimEvaluation) {
		// The token endpoint would fail: say why instead of an internal error.
		out.Error, out.ErrorDescription = ErrServerError.Code, err.Error()
		return out, nil
	}
	return out, err
}
