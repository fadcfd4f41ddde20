package mgmt

import (
	"context"
	"net/http"
	"net/netip"

	"github.com/danielgtaylor/huma/v2"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/oidc"
)

// Previewer tells what a token request to a tenant's authorization server
// (by name) would get, without issuing anything: the token endpoint's
// checks, policy decision and claims. The OpenID provider answers it. It
// runs its own transactions and is safe for concurrent use; an unknown
// server wraps store.ErrNotFound and refused input is *invalid.Error. A
// request the policies refuse is not an error: the result says so.
type Previewer interface {
	Preview(ctx context.Context, tenantID, server string, in oidc.PreviewInput) (oidc.PreviewResult, error)
}

// PreviewFunc adapts a function to a Previewer (for instance the
// provider's Preview with the issuer URL filled in).
type PreviewFunc func(ctx context.Context, tenantID, server string, in oidc.PreviewInput) (oidc.PreviewResult, error)

// Preview calls f.
func (f PreviewFunc) Preview(ctx context.Context, tenantID, server string, in oidc.PreviewInput) (oidc.PreviewResult, error) {
	return f(ctx, tenantID, server, in)
}

var _ Previewer = PreviewFunc(nil)

// previewBody is a token request to preview.
type previewBody struct {
	ClientID  string   `json:"client_id" minLength:"1" maxLength:"100" doc:"The app asking (its client_id)"`
	GrantType string   `json:"grant_type" minLength:"1" maxLength:"100" doc:"authorization_code, refresh_token, client_credentials, or a grant type URN"`
	Scopes    []string `json:"scopes,omitempty" maxItems:"100" doc:"Scopes asked for; empty asks for the server's defaults"`
	UserID    string   `json:"user_id,omitempty" maxLength:"64" doc:"The person the tokens are for; leave it out for client credentials. Needs users:read besides."`
	IP        string   `json:"ip,omitempty" maxLength:"64" doc:"The client's IPv4 or IPv6 address, for network zones; none is in no zone"`
}

// PreviewRef names the policy or rule that decided.
type PreviewRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// PreviewStep is one policy or rule the decision considered.
type PreviewStep struct {
	PolicyID   string `json:"policy_id"`
	PolicyName string `json:"policy_name"`
	RuleID     string `json:"rule_id" doc:"Empty for a step about the policy itself"`
	RuleName   string `json:"rule_name"`
	Matched    bool   `json:"matched"`
	Reason     string `json:"reason" doc:"Why it did or did not apply (English, for developers)"`
}

// PreviewView is what a token request would get.
type PreviewView struct {
	Granted          bool     `json:"granted"`
	Error            string   `json:"error" doc:"The OAuth error the request would get; empty when granted"`
	ErrorDescription string   `json:"error_description"`
	Scopes           []string `json:"scopes" doc:"Scopes granted, implied ones included"`
	// Policy and Rule are left out when no rule decided.
	Policy               *PreviewRef    `json:"policy,omitempty" doc:"The policy that decided; absent when none did"`
	Rule                 *PreviewRef    `json:"rule,omitempty" doc:"The rule that decided; absent when none did"`
	AccessTokenLifetime  int64          `json:"access_token_lifetime" doc:"Seconds"`
	RefreshTokenLifetime int64          `json:"refresh_token_lifetime" doc:"Seconds"`
	RefreshTokenIdle     int64          `json:"refresh_token_idle" doc:"Seconds"`
	Trace                []PreviewStep  `json:"trace" doc:"Every policy and rule considered, in order"`
	AccessTokenClaims    map[string]any `json:"access_token_claims" doc:"The access token's claims; jti, iat and exp are the preview's own"`
	IDTokenClaims        map[string]any `json:"id_token_claims,omitempty" doc:"The ID token's claims; absent without an ID token"`
}

func previewView(r oidc.PreviewResult) PreviewView {
	d := r.Decision
	v := PreviewView{Granted: d.Granted, Error: r.Error, ErrorDescription: r.ErrorDescription, Scopes: nonNil(d.Scopes),
		AccessTokenLifetime: secondsOf(d.AccessTokenLifetime), RefreshTokenLifetime: secondsOf(d.RefreshTokenLifetime),
		RefreshTokenIdle: secondsOf(d.RefreshTokenIdle), Trace: []PreviewStep{}, AccessTokenClaims: r.Access, IDTokenClaims: r.ID}
	if d.Policy != nil {
		v.Policy = &PreviewRef{ID: d.Policy.ID, Name: d.Policy.Name}
	}
	if d.Rule != nil {
		v.Rule = &PreviewRef{ID: d.Rule.ID, Name: d.Rule.Name}
	}
	for _, s := range d.Trace {
		v.Trace = append(v.Trace, PreviewStep{PolicyID: s.PolicyID, PolicyName: s.PolicyName, RuleID: s.RuleID,
			RuleName: s.RuleName, Matched: s.Matched, Reason: s.Reason})
	}
	if v.AccessTokenClaims == nil {
		v.AccessTokenClaims = map[string]any{}
	}
	return v
}

// registerPreview serves the token preview. The issue names it
// POST /api/v1/mgmt/authorization-servers/{id}/preview; like every other
// route here it is under its tenant, and names the server by name.
func (a *API) registerPreview() {
	if a.Preview == nil {
		return
	}
	r := Route{ID: "preview-token", Method: http.MethodPost, Path: Prefix + "/tenants/{tenant}/authorization-servers/{server}/preview", Scope: ScopeAuthServersRead}
	register(a, r, "Authorization servers",
		"Preview a token request: whether it would be granted, by which policy and rule (with why each earlier one did not apply), the scopes, lifetimes and claims; nothing is issued or written",
		func(ctx context.Context, in *struct {
			ServerPath
			Body previewBody
		}) (*Out[PreviewView], error) {
			b := in.Body
			p := principal(ctx)
			if b.UserID != "" && !p.Token.Has(ScopeUsersRead) {
				// The claims show the person's data.
				reason := "previewing a user's tokens needs scope " + string(ScopeUsersRead)
				a.recordDenied(ctx, Route{ID: r.ID, Scope: ScopeUsersRead}, p, reason)
				return nil, huma.Error403Forbidden(reason)
			}
			pin := oidc.PreviewInput{ClientID: b.ClientID, GrantType: b.GrantType, Scopes: b.Scopes, UserID: b.UserID}
			if b.IP != "" {
				ip, err := netip.ParseAddr(b.IP)
				if err != nil {
					return nil, a.problem(ctx, invalid.Field("ip", "must be an IPv4 or IPv6 address"))
				}
				pin.IP = ip
			}
			res, err := a.Preview.Preview(ctx, p.Target.ID, in.Server, pin)
			if err != nil {
				return nil, a.problem(ctx, err)
			}
			return &Out[PreviewView]{Body: previewView(res)}, nil
		})
}
