package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
)

// KeyManager lists and rotates the signing keys of authorization servers;
// the OpenID provider implements it. Both methods run their own
// transactions and return an error wrapping store.ErrNotFound for an
// unknown tenant or server.
type KeyManager interface {
	Keys(ctx context.Context, tenantID, server string) ([]oidc.KeyInfo, error)
	RotateNow(ctx context.Context, tenantID, server string, immediate bool) ([]oidc.KeyInfo, error)
}

// KeyView describes a signing key: never its private half.
type KeyView struct {
	ID          string     `json:"kid"`
	Alg         string     `json:"alg" enum:"RS256,ES256,EdDSA"`
	Status      string     `json:"status" enum:"next,current,retired,revoked"`
	CreatedAt   time.Time  `json:"created_at"`
	ActivatesAt time.Time  `json:"activates_at" doc:"When the key starts signing; it is published from created_at"`
	RetiresAt   *time.Time `json:"retires_at,omitempty" doc:"When its successor takes over"`
}

func keyViews(keys []oidc.KeyInfo) List[KeyView] {
	out := List[KeyView]{Items: []KeyView{}}
	for _, k := range keys {
		out.Items = append(out.Items, KeyView{ID: k.ID, Alg: k.Alg, Status: k.Status, CreatedAt: k.CreatedAt,
			ActivatesAt: k.ActivatesAt, RetiresAt: k.RetiresAt})
	}
	return out
}

// ServerPath names an authorization server of a tenant.
type ServerPath struct {
	TenantPath
	Server string `path:"server" maxLength:"64" doc:"Authorization server name (default)"`
}

func (a *API) registerKeys() {
	if a.Keys == nil {
		return
	}
	const tag = "Authorization servers"
	base := Prefix + "/tenants/{tenant}/authorization-servers/{server}/keys"
	register(a, Route{ID: "list-keys", Method: http.MethodGet, Path: base, Scope: ScopeAuthServersRead}, tag,
		"List an authorization server's signing keys: next, current, retired",
		func(ctx context.Context, in *ServerPath) (*Out[List[KeyView]], error) {
			keys, err := a.Keys.Keys(ctx, principal(ctx).Target.ID, in.Server)
			if err != nil {
				return nil, a.problem(ctx, err)
			}
			return &Out[List[KeyView]]{Body: keyViews(keys)}, nil
		})
	register(a, Route{ID: "rotate-keys", Method: http.MethodPost, Path: base + "/rotate", Scope: ScopeAuthServersWrite}, tag,
		"Rotate an authorization server's signing keys",
		func(ctx context.Context, in *struct {
			ServerPath
			Body struct {
				Immediate bool `json:"immediate,omitempty" doc:"Key compromise: the new keys sign at once and the current ones are withdrawn, so tokens they signed stop verifying. Otherwise the new keys are published now and sign after the lead time."`
			}
		}) (*Out[List[KeyView]], error) {
			p := principal(ctx)
			keys, err := a.Keys.RotateNow(ctx, p.Target.ID, in.Server, in.Body.Immediate)
			if err != nil {
				return nil, a.problem(ctx, err)
			}
			err = a.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := a.Events.Append(ctx, tx, events.Event{Type: "oauth2.keys.rotated", TenantID: p.Target.ID,
					Actor: p.Actor(), Target: events.Ref{Type: "authorization_server", ID: in.Server}, Outcome: events.Success,
					RequestID: requestid.From(ctx), Details: map[string]any{"immediate": in.Body.Immediate}})
				return err
			})
			if err != nil {
				return nil, a.problem(ctx, err)
			}
			return &Out[List[KeyView]]{Body: keyViews(keys)}, nil
		})
}
