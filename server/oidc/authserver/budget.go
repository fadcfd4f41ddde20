package authserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// Size governance. A token's worst case is, per target (access or ID
// token):
//
//	TokenBaseBytes
//	+ scopeClaimOverhead + Σ (JSON length of a scope name + 1) over every scope of the server
//	+ Σ (len(name) + claimOverhead + MaxBytes) over the active claims of that target
//
// and a configuration whose worst case exceeds the server's MaxTokenBytes
// is refused. Issuance checks the real sizes again (ErrClaimTooLarge,
// ErrTokenTooLarge), so a bound that was wrong can only refuse a token,
// never let one through.
const (
	// TokenBaseBytes is what the registered and protocol claims take at
	// most (iss, sub, aud, exp, iat, nbf, jti, client_id, auth_time, nonce,
	// acr, amr, azp, sid, at_hash, braces): one conservative figure.
	TokenBaseBytes = 1024
	// scopeClaimOverhead is `"scope":"",`; each scope adds its name and a
	// space. Both targets count it (the ID token carries none, which only
	// makes its worst case conservative).
	scopeClaimOverhead = len(`"scope":"",`)
	// claimOverhead is the quotes, colon and comma around a claim's name.
	claimOverhead = 4
	// MaxClaimBytes is the largest MaxBytes a claim may declare.
	MaxClaimBytes = 16384
)

// Bounds of the values an expression may read whole (JSON bytes, quotes
// included; a string of n characters takes at most 6n+2 bytes escaped).
// They follow the directory's and the tenant package's input limits,
// rounded up.
var fieldBounds = map[string]map[string]int{
	varUser: {
		"id":     64,
		"login":  jsonStringBound(256), // directory.MaxLoginLen 254
		"email":  jsonStringBound(256), // directory.MaxEmailLen 254
		"name":   jsonStringBound(200), // directory.MaxNameLen
		"status": jsonStringBound(32),  // PASSWORD_EXPIRED, …
	},
	varApp: {
		"id":   64,
		"name": jsonStringBound(100), // tenant.MaxNameLen
		"type": jsonStringBound(16),
		"tags": 20*(40+3) + 2, // tenant.MaxTags of tenant.MaxTagLen, [a-z0-9._-]
	},
	varRequest: {
		"grant_type": jsonStringBound(64),
		"ip":         jsonStringBound(45), // longest IPv6 text
	},
}

// jsonStringBound is the most bytes a JSON string of n characters takes.
func jsonStringBound(n int) int { return 6*n + 2 }

// Errors of issuance, wrapped with the claim's name or the sizes.
var (
	// ErrClaimTooLarge: a claim's value encodes to more than its MaxBytes.
	ErrClaimTooLarge = errors.New("authserver: claim value larger than its max_bytes")
	// ErrTokenTooLarge: a token's claims encode to more than the server's
	// MaxTokenBytes.
	ErrTokenTooLarge = errors.New("authserver: token larger than the server's max_token_bytes")
)

// errUnbounded refuses a claim whose size must be declared.
func errUnbounded(why string) error {
	return invalid.Field("max_bytes", "declare max_bytes: its size cannot be derived (%s)", why)
}

// derivedBound returns the most JSON bytes the value of c may take, when
// it follows from the expression alone: a literal, a bool or number, a
// field of user, app or request with a known limit. For an expression
// that is exactly a custom attribute (user.profile.a) it returns attr
// for the caller to ask Attributes.Bound. Anything else (groups,
// request.scopes, a computed string or list) is refused with an
// *invalid.Error naming "max_bytes".
func derivedBound(c *compiledClaim) (n int, attr string, err error) {
	switch c.ast.OutputType().Kind() {
	case types.BoolKind:
		return len("false"), "", nil
	case types.IntKind, types.UintKind:
		return len("-9223372036854775808"), "", nil
	case types.DoubleKind:
		return len("-1.7976931348623157e+308"), "", nil
	}
	e := c.ast.NativeRep().Expr()
	if e.Kind() == celast.LiteralKind {
		v, err := plain(e.AsLiteral(), 0)
		if err != nil {
			return 0, "", errUnbounded("a literal JSON cannot hold")
		}
		b, err := json.Marshal(v)
		if err != nil {
			return 0, "", errUnbounded("a literal JSON cannot hold")
		}
		return len(b), "", nil
	}
	if isIdent(e, varGroups) {
		return 0, "", errUnbounded("a person may be in any number of groups")
	}
	operand, field, ok := fieldOf(e)
	if !ok || e.Kind() == celast.SelectKind && e.AsSelect().IsTestOnly() {
		return 0, "", errUnbounded("it is computed")
	}
	if isUserField(operand, userProfile) {
		return 0, field, nil
	}
	if operand.Kind() == celast.IdentKind {
		if n, ok := fieldBounds[operand.AsIdent()][field]; ok {
			return n, "", nil
		}
		return 0, "", errUnbounded(operand.AsIdent() + "." + field + " has no known limit")
	}
	return 0, "", errUnbounded("it is computed")
}

// maxTokenBytes is srv's limit, DefaultMaxTokenBytes when it sets none.
func maxTokenBytes(srv Server) int {
	if srv.MaxTokenBytes > 0 {
		return srv.MaxTokenBytes
	}
	return DefaultMaxTokenBytes
}

// tokenSize is the worst case of one target, broken down for messages.
type tokenSize struct {
	Base, ScopeClaim, Claims int
}

func (t tokenSize) total() int { return t.Base + t.ScopeClaim + t.Claims }

func (t tokenSize) String() string {
	return fmt.Sprintf("%d bytes (base %d + scope claim %d + custom claims %d)", t.total(), t.Base, t.ScopeClaim, t.Claims)
}

// worstCase returns the worst-case size of each target's claims given the
// server's scopes and claims (inactive claims do not count).
func worstCase(scopes []Scope, claims []Claim) map[string]tokenSize {
	sc := scopeClaimOverhead
	for _, s := range scopes {
		b, _ := json.Marshal(s.Name)
		sc += len(b) - 2 + 1
	}
	out := map[string]tokenSize{
		TargetAccess: {Base: TokenBaseBytes, ScopeClaim: sc},
		TargetID:     {Base: TokenBaseBytes, ScopeClaim: sc},
	}
	for _, c := range claims {
		if !c.Active {
			continue
		}
		t := out[c.Target]
		t.Claims += len(c.Name) + claimOverhead + c.MaxBytes
		out[c.Target] = t
	}
	return out
}

// targetNames names the targets in messages, in a stable order.
var targetNames = []struct{ target, name string }{{TargetAccess, "access token"}, {TargetID, "ID token"}}

// checkTokenBudget refuses a server configuration whose worst-case token
// exceeds srv.MaxTokenBytes (an *invalid.Error naming max_token_bytes),
// with srv as it is about to be saved and the scopes and claims stored.
func (s *Service) checkTokenBudget(ctx context.Context, tx store.Tx, srv Server) error {
	sizes, err := s.budget(ctx, tx, srv, nil)
	if err != nil {
		return err
	}
	return overBudget(sizes, srv, "max_token_bytes")
}

// checkClaimBudget refuses a claim about to be saved (created, or
// replacing the stored one of the same ID) when it would take a target
// of srv over srv.MaxTokenBytes: an *invalid.Error naming field.
func (s *Service) checkClaimBudget(ctx context.Context, tx store.Tx, srv Server, pending Claim, field string) error {
	sizes, err := s.budget(ctx, tx, srv, &pending)
	if err != nil {
		return err
	}
	return overBudget(sizes, srv, field)
}

// budget returns the worst cases of srv, with pending in place of the
// stored claim of the same ID (or added) when not nil.
func (s *Service) budget(ctx context.Context, tx store.Tx, srv Server, pending *Claim) (map[string]tokenSize, error) {
	scopes, err := s.Scopes(ctx, tx, srv.TenantID, srv.ID)
	if err != nil {
		return nil, err
	}
	claims, err := s.storedClaims(ctx, tx, srv.TenantID, srv.ID)
	if err != nil {
		return nil, err
	}
	if pending != nil {
		replaced := false
		for i := range claims {
			if claims[i].ID == pending.ID {
				claims[i], replaced = *pending, true
			}
		}
		if !replaced {
			claims = append(claims, *pending)
		}
	}
	return worstCase(scopes, claims), nil
}

func overBudget(sizes map[string]tokenSize, srv Server, field string) error {
	limit := maxTokenBytes(srv)
	var errs []error
	for _, t := range targetNames {
		if sz := sizes[t.target]; sz.total() > limit {
			errs = append(errs, invalid.Field(field, "the worst-case %s is %s, more than max_token_bytes %d",
				t.name, sz, limit))
		}
	}
	return errors.Join(errs...)
}

// CheckTokenSize refuses a token whose claims, JSON-encoded, exceed
// srv.MaxTokenBytes (ErrTokenTooLarge). The token layer calls it on the
// final claims of each token it signs, custom claims included.
func CheckTokenSize(srv Server, claims map[string]any) error {
	b, err := json.Marshal(claims)
	if err != nil {
		return fmt.Errorf("authserver: token claims: %w", err)
	}
	if limit := maxTokenBytes(srv); len(b) > limit {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTokenTooLarge, len(b), limit)
	}
	return nil
}
