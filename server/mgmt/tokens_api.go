package mgmt

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// TokenView describes a management token, never its value.
type TokenView struct {
	ID         string     `json:"id"`
	TenantID   string     `json:"tenant_id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	Scopes     []string   `json:"scopes"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

func tokenView(t Token) TokenView {
	scopes := make([]string, len(t.Scopes))
	for i, s := range t.Scopes {
		scopes[i] = string(s)
	}
	return TokenView{ID: t.ID, TenantID: t.TenantID, Name: t.Name, Role: string(t.Role), Scopes: scopes, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
}

// TokenPath names a management token of a tenant.
type TokenPath struct {
	TenantPath
	Token string `path:"token" maxLength:"64"`
}

func (a *API) registerTokens() {
	const tag = "Management tokens"
	base := Prefix + "/tenants/{tenant}/tokens"
	register(a, Route{ID: "list-tokens", Method: http.MethodGet, Path: base, Scope: ScopeTokensRead}, tag, "List management tokens",
		func(ctx context.Context, in *struct {
			TenantPath
			Page
		}) (*Out[List[TokenView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]Token, string, error) {
				return a.Tokens.List(ctx, tx, principal(ctx).Target.ID, in.After, in.limit())
			}, tokenView)
		})
	// Direct: a token made in a child by a parent's admin would carry the
	// child's own delegations, which the parent may not hold.
	register(a, Route{ID: "create-token", Method: http.MethodPost, Path: base, Scope: ScopeTokensWrite, Direct: true, Status: http.StatusCreated}, tag, "Create a management token; its value is in the answer, once",
		func(ctx context.Context, in *struct {
			TenantPath
			Body struct {
				Name      string   `json:"name" minLength:"1" maxLength:"100"`
				Role      string   `json:"role" enum:"instance-admin,tenant-admin,help-desk,read-only"`
				Scopes    []string `json:"scopes,omitempty" maxItems:"32" doc:"Narrow the role's scopes; empty means all of them"`
				ExpiresIn int      `json:"expires_in,omitempty" minimum:"60" maximum:"31622400" doc:"Lifetime in seconds; default 30 days"`
			}
		}) (*struct {
			Body struct {
				TokenView
				Token string `json:"token" doc:"Shown once. Store it now."`
			}
		}, error) {
			p := principal(ctx)
			b := in.Body
			role := Role(b.Role)
			scopes := make([]Scope, len(b.Scopes))
			for i, s := range b.Scopes {
				scopes[i] = Scope(s)
			}
			if err := a.checkNoEscalation(p, role, scopes); err != nil {
				return nil, a.problem(ctx, err)
			}
			out := &struct {
				Body struct {
					TokenView
					Token string `json:"token" doc:"Shown once. Store it now."`
				}
			}{}
			err := a.change(ctx, "mgmt_token.created", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				tok, secret, err := a.Tokens.Create(ctx, tx, TokenInput{
					TenantID: p.Target.ID, Name: b.Name, Role: role, Scopes: scopes,
					TTL: time.Duration(b.ExpiresIn) * time.Second, CreatedBy: p.creator(),
				}, p.Target.System)
				if err != nil {
					return err
				}
				ev.Target = events.Ref{Type: "mgmt_token", ID: tok.ID}
				ev.Details = map[string]any{"role": string(tok.Role)}
				out.Body.TokenView, out.Body.Token = tokenView(tok), secret
				return nil
			})
			return out, err
		})
	register(a, Route{ID: "get-token", Method: http.MethodGet, Path: base + "/{token}", Scope: ScopeTokensRead}, tag, "Get a management token's details",
		func(ctx context.Context, in *TokenPath) (*Out[TokenView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (Token, error) {
				return a.Tokens.Get(ctx, tx, principal(ctx).Target.ID, in.Token)
			}, tokenView)
		})
	register(a, Route{ID: "revoke-token", Method: http.MethodDelete, Path: base + "/{token}", Scope: ScopeTokensWrite, Status: http.StatusNoContent}, tag, "Revoke a management token at once",
		func(ctx context.Context, in *TokenPath) (*struct{}, error) {
			return deleted(a, ctx, "mgmt_token.revoked", events.Ref{Type: "mgmt_token", ID: in.Token}, func(ctx context.Context, tx store.Tx) error {
				_, err := a.Tokens.Revoke(ctx, tx, principal(ctx).Target.ID, in.Token)
				return err
			})
		})
}

// checkNoEscalation keeps a caller from minting a token stronger than its
// own: a role no higher, scopes it holds itself.
func (a *API) checkNoEscalation(p *Principal, role Role, scopes []Scope) error {
	if role.Valid() && role.rank() > p.Token.Role.rank() {
		return invalid.Field("role", "may not exceed the caller's role %s", p.Token.Role)
	}
	if len(scopes) == 0 {
		scopes = role.Scopes()
	}
	for _, s := range scopes {
		if !slices.Contains(p.Token.Scopes, s) {
			return invalid.Field("scopes", "the caller does not hold %s", s)
		}
	}
	return nil
}
