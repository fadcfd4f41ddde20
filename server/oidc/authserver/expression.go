package authserver

import (
	"context"
	"errors"
	"slices"
	"strings"
)

// Expression is a CEL expression over a person and an app, for
// protocols other than OIDC (SAML attribute statements) that describe
// people with the same rules as custom claims. It is compiled and run by
// the very code that serves claims, so the variables, the type checks and
// the cost limits are the same. It is immutable and safe for concurrent
// use.
type Expression struct {
	c *compiledClaim
}

// ExpressionVars are the inputs of one evaluation, the variables of
// claim expressions: User (id, login, email, name, status and profile,
// the custom attributes), App (id, name, type and tags), Groups (the
// names of the person's groups) and Request (grant_type, scopes and ip).
// A nil map or list is seen as an empty one.
type ExpressionVars struct {
	User    map[string]any
	App     map[string]any
	Groups  []string
	Request map[string]any
}

// CompileExpression checks expr as a claim expression: it must compile
// over the variables of ExpressionVars, have a JSON-encodable type and a
// worst-case cost within ClaimCostLimit, in at most
// MaxClaimExpressionLen characters. Refusals are *invalid.Error naming
// "expression"; any other error is internal.
func CompileExpression(expr string) (*Expression, error) {
	c, err := compileClaim(expr)
	if err != nil {
		return nil, err
	}
	return &Expression{c: c}, nil
}

// Eval runs the expression with v and returns its value as plain Go:
// string, int64, uint64, float64, bool, nil (the expression yielded null),
// []any or map[string]any of those. A runtime error (a missing key, the
// ClaimRuntimeCostLimit reached, a value JSON cannot hold) is an error, as
// is a done ctx; it never panics.
func (x *Expression) Eval(ctx context.Context, v ExpressionVars) (any, error) {
	if x == nil || x.c == nil {
		return nil, errors.New("authserver: evaluation of an expression that was not compiled")
	}
	return x.c.eval(ctx, v)
}

// EditableReads returns what the expression reads that people may edit
// themselves, given the tenant's editable custom attributes: editable
// user.profile attributes, user.profile or user as a whole, and the
// fields of user named in also (for claims: email and name, see
// editableUserFields). DESIGN: what people edit never feeds what grants
// access unless an admin overrides it, so callers refuse a non-empty
// result without an explicit override.
func (x *Expression) EditableReads(editable map[string]bool, also ...string) []string {
	if x == nil || x.c == nil {
		return nil
	}
	var out []string
	for _, r := range x.c.reads {
		switch {
		case r == readsUser || r == readsProfile && len(editable) > 0 && anyTrue(editable) || slices.Contains(also, r):
			out = append(out, r)
		default:
			if attr, ok := strings.CutPrefix(r, userProfile+"."); ok && editable[attr] {
				out = append(out, r)
			}
		}
	}
	return out
}

func anyTrue(m map[string]bool) bool {
	for _, v := range m {
		if v {
			return true
		}
	}
	return false
}
