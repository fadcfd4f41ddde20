package authserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/lintel-id/lintel/server/store"
)

// ErrClaimEvaluation wraps a claim expression that failed at issuance (a
// runtime error such as a missing key, the cost limit, a value JSON
// cannot hold); the token request fails rather than leave the claim out
// silently. Expressions test for optional attributes with has() and
// yield null to leave a claim out.
var ErrClaimEvaluation = errors.New("authserver: claim expression failed")

// TokenClaims evaluates the custom claims of req.Server for a granted
// decision: every active claim whose Scopes are empty or share a scope
// with d.Scopes, into the access token's claims or the ID token's. A
// claim whose value is null is left out. When no person is involved
// (client credentials) there is no ID token, and access-token claims that
// read user or groups are left out.
//
// A value whose JSON exceeds its claim's MaxBytes is an error wrapping
// ErrClaimTooLarge; an expression that fails wraps ErrClaimEvaluation;
// both name the claim. The maps hold only custom claims: the token layer
// adds the registered ones and then calls CheckTokenSize on the whole.
// Evaluation honours ctx.
func (s *Service) TokenClaims(ctx context.Context, tx store.Tx, req Request, d Decision) (access, id map[string]any, err error) {
	if !d.Granted {
		return nil, nil, errors.New("authserver: token claims of a refused request")
	}
	sn, err := s.snapshotOf(ctx, tx, req.Server.TenantID, req.Server.ID)
	// A server that is not there has no claims.
	var claims []snapClaim
	switch {
	case err == nil:
		claims = sn.claims
	case !errors.Is(err, store.ErrNotFound):
		return nil, nil, err
	}
	machine := requestKind(req) == KindMachine
	ip := ""
	if req.IP.IsValid() {
		ip = req.IP.String()
	}
	granted := append([]string{}, d.Scopes...)
	vars := claimVars{
		User: req.User, App: req.App, Groups: req.GroupNames,
		Request: map[string]any{"grant_type": req.GrantType, "scopes": granted, "ip": ip},
	}
	access, id = map[string]any{}, map[string]any{}
	for _, c := range claims {
		if !c.Active || machine && c.Target == TargetID || !grantedWith(c.Claim, d.Scopes) {
			continue
		}
		compiled := c.compiled
		if c.err != nil {
			return nil, nil, fmt.Errorf("%w: claim %q: stored expression: %w", ErrClaimEvaluation, c.Name, c.err)
		}
		if machine && compiled.readsPerson() {
			continue
		}
		v, err := compiled.eval(ctx, vars)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, nil, ctxErr
			}
			return nil, nil, fmt.Errorf("%w: claim %q: %w", ErrClaimEvaluation, c.Name, err)
		}
		if v == nil {
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: claim %q: %w", ErrClaimEvaluation, c.Name, err)
		}
		if len(b) > c.MaxBytes {
			return nil, nil, fmt.Errorf("%w: claim %q: %d bytes, max_bytes %d", ErrClaimTooLarge, c.Name, len(b), c.MaxBytes)
		}
		if c.Target == TargetID {
			id[c.Name] = v
		} else {
			access[c.Name] = v
		}
	}
	return access, id, nil
}

// grantedWith reports whether a claim's scope condition holds.
func grantedWith(c Claim, granted []string) bool {
	return len(c.Scopes) == 0 || slices.ContainsFunc(c.Scopes, func(n string) bool { return slices.Contains(granted, n) })
}
