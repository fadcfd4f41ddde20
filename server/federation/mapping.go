package federation

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"

	"github.com/lintel-id/lintel/internal/invalid"
)

// Limits on attribute mappings, which are tenant-supplied code.
const (
	// MaxMappings is the most attributes a mapping (or Sync) may name.
	MaxMappings = 50
	// MaxMappingExpressionLen is the most characters of one expression.
	MaxMappingExpressionLen = 1000
	// MaxAttributeNameLen is the most characters of an attribute name.
	MaxAttributeNameLen = 100
	// MappingCostLimit bounds the static cost estimate of an expression:
	// one whose worst case exceeds it, with inputs of MappingInputSize,
	// is refused.
	MappingCostLimit = 10000
	// MappingRuntimeCostLimit bounds one evaluation, which stops with an
	// error when it is reached: ten times the estimate's limit, so that
	// claims up to ten times larger than the estimate assumes still map.
	MappingRuntimeCostLimit = 10 * MappingCostLimit
	// MappingStringSize is the characters, and MappingListSize the
	// elements, the estimate assumes for every string, and every list or
	// map, an expression reads or makes (a person in a few hundred groups
	// still maps: the runtime limit is ten times larger).
	MappingStringSize = 1000
	MappingListSize   = 100
	// MaxClaimElements is the most elements of a list or map in the
	// claims Map evaluates over, at any depth, and MaxClaimDepth their
	// deepest nesting: cel-go's cost tracking is quadratic in the
	// iterations of a comprehension, so inputs are bounded before the
	// runtime cost limit is reached the slow way.
	MaxClaimElements = 10 * MappingListSize
	MaxClaimDepth    = 32
	// mappingRecursionLimit bounds the nesting of an expression.
	mappingRecursionLimit = 32
	// mappingInterruptEvery is how many comprehension iterations pass
	// between checks of the evaluation's deadline.
	mappingInterruptEvery = 100
	// mappingCacheSize bounds the compiled mappings a Service keeps; the
	// cache is emptied when it is full (old versions of IdPs pile up).
	mappingCacheSize = 1000
)

// The variables of mapping expressions.
const (
	varClaims        = "claims"         // map(string, dyn): Assertion.Claims
	varEmail         = "email"          // string: Assertion.Email
	varEmailVerified = "email_verified" // bool: Assertion.EmailVerified
	varSubject       = "subject"        // string: Assertion.Subject
)

// mappingEnv is the CEL environment of mapping expressions: the standard
// library, optional values (claims[?"x"]), the string extensions and
// the four variables. It holds no tenant data and is immutable.
var mappingEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable(varClaims, cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable(varEmail, cel.StringType),
		cel.Variable(varEmailVerified, cel.BoolType),
		cel.Variable(varSubject, cel.StringType),
		cel.OptionalTypes(),
		ext.Strings(),
		cel.ParserExpressionSizeLimit(MaxMappingExpressionLen),
		cel.ParserRecursionLimit(mappingRecursionLimit),
	)
})

// compileExpression checks one attribute's expression: it must compile,
// yield a type Map can return (or dyn, checked when it runs) and have a
// worst-case cost within MappingCostLimit. Refusals are *invalid.Error
// naming field.
func compileExpression(field, expr string) (cel.Program, error) {
	switch n := utf8.RuneCountInString(expr); {
	case !utf8.ValidString(expr):
		return nil, invalid.Field(field, "must be valid UTF-8")
	case n == 0:
		return nil, invalid.Field(field, "is required")
	case n > MaxMappingExpressionLen:
		return nil, invalid.Field(field, "must be at most %d characters, not %d", MaxMappingExpressionLen, n)
	}
	env, err := mappingEnv()
	if err != nil {
		return nil, fmt.Errorf("federation: mapping environment: %w", err)
	}
	a, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, invalid.Field(field, "does not compile: %v", iss.Err())
	}
	if !attributeType(a.OutputType(), true) {
		return nil, invalid.Field(field, "must be a string, number, bool or list of strings, not %s", a.OutputType())
	}
	est, err := env.EstimateCost(a, mappingCostEstimator{})
	if err != nil {
		return nil, invalid.Field(field, "cost cannot be estimated: %v", err)
	}
	if est.Max > MappingCostLimit {
		return nil, invalid.Field(field, "may cost up to %d, more than the limit of %d", est.Max, MappingCostLimit)
	}
	prg, err := env.Program(a, cel.CostLimit(MappingRuntimeCostLimit), cel.InterruptCheckFrequency(mappingInterruptEvery))
	if err != nil {
		return nil, invalid.Field(field, "cannot be planned: %v", err)
	}
	return prg, nil
}

// attributeType reports whether values of type t can be an attribute's
// value: dyn, null, a scalar, a list of strings, or (at the top) an
// optional of those.
func attributeType(t *types.Type, top bool) bool {
	switch t.Kind() {
	case types.DynKind, types.TypeParamKind, types.NullTypeKind, types.StringKind, types.IntKind,
		types.UintKind, types.DoubleKind, types.BoolKind:
		return true
	case types.ListKind:
		e := t.Parameters()[0].Kind()
		return e == types.StringKind || e == types.DynKind || e == types.TypeParamKind
	case types.OpaqueKind:
		return top && t.TypeName() == "optional_type" && attributeType(t.Parameters()[0], false)
	}
	return false
}

// compiledMapping is an identity provider's mapping, ready to run.
type compiledMapping struct {
	kind Kind
	// src is the Config.Mapping it was compiled from (nil: the default).
	src   map[string]string
	attrs []string // sorted
	progs map[string]cel.Program
}

// compileMapping compiles the effective mapping of an identity provider
// of kind k. Refusals are *invalid.Error naming config.mapping.<attr>.
func compileMapping(k Kind, c Config) (*compiledMapping, error) {
	src := effectiveMapping(k, c)
	if src == nil {
		return nil, invalid.Field("kind", "%q is not a kind of identity provider", k)
	}
	m := &compiledMapping{kind: k, src: maps.Clone(c.Mapping), progs: map[string]cel.Program{}}
	m.attrs = slices.Sorted(maps.Keys(src))
	var errs []error
	for _, attr := range m.attrs {
		prg, err := compileExpression("config.mapping."+attr, src[attr])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m.progs[attr] = prg
	}
	return m, errors.Join(errs...)
}

// mappingCache holds compiled mappings by identity provider version. Its
// zero value is ready; it is safe for concurrent use.
type mappingCache struct {
	mu sync.Mutex
	m  map[mappingKey]*compiledMapping
}

type mappingKey struct {
	id      string
	updated int64 // UpdatedAt in Unix nanoseconds
}

// get returns idp's compiled mapping, compiling it on first use. An
// entry is used only when it was compiled from the same kind and
// expressions, so an IdP changed without a new UpdatedAt (in tests) is
// never mapped with stale code.
func (c *mappingCache) get(idp IdP) (*compiledMapping, error) {
	key := mappingKey{idp.ID, idp.UpdatedAt.UnixNano()}
	c.mu.Lock()
	m, ok := c.m[key]
	c.mu.Unlock()
	if ok && m.kind == idp.Kind && maps.Equal(m.src, idp.Config.Mapping) {
		return m, nil
	}
	m, err := compileMapping(idp.Kind, idp.Config)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= mappingCacheSize {
		c.m = map[mappingKey]*compiledMapping{}
	}
	c.m[key] = m
	return m, nil
}

// Map evaluates idp's attribute mapping (Config.Mapping, or
// DefaultMapping of its kind) over a, and returns the profile attributes
// it yields: string, bool, int64, float64 or []string. An expression that
// yields null, an empty string or an empty optional leaves its attribute
// out. A mapping that does not compile, an evaluation error (a missing
// claim read without `?`, a cost over MappingRuntimeCostLimit) or a
// value of another type wraps ErrConfig and names the attribute; claims
// beyond MaxClaimElements or MaxClaimDepth wrap ErrConfig too (the
// provider sends more than a mapping may read: filter its groups).
// Compiled mappings are cached per (idp.ID, idp.UpdatedAt).
func (s *Service) Map(idp IdP, a Assertion) (map[string]any, error) {
	m, err := s.mappings.get(idp)
	if err != nil {
		return nil, fmt.Errorf("%w: identity provider %s: mapping: %w", ErrConfig, idp.ID, err)
	}
	claims := a.Claims
	if claims == nil {
		claims = map[string]any{}
	}
	if err := checkClaimsSize(claims, 0); err != nil {
		return nil, fmt.Errorf("%w: identity provider %s: claims: %w", ErrConfig, idp.ID, err)
	}
	vars := map[string]any{varClaims: claims, varEmail: a.Email, varEmailVerified: a.EmailVerified, varSubject: a.Subject}
	out := map[string]any{}
	for _, attr := range m.attrs {
		v, err := evalAttribute(m.progs[attr], vars)
		if err != nil {
			return nil, fmt.Errorf("%w: identity provider %s: mapping of %q: %w", ErrConfig, idp.ID, attr, err)
		}
		if v != nil {
			out[attr] = v
		}
	}
	return out, nil
}

// checkClaimsSize refuses claims with a list or map of more than
// MaxClaimElements elements, or nested deeper than MaxClaimDepth.
func checkClaimsSize(v any, depth int) error {
	if depth > MaxClaimDepth {
		return fmt.Errorf("nested deeper than %d", MaxClaimDepth)
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) > MaxClaimElements {
			return fmt.Errorf("a map of %d members, more than %d", len(x), MaxClaimElements)
		}
		for _, e := range x {
			if err := checkClaimsSize(e, depth+1); err != nil {
				return err
			}
		}
	case []string:
		if len(x) > MaxClaimElements {
			return fmt.Errorf("a list of %d elements, more than %d", len(x), MaxClaimElements)
		}
	case []any:
		if len(x) > MaxClaimElements {
			return fmt.Errorf("a list of %d elements, more than %d", len(x), MaxClaimElements)
		}
		for _, e := range x {
			if err := checkClaimsSize(e, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// evalAttribute runs one expression and converts its value (nil: leave
// the attribute out). It never panics.
func evalAttribute(prg cel.Program, vars map[string]any) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("evaluation panicked: %v", r)
		}
	}()
	out, _, err := prg.ContextEval(context.Background(), vars)
	if err != nil {
		return nil, err
	}
	return attributeValue(out)
}

// attributeValue converts a CEL value to an attribute's value.
func attributeValue(v ref.Val) (any, error) {
	switch x := v.(type) {
	case types.Null:
		return nil, nil
	case *types.Optional:
		if !x.HasValue() {
			return nil, nil
		}
		if _, nested := x.GetValue().(*types.Optional); nested {
			return nil, errors.New("value is an optional of an optional")
		}
		return attributeValue(x.GetValue())
	case types.String:
		if x == "" {
			return nil, nil
		}
		return string(x), nil
	case types.Bool:
		return bool(x), nil
	case types.Int:
		return int64(x), nil
	case types.Uint:
		if uint64(x) > math.MaxInt64 {
			return nil, fmt.Errorf("value %d is too large", uint64(x))
		}
		return int64(x), nil
	case types.Double:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("value %v is not a number", float64(x))
		}
		return float64(x), nil
	case traits.Lister:
		out := []string{}
		for it := x.Iterator(); it.HasNext() == types.True; {
			e, ok := it.Next().(types.String)
			if !ok {
				return nil, errors.New("a list must hold only strings")
			}
			out = append(out, string(e))
		}
		return out, nil
	}
	return nil, fmt.Errorf("a value of type %s cannot be an attribute", v.Type().TypeName())
}

// mappingCostEstimator bounds, for the static cost estimate, the size of
// every value whose size cel-go cannot compute: inputs, and what is made
// of them (the parts of a split string). Call costs are left to cel-go.
type mappingCostEstimator struct{}

func (mappingCostEstimator) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	if n.Type().Kind() == types.StringKind || n.Type().Kind() == types.BytesKind {
		return &checker.SizeEstimate{Min: 0, Max: MappingStringSize}
	}
	return &checker.SizeEstimate{Min: 0, Max: MappingListSize}
}

func (mappingCostEstimator) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

var _ checker.CostEstimator = mappingCostEstimator{}
