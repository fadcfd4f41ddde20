package mgmt

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// Principal is the authenticated, authorized caller of one request.
type Principal struct {
	// Token is the caller's management token.
	Token Token
	// Instance is true for an instance admin (system tenant token).
	Instance bool
	// Target is the tenant the request acts on (the system tenant for
	// instance routes).
	Target tenant.Tenant
	// Client is the service app of an OAuth access token ("" for a
	// management token). Such a caller acts on its own tenant only.
	Client string
}

type principalKey struct{}

// principal returns the caller; the middleware guarantees one on every
// registered route.
func principal(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// authenticate runs before the body is read: a caller without a valid
// token gets 401, one without the scope or the tenant gets 403, and the
// handler only ever sees authorized requests.
func (a *API) authenticate(ctx huma.Context, next func(huma.Context)) {
	r, ok := ctx.Operation().Metadata[routeKey].(Route)
	if !ok {
		next(ctx) // the OpenAPI documents are public
		return
	}
	c := ctx.Context()
	raw, found := strings.CutPrefix(ctx.Header("Authorization"), "Bearer ")
	if !found || raw == "" {
		a.unauthorized(ctx, "a management token is required: Authorization: Bearer lmgt_…")
		return
	}
	p, err := a.authenticateToken(c, strings.TrimSpace(raw))
	if errors.Is(err, ErrTokenInvalid) {
		a.unauthorized(ctx, "the token is unknown, expired or revoked")
		return
	}
	if err != nil {
		a.internal(ctx, c, err)
		return
	}
	allowed, reason, err := a.authorize(c, r, ctx.Param("tenant"), p)
	if err != nil {
		a.internal(ctx, c, err)
		return
	}
	if !allowed {
		a.recordDenied(c, r, p, reason)
		_ = huma.WriteErr(a.api, ctx, http.StatusForbidden, reason)
		return
	}
	if p.Target.ID == "" {
		_ = huma.WriteErr(a.api, ctx, http.StatusNotFound, "no such tenant")
		return
	}
	next(huma.WithValue(ctx, principalKey{}, p))
}

// authorize decides by scope and tenant, filling p.Target and p.Instance.
// Everything it needs is read in one read-only transaction.
func (a *API) authorize(ctx context.Context, r Route, tenantParam string, p *Principal) (bool, string, error) {
	var system, own, target tenant.Tenant
	var ownGone, targetGone, administers bool
	err := a.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if system, err = a.Tenants.Tenant(ctx, tx, tenant.SystemSlug); err == nil {
			own, err = a.Tenants.Tenant(ctx, tx, p.Token.TenantID)
		}
		if errors.Is(err, store.ErrNotFound) {
			ownGone = true
			return nil
		}
		if err != nil || r.Target != TargetTenant {
			return err
		}
		target, err = a.Tenants.Tenant(ctx, tx, tenantParam)
		if errors.Is(err, store.ErrNotFound) {
			targetGone = true
			return nil
		}
		if err != nil {
			return err
		}
		instance := own.ID == system.ID && p.Token.Role == RoleInstanceAdmin
		if instance || target.ID == own.ID || r.Direct {
			return nil
		}
		administers, err = a.Tenants.Administers(ctx, tx, own.ID, target.ID)
		return err
	})
	if err != nil {
		return false, "", err
	}
	if ownGone {
		return false, "the token's tenant no longer exists", nil
	}
	p.Instance = own.ID == system.ID && p.Token.Role == RoleInstanceAdmin
	if !p.Token.Has(r.Scope) {
		return false, "the token lacks scope " + string(r.Scope), nil
	}
	if r.Target == TargetInstance {
		p.Target = system
		if !p.Instance {
			return false, "this operation is for instance admins", nil
		}
		return true, "", nil
	}
	if targetGone {
		// Only instance admins learn that a tenant does not exist; for
		// others an unknown tenant looks like any tenant they may not touch.
		if p.Instance {
			return true, "", nil // the handler answers 404
		}
		return false, "the token may not act on this tenant", nil
	}
	p.Target = target
	switch {
	case p.Instance, target.ID == own.ID:
		return true, "", nil
	case p.Client != "":
		return false, "an OAuth client acts on its own tenant only", nil
	case r.Direct:
		return false, "only the tenant's own admins or instance admins may do this", nil
	case administers:
		return true, "", nil
	}
	return false, "the token may not act on this tenant", nil
}

func (a *API) unauthorized(ctx huma.Context, msg string) {
	ctx.SetHeader("WWW-Authenticate", `Bearer realm="lintel-mgmt"`)
	_ = huma.WriteErr(a.api, ctx, http.StatusUnauthorized, msg)
}

func (a *API) internal(ctx huma.Context, c context.Context, err error) {
	a.Logger.ErrorContext(c, "mgmt: internal error", "err", err, "request_id", requestid.From(c))
	_ = huma.WriteErr(a.api, ctx, http.StatusInternalServerError, "internal error; the request ID is in the X-Request-Id header")
}

// recordDenied logs a refused attempt in the system log of the token's
// own tenant (the target may not be the caller's to see).
func (a *API) recordDenied(ctx context.Context, r Route, p *Principal, reason string) {
	err := a.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := a.Events.Append(ctx, tx, events.Event{
			Type:      "mgmt.access.denied",
			TenantID:  p.Token.TenantID,
			Actor:     p.Actor(),
			Target:    events.Ref{Type: "operation", ID: r.ID},
			Outcome:   events.Denied,
			RequestID: requestid.From(ctx),
			Details:   map[string]any{"scope": string(r.Scope), "reason": reason},
		})
		return err
	})
	if err != nil {
		a.Logger.ErrorContext(ctx, "mgmt: record denied access", "err", err)
	}
}
