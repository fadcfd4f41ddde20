package authserver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// reservedClaims are the claims the protocol sets: registered JWT claims
// (RFC 7519), those of access tokens (RFC 9068, RFC 8693, RFC 8705),
// ID tokens (OIDC Core §2, §3.1.3.6), aggregated claims (§5.6.2) and
// Lintel's own (tid, gid). A custom claim never replaces one.
var reservedClaims = []string{
	"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "scp", "client_id", "cid", "auth_time", "nonce",
	"acr", "amr", "azp", "at_hash", "c_hash", "s_hash", "sid", "tid", "gid", "cnf", "typ", "act", "may_act",
	"sub_jwk", "_claim_names", "_claim_sources",
}

// verifiedClaims are standard user claims whose values the provider
// asserts only from verified data (an address and the flag saying it was
// verified go together); a custom claim could pair an unverified value
// with the flag, so they are refused too. The other standard user claims
// (name, given_name, locale, …) may be set by custom claims, which then
// replace what the scope releases.
var verifiedClaims = []string{"email", "email_verified", "phone_number", "phone_number_verified"}

// checkClaimName checks a claim's name.
func checkClaimName(name string) error {
	switch {
	case name == "" || len(name) > MaxClaimNameLen:
		return invalid.Field("name", "must be 1–%d characters", MaxClaimNameLen)
	case strings.ContainsFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.:-", r))
	}):
		return invalid.Field("name", "must contain only A-Z a-z 0-9 _ . : -")
	case slices.Contains(reservedClaims, name):
		return invalid.Field("name", "%q is a registered or protocol claim, which the server sets itself", name)
	case slices.Contains(verifiedClaims, name):
		return invalid.Field("name", "%q is released from verified data only, by its scope", name)
	}
	return nil
}

// checkClaimScopes checks the scopes a claim is conditioned on: names of
// scopes of the server, none twice. It returns the list, never nil.
func checkClaimScopes(scopes []Scope, names []string) ([]string, error) {
	if len(names) > MaxClaimScopes {
		return names, invalid.Field("scopes", "must have at most %d entries, not %d", MaxClaimScopes, len(names))
	}
	var errs []error
	for i, n := range names {
		f := fmt.Sprintf("scopes[%d]", i)
		switch {
		case !slices.ContainsFunc(scopes, func(sc Scope) bool { return sc.Name == n }):
			errs = append(errs, invalid.Field(f, "%q is not a scope of this server", n))
		case slices.Index(names, n) < i:
			errs = append(errs, invalid.Field(f, "%q appears twice", n))
		}
	}
	if names == nil {
		names = []string{}
	}
	return names, errors.Join(errs...)
}

// checkReads refuses an expression reading what people may edit, unless
// override.
func (s *Service) checkReads(ctx context.Context, tx store.Tx, tenantID string, c *compiledClaim, override bool) error {
	if override || len(c.reads) == 0 {
		return nil
	}
	editable := map[string]bool{}
	if a := s.attributes(); a != nil {
		var err error
		if editable, err = a.Editable(ctx, tx, tenantID); err != nil {
			return fmt.Errorf("authserver: editable attributes: %w", err)
		}
	}
	if reads := editableReads(c.reads, editable); len(reads) > 0 {
		return fmt.Errorf("%w: %w", ErrEditableAttribute, invalid.Field("expression",
			"reads what people may edit themselves (user.%s); only an explicit override allows it", strings.Join(reads, ", user.")))
	}
	return nil
}

// deriveMaxBytes returns the bound of an expression's value, asking the
// tenant's attributes for user.profile.a.
func (s *Service) deriveMaxBytes(ctx context.Context, tx store.Tx, tenantID string, c *compiledClaim) (int, error) {
	n, attr, err := derivedBound(c)
	if err != nil || attr == "" {
		return n, err
	}
	a := s.attributes()
	if a == nil {
		return 0, errUnbounded("no schema bounds user.profile." + attr)
	}
	n, ok, err := a.Bound(ctx, tx, tenantID, attr)
	switch {
	case err != nil:
		return 0, fmt.Errorf("authserver: bound of attribute %s: %w", attr, err)
	case !ok:
		return 0, errUnbounded("no schema bounds user.profile." + attr)
	}
	return n, nil
}
