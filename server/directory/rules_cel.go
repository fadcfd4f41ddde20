package directory

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"

	"github.com/lintel-id/lintel/internal/invalid"
)

// Limits on rule expressions, which are tenant-supplied code.
const (
	// MaxExpressionLen is the most characters of a rule expression.
	MaxExpressionLen = 2000
	// RuleCostLimit bounds both the static cost estimate of an expression
	// (a rule whose worst case exceeds it is refused) and the cost of each
	// evaluation (which stops with an error when it is reached).
	RuleCostLimit = 10000
	// MaxAttributeSize is the size (characters of a string, elements of a
	// list or map) the cost estimate assumes for every attribute; larger
	// values are evaluated too, within RuleCostLimit.
	MaxAttributeSize = 1000
	// AnyAttribute in Rule.Attributes means the expression reads the
	// attribute map as a whole (for example `"x" in user` or a dynamic
	// index), so it may depend on every attribute.
	AnyAttribute = "*"
	// ruleRecursionLimit bounds the nesting of an expression.
	ruleRecursionLimit = 32
	// ruleInterruptEvery is how many comprehension iterations pass between
	// checks of the context.
	ruleInterruptEvery = 100
)

// ruleVar is the variable an expression reads the user's attributes from.
const ruleVar = "user"

// ruleEnv is the CEL environment of rule expressions: the standard
// library and `user`, a map from attribute name to any value. It holds no
// tenant data and is immutable once built.
var ruleEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable(ruleVar, cel.MapType(cel.StringType, cel.DynType)),
		cel.ParserExpressionSizeLimit(MaxExpressionLen),
		cel.ParserRecursionLimit(ruleRecursionLimit),
	)
})

// compiledRule is an expression that passed every check, ready to run.
type compiledRule struct {
	prg cel.Program
	// attrs are the attribute names the expression reads, sorted;
	// AnyAttribute when it reads the map as a whole.
	attrs []string
}

// compileRule checks an expression: it must compile, be of type bool and
// have a worst-case cost within RuleCostLimit. Refusals are
// *invalid.Error naming "expression".
func compileRule(expr string) (*compiledRule, error) {
	switch n := utf8.RuneCountInString(expr); {
	case !utf8.ValidString(expr):
		return nil, invalid.Field("expression", "must be valid UTF-8")
	case n == 0:
		return nil, invalid.Field("expression", "is required")
	case n > MaxExpressionLen:
		return nil, invalid.Field("expression", "must be at most %d characters, not %d", MaxExpressionLen, n)
	}
	env, err := ruleEnv()
	if err != nil {
		return nil, fmt.Errorf("directory: rule environment: %w", err)
	}
	a, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, invalid.Field("expression", "does not compile: %v", iss.Err())
	}
	if !a.OutputType().IsExactType(types.BoolType) {
		return nil, invalid.Field("expression", "must be a bool, not %s (compare attributes explicitly, e.g. user.admin == true)",
			a.OutputType())
	}
	est, err := env.EstimateCost(a, ruleCostEstimator{})
	if err != nil {
		return nil, invalid.Field("expression", "cost cannot be estimated: %v", err)
	}
	if est.Max > RuleCostLimit {
		return nil, invalid.Field("expression", "may cost up to %d, more than the limit of %d", est.Max, RuleCostLimit)
	}
	prg, err := env.Program(a, cel.CostLimit(RuleCostLimit), cel.InterruptCheckFrequency(ruleInterruptEvery))
	if err != nil {
		return nil, invalid.Field("expression", "cannot be planned: %v", err)
	}
	return &compiledRule{prg: prg, attrs: attributeRefs(a)}, nil
}

// eval runs the expression over attrs. Runtime errors, a cost over the
// limit and a cancelled ctx are errors; it never panics.
func (c *compiledRule) eval(ctx context.Context, attrs map[string]any) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("rule evaluation panicked: %v", r)
		}
	}()
	if attrs == nil {
		attrs = map[string]any{}
	}
	out, _, err := c.prg.ContextEval(ctx, map[string]any{ruleVar: attrs})
	if err != nil {
		return false, err
	}
	b, isBool := out.(types.Bool)
	if !isBool {
		return false, fmt.Errorf("rule evaluated to %s, not a bool", out.Type())
	}
	return bool(b), nil
}

// attributeRefs lists the attributes a checked expression reads, sorted:
// every `user.name` and `user["name"]`, plus AnyAttribute when `user` is
// used any other way (iterated, tested with `in`, indexed by a computed
// key, passed to a function).
func attributeRefs(a *cel.Ast) []string {
	var uses, named int
	var attrs []string
	note := func(name string) {
		named++
		if !slices.Contains(attrs, name) {
			attrs = append(attrs, name)
		}
	}
	celast.PreOrderVisit(a.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		switch e.Kind() {
		case celast.IdentKind:
			if e.AsIdent() == ruleVar {
				uses++
			}
		case celast.SelectKind:
			if s := e.AsSelect(); isRuleVar(s.Operand()) {
				note(s.FieldName())
			}
		case celast.CallKind:
			c := e.AsCall()
			if c.FunctionName() != operators.Index || len(c.Args()) != 2 || !isRuleVar(c.Args()[0]) {
				return
			}
			if key := c.Args()[1]; key.Kind() == celast.LiteralKind {
				if s, ok := key.AsLiteral().(types.String); ok {
					note(string(s))
				}
			}
		}
	}))
	if uses > named {
		attrs = append(attrs, AnyAttribute)
	}
	slices.Sort(attrs)
	return attrs
}

func isRuleVar(e celast.Expr) bool { return e.Kind() == celast.IdentKind && e.AsIdent() == ruleVar }

// readsEditable reports whether attrs (from attributeRefs) include one
// that editable marks user-editable.
func readsEditable(attrs []string, editable map[string]bool) bool {
	for _, a := range attrs {
		if a == AnyAttribute {
			for _, e := range editable {
				if e {
					return true
				}
			}
			continue
		}
		if editable[a] {
			return true
		}
	}
	return false
}

// ruleCostEstimator bounds the size of attributes for the static cost
// estimate; everything else is left to cel-go.
type ruleCostEstimator struct{}

func (ruleCostEstimator) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	if p := n.Path(); len(p) > 0 && p[0] == ruleVar {
		return &checker.SizeEstimate{Min: 0, Max: MaxAttributeSize}
	}
	return nil
}

func (ruleCostEstimator) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

var _ checker.CostEstimator = ruleCostEstimator{}
