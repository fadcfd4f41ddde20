package policy

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"

	"github.com/lintel-id/lintel/internal/invalid"
)

// Limits on conditions, which are tenant-supplied code.
const (
	// MaxConditionLen is the most characters of a rule's condition.
	MaxConditionLen = 2000
	// ConditionCostLimit bounds the static cost estimate of a condition:
	// one whose worst case exceeds it, with inputs of the sizes below, is
	// refused when the policy is written.
	ConditionCostLimit = 10000
	// ConditionRuntimeCostLimit bounds the cost of one evaluation, which
	// stops with an error when it is reached. It is ten times
	// ConditionCostLimit so that inputs up to ten times larger than the
	// estimate assumes (a person in more groups) still evaluate.
	ConditionRuntimeCostLimit = 10 * ConditionCostLimit
	// ConditionListSize is the number of elements the estimate assumes
	// for user.groups and network.zones.
	ConditionListSize = 100
	// ConditionStringSize is the number of characters the estimate
	// assumes for every string input: IDs, statuses, addresses, group
	// and zone names all have at most 100.
	ConditionStringSize = 100
	// conditionRecursionLimit bounds the nesting of a condition.
	conditionRecursionLimit = 32
	// conditionInterruptEvery is how many comprehension iterations pass
	// between checks of the context.
	conditionInterruptEvery = 100
)

// The variables of conditions and their fields. Each variable is a map
// from field name to value; a condition naming another variable, or a
// field not listed here, is refused when the policy is written.
const (
	// varApp is the app the person signs in to: id.
	varApp = "app"
	// varNetwork is where the request comes from: ip (the client's
	// address as text, "" when unknown) and zones (the names of the
	// tenant's network zones holding it).
	varNetwork = "network"
	// varUser is the person, once the first factor proved who they are:
	// id, type (user type ID), status (ACTIVE, …) and groups (names).
	varUser = "user"
)

// fields lists the fields of each variable.
var fields = map[string][]string{
	varApp:     {"id"},
	varNetwork: {"ip", "zones"},
	varUser:    {"id", "type", "status", "groups"},
}

// newConditionEnv builds the CEL environment of conditions: the standard
// library and the three variables.
func newConditionEnv() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable(varApp, cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable(varNetwork, cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable(varUser, cel.MapType(cel.StringType, cel.DynType)),
		cel.ParserExpressionSizeLimit(MaxConditionLen),
		cel.ParserRecursionLimit(conditionRecursionLimit),
	)
}

// condition is a compiled condition, ready to run. The zero value (an
// empty condition) always holds.
type condition struct {
	prg cel.Program
	// readsUser says the condition reads `user` in any way: such a rule
	// is skipped before the person is authenticated.
	readsUser bool
	// readsZones says it may read network.zones, which costs a query.
	readsZones bool
}

// always reports whether the condition is empty.
func (c *condition) always() bool { return c.prg == nil }

// compileCondition checks a condition: "" always holds; anything else
// must compile against the variables above (naming only their fields),
// be of type bool and have a worst-case cost within ConditionCostLimit.
// Refusals are *invalid.Error naming field.
func (s *Service) compileCondition(field, expr string) (*condition, error) {
	if strings.TrimSpace(expr) == "" {
		return &condition{}, nil
	}
	switch n := utf8.RuneCountInString(expr); {
	case !utf8.ValidString(expr):
		return nil, invalid.Field(field, "must be valid UTF-8")
	case n > MaxConditionLen:
		return nil, invalid.Field(field, "must be at most %d characters, not %d", MaxConditionLen, n)
	}
	a, iss := s.env.Compile(expr)
	if iss.Err() != nil {
		return nil, invalid.Field(field, "does not compile: %v", iss.Err())
	}
	if !a.OutputType().IsExactType(types.BoolType) {
		return nil, invalid.Field(field, "must be a bool, not %s (compare explicitly, e.g. user.status == \"ACTIVE\")", a.OutputType())
	}
	refs := references(a)
	if err := checkFields(field, refs); err != nil {
		return nil, err
	}
	est, err := s.env.EstimateCost(a, costEstimator{})
	if err != nil {
		return nil, invalid.Field(field, "cost cannot be estimated: %v", err)
	}
	if est.Max > ConditionCostLimit {
		return nil, invalid.Field(field, "may cost up to %d, more than the limit of %d", est.Max, ConditionCostLimit)
	}
	prg, err := s.env.Program(a, cel.CostLimit(ConditionRuntimeCostLimit), cel.InterruptCheckFrequency(conditionInterruptEvery))
	if err != nil {
		return nil, invalid.Field(field, "cannot be planned: %v", err)
	}
	net := refs[varNetwork]
	return &condition{
		prg:        prg,
		readsUser:  refs[varUser].used,
		readsZones: net.whole || slices.Contains(net.fields, "zones"),
	}, nil
}

// varRefs is how an expression reads one variable.
type varRefs struct {
	// used: the variable appears at all.
	used bool
	// fields named by selection (v.f, has(v.f)) or a literal index
	// (v["f"]), in order of appearance.
	fields []string
	// whole: the variable is also used otherwise (iterated, tested with
	// `in`, indexed by a computed key, passed to a function).
	whole bool
}

// references reports how a checked expression reads each variable.
func references(a *cel.Ast) map[string]varRefs {
	out := map[string]varRefs{}
	uses, named := map[string]int{}, map[string]int{}
	note := func(v, f string) {
		r := out[v]
		named[v]++
		if !slices.Contains(r.fields, f) {
			r.fields = append(r.fields, f)
		}
		out[v] = r
	}
	celast.PreOrderVisit(a.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		switch e.Kind() {
		case celast.IdentKind:
			if _, ok := fields[e.AsIdent()]; ok {
				uses[e.AsIdent()]++
			}
		case celast.SelectKind:
			if v, ok := variable(e.AsSelect().Operand()); ok {
				note(v, e.AsSelect().FieldName())
			}
		case celast.CallKind:
			c := e.AsCall()
			if c.FunctionName() != operators.Index || len(c.Args()) != 2 {
				return
			}
			v, ok := variable(c.Args()[0])
			if !ok {
				return
			}
			if key := c.Args()[1]; key.Kind() == celast.LiteralKind {
				if k, ok := key.AsLiteral().(types.String); ok {
					note(v, string(k))
				}
			}
		}
	}))
	for v, n := range uses {
		r := out[v]
		r.used = true
		r.whole = n > named[v]
		out[v] = r
	}
	return out
}

// variable reports whether e names one of the variables, and which.
func variable(e celast.Expr) (string, bool) {
	if e.Kind() != celast.IdentKind {
		return "", false
	}
	_, ok := fields[e.AsIdent()]
	return e.AsIdent(), ok
}

// checkFields refuses a field a variable does not have.
func checkFields(field string, refs map[string]varRefs) error {
	for _, v := range []string{varApp, varNetwork, varUser} {
		for _, f := range refs[v].fields {
			if !slices.Contains(fields[v], f) {
				return invalid.Field(field, "%s has no field %q (it has %s)", v, f, strings.Join(fields[v], ", "))
			}
		}
	}
	return nil
}

// eval runs a non-empty condition over vars. Runtime errors, a cost over
// the limit and a cancelled ctx are errors; it never panics.
func (c *condition) eval(ctx context.Context, vars map[string]any) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("condition evaluation panicked: %v", r)
		}
	}()
	if err := ctx.Err(); err != nil {
		return false, err
	}
	out, _, err := c.prg.ContextEval(ctx, vars)
	if err != nil {
		return false, err
	}
	b, isBool := out.(types.Bool)
	if !isBool {
		return false, fmt.Errorf("condition evaluated to %s, not a bool", out.Type())
	}
	return bool(b), nil
}

// costEstimator bounds the size of every input for the static cost
// estimate: ConditionListSize for the lists, ConditionStringSize for the
// rest; everything else is left to cel-go.
type costEstimator struct{}

func (costEstimator) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	p := n.Path()
	if len(p) == 0 {
		return nil
	}
	if _, ok := fields[p[0]]; !ok {
		return nil
	}
	if len(p) == 2 && (p[0] == varUser && p[1] == "groups" || p[0] == varNetwork && p[1] == "zones") {
		return &checker.SizeEstimate{Min: 0, Max: ConditionListSize}
	}
	return &checker.SizeEstimate{Min: 0, Max: ConditionStringSize}
}

func (costEstimator) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

var _ checker.CostEstimator = costEstimator{}
