package oidc

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/lintel-id/lintel/internal/clientip"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// GrantSAML is request.grant_type when an expression is evaluated for a
// SAML attribute statement, so that a rule shared with claims can tell
// the protocols apart.
const GrantSAML = "saml"

// SAMLAttributes evaluates a SAML app's attribute rules (attribute name →
// CEL expression, as authserver.CompileExpression checks them) for
// userID, with the variables of custom claims: user and groups read from
// the directory exactly as for tokens, app from app, and request
// {grant_type: "saml", scopes: [], ip: the client's address or ""}.
//
// Each value becomes the attribute's values: a string one value; a bool,
// an int, a uint or a double its canonical form (true/false, decimal, the
// shortest form as CEL's string() writes it); a list of those each
// element. Values are sorted and duplicates dropped: SAML attribute
// values are a set, and a list built from a map (whose iteration order
// CEL leaves to chance) must give the same statement every time. Null,
// null elements and an empty list leave the attribute out. A map or a
// nested list, an expression that does not compile, and one that fails
// when run are errors wrapping authserver.ErrClaimEvaluation that name
// the attribute. A user who is gone or may no longer sign in is an error
// wrapping store.ErrNotFound. Evaluation honours ctx.
func (p *Provider) SAMLAttributes(ctx context.Context, tx store.Tx, tenantID string, app tenant.App, userID string, rules map[string]string) (map[string][]string, error) {
	if app.TenantID != tenantID {
		return nil, fmt.Errorf("oidc: saml attributes: app %s is not an app of tenant %s", app.ID, tenantID)
	}
	claims, err := p.claims(ctx, tx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	req := requestOf(app, &claims)
	ip := ""
	if a := clientip.From(ctx); a.IsValid() {
		ip = a.String()
	}
	vars := authserver.ExpressionVars{User: req.User, App: req.App, Groups: req.GroupNames,
		Request: map[string]any{"grant_type": GrantSAML, "scopes": []string{}, "ip": ip}}
	out := map[string][]string{}
	// In name order, so that the first failure reported is always the
	// same one.
	for _, name := range slices.Sorted(maps.Keys(rules)) {
		x, err := authserver.CompileExpression(rules[name])
		if err != nil {
			return nil, fmt.Errorf("%w: saml attribute %q: stored expression: %w", authserver.ErrClaimEvaluation, name, err)
		}
		v, err := x.Eval(ctx, vars)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, ctxErr
			}
			return nil, fmt.Errorf("%w: saml attribute %q: %w", authserver.ErrClaimEvaluation, name, err)
		}
		values, err := attributeValues(v)
		if err != nil {
			return nil, fmt.Errorf("%w: saml attribute %q: %w", authserver.ErrClaimEvaluation, name, err)
		}
		if len(values) > 0 {
			out[name] = values
		}
	}
	return out, nil
}

// attributeValues turns an expression's value into attribute values,
// sorted and without duplicates; nil for null.
func attributeValues(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	var out []string
	for _, e := range list {
		s, ok, err := scalarValue(e)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// scalarValue is the text of one attribute value; ok is false for null.
func scalarValue(v any) (s string, ok bool, err error) {
	switch x := v.(type) {
	case nil:
		return "", false, nil
	case string:
		return x, true, nil
	case bool:
		return strconv.FormatBool(x), true, nil
	case int64:
		return strconv.FormatInt(x, 10), true, nil
	case uint64:
		return strconv.FormatUint(x, 10), true, nil
	case float64:
		// %g, as CEL's string(double), so string(x) in the rule and x
		// give the same text.
		return strconv.FormatFloat(x, 'g', -1, 64), true, nil
	case []any:
		return "", false, fmt.Errorf("a list inside a list: attribute values are strings, numbers or bools")
	case map[string]any:
		return "", false, fmt.Errorf("a map: attribute values are strings, numbers or bools, or a list of them")
	}
	return "", false, fmt.Errorf("a value of type %T", v)
}
