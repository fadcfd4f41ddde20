package authserver

import (
	"context"
	"fmt"
	"math"
	"sync"
	"unicode/utf8"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"

	"github.com/lintel-id/lintel/internal/invalid"
)

// Limits on claim expressions, which are tenant-supplied code.
const (
	// MaxClaimExpressionLen is the most characters of a claim expression.
	MaxClaimExpressionLen = 2000
	// ClaimCostLimit bounds the static cost estimate of an expression: a
	// claim whose worst case exceeds it, with inputs of the sizes below,
	// is refused.
	ClaimCostLimit = 10000
	// ClaimRuntimeCostLimit bounds the cost of one evaluation, which stops
	// with an error when it is reached. It is ten times ClaimCostLimit so
	// that inputs up to ten times larger than the estimate assumes (a
	// person in more groups) still evaluate.
	ClaimRuntimeCostLimit = 10 * ClaimCostLimit
	// ClaimInputSize is the size (characters of a string, elements of a
	// list or map) the cost estimate assumes for every input value but
	// groups.
	ClaimInputSize = 1000
	// ClaimGroupsSize is the number of groups, and the characters of a
	// group name (the directory's limit), the estimate assumes.
	ClaimGroupsSize = 100
	// claimRecursionLimit bounds the nesting of an expression.
	claimRecursionLimit = 32
	// claimInterruptEvery is how many comprehension iterations pass
	// between checks of the context.
	claimInterruptEvery = 100
	// maxValueDepth bounds the nesting of a claim's value.
	maxValueDepth = 32
)

// The variables of claim expressions.
const (
	// varUser is the person: id, login, email, name, status and profile
	// (a map of the custom attributes).
	varUser = "user"
	// varApp is the client: id, name, type and tags.
	varApp = "app"
	// varGroups are the names of the person's groups.
	varGroups = "groups"
	// varRequest is the token request: grant_type, scopes (the granted
	// scopes) and ip.
	varRequest = "request"
)

// userProfile is the field of `user` holding the custom attributes.
const userProfile = "profile"

// claimEnv is the CEL environment of claim expressions: the standard
// library and the four variables. It holds no tenant data and is
// immutable once built.
var claimEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable(varUser, cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable(varApp, cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable(varGroups, cel.ListType(cel.StringType)),
		cel.Variable(varRequest, cel.MapType(cel.StringType, cel.DynType)),
		cel.ParserExpressionSizeLimit(MaxClaimExpressionLen),
		cel.ParserRecursionLimit(claimRecursionLimit),
	)
})

// compiledClaim is an expression that passed every check, ready to run.
type compiledClaim struct {
	ast *cel.Ast
	prg cel.Program
	// reads are what the expression reads of `user`, sorted (see
	// readsUser).
	reads []string
	// person says the expression reads user or groups.
	person bool
}

// readsPerson reports whether the expression describes a person: it
// reads user or groups.
func (c *compiledClaim) readsPerson() bool { return c.person }

// compileClaim checks an expression: it must compile, have a
// JSON-encodable type (string, int, uint, double, bool, a list or a map
// with string keys of those, or dyn, checked when it runs) and a
// worst-case cost within ClaimCostLimit. Bytes, timestamps, durations,
// types and null are refused: convert them explicitly (string(t) is
// RFC 3339). Refusals are *invalid.Error naming "expression".
func compileClaim(expr string) (*compiledClaim, error) {
	switch n := utf8.RuneCountInString(expr); {
	case !utf8.ValidString(expr):
		return nil, invalid.Field("expression", "must be valid UTF-8")
	case n == 0:
		return nil, invalid.Field("expression", "is required")
	case n > MaxClaimExpressionLen:
		return nil, invalid.Field("expression", "must be at most %d characters, not %d", MaxClaimExpressionLen, n)
	}
	env, err := claimEnv()
	if err != nil {
		return nil, fmt.Errorf("authserver: claim environment: %w", err)
	}
	a, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, invalid.Field("expression", "does not compile: %v", iss.Err())
	}
	if !jsonType(a.OutputType(), 0) {
		return nil, invalid.Field("expression",
			"must be a string, number, bool, list or map with string keys, not %s (convert it, e.g. string(…))", a.OutputType())
	}
	est, err := env.EstimateCost(a, claimCostEstimator{})
	if err != nil {
		return nil, invalid.Field("expression", "cost cannot be estimated: %v", err)
	}
	if est.Max > ClaimCostLimit {
		return nil, invalid.Field("expression", "may cost up to %d, more than the limit of %d", est.Max, ClaimCostLimit)
	}
	prg, err := env.Program(a, cel.CostLimit(ClaimRuntimeCostLimit), cel.InterruptCheckFrequency(claimInterruptEvery))
	if err != nil {
		return nil, invalid.Field("expression", "cannot be planned: %v", err)
	}
	person := false
	celast.PreOrderVisit(a.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		person = person || isIdent(e, varUser) || isIdent(e, varGroups)
	}))
	return &compiledClaim{ast: a, prg: prg, reads: userReads(a), person: person}, nil
}

// jsonType reports whether values of type t encode as JSON; dyn (and an
// unresolved type parameter) is accepted and checked at run time.
func jsonType(t *types.Type, depth int) bool {
	if depth > maxValueDepth {
		return false
	}
	switch t.Kind() {
	case types.DynKind, types.TypeParamKind, types.StringKind, types.IntKind, types.UintKind, types.DoubleKind, types.BoolKind:
		return true
	case types.ListKind:
		return jsonType(t.Parameters()[0], depth+1)
	case types.MapKind:
		k := t.Parameters()[0].Kind()
		return (k == types.StringKind || k == types.DynKind || k == types.TypeParamKind) && jsonType(t.Parameters()[1], depth+1)
	}
	return false
}

// claimVars are the inputs of one evaluation; ExpressionVars exports
// them, so that claims and other protocols' expressions share one type.
type claimVars = ExpressionVars

func (v claimVars) activation() map[string]any {
	orEmpty := func(m map[string]any) map[string]any {
		if m == nil {
			return map[string]any{}
		}
		return m
	}
	groups := v.Groups
	if groups == nil {
		groups = []string{}
	}
	return map[string]any{varUser: orEmpty(v.User), varApp: orEmpty(v.App), varGroups: groups, varRequest: orEmpty(v.Request)}
}

// eval runs the expression and returns its value as plain Go (string,
// int64, uint64, float64, bool, nil, []any, map[string]any), ready for
// encoding/json. Runtime errors, a cost over the limit, a cancelled ctx
// and a value JSON cannot hold (bytes, a timestamp, NaN, a map with a
// non-string key) are errors; it never panics.
func (c *compiledClaim) eval(ctx context.Context, vars claimVars) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("claim evaluation panicked: %v", r)
		}
	}()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, _, err := c.prg.ContextEval(ctx, vars.activation())
	if err != nil {
		return nil, err
	}
	return plain(out, 0)
}

// plain converts a CEL value to a JSON-encodable Go value.
func plain(v ref.Val, depth int) (any, error) {
	if depth > maxValueDepth {
		return nil, fmt.Errorf("value nested deeper than %d", maxValueDepth)
	}
	switch x := v.(type) {
	case types.Null:
		return nil, nil
	case types.Bool:
		return bool(x), nil
	case types.Int:
		return int64(x), nil
	case types.Uint:
		return uint64(x), nil
	case types.Double:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("value %v is not a JSON number", float64(x))
		}
		return float64(x), nil
	case types.String:
		return string(x), nil
	case traits.Lister:
		n, ok := x.Size().(types.Int)
		if !ok {
			return nil, fmt.Errorf("list of unknown size")
		}
		out := make([]any, 0, int(n))
		for it := x.Iterator(); it.HasNext() == types.True; {
			e, err := plain(it.Next(), depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, nil
	case traits.Mapper:
		out := map[string]any{}
		for it := x.Iterator(); it.HasNext() == types.True; {
			k := it.Next()
			ks, ok := k.(types.String)
			if !ok {
				return nil, fmt.Errorf("map key of type %s: JSON keys are strings", k.Type().TypeName())
			}
			e, err := plain(x.Get(k), depth+1)
			if err != nil {
				return nil, err
			}
			out[string(ks)] = e
		}
		return out, nil
	}
	return nil, fmt.Errorf("value of type %s is not JSON-encodable", v.Type().TypeName())
}

// claimCostEstimator bounds the size of every input for the static cost
// estimate (ClaimGroupsSize for groups and their names, ClaimInputSize
// for the rest); everything else is left to cel-go.
type claimCostEstimator struct{}

func (claimCostEstimator) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	if p := n.Path(); len(p) > 0 {
		switch p[0] {
		case varGroups:
			return &checker.SizeEstimate{Min: 0, Max: ClaimGroupsSize}
		case varUser, varApp, varRequest:
			return &checker.SizeEstimate{Min: 0, Max: ClaimInputSize}
		}
	}
	return nil
}

func (claimCostEstimator) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

var _ checker.CostEstimator = claimCostEstimator{}
