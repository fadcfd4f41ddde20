package authserver

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// checkRule checks a rule about to be written to a policy of serverID,
// fills in its normal form, and refuses a name another rule of its policy
// has (store.ErrConflict). All field problems are reported at once.
func (s *Service) checkRule(ctx context.Context, tx store.Tx, tenantID, serverID string, r *Rule) error {
	scopes, err := s.scopesOf(ctx, tx, tenantID, serverID)
	if err != nil {
		return err
	}
	var errs []error
	r.Name, err = checkName(r.Name)
	errs = append(errs, err, checkPriority(r.Priority))
	r.GrantTypes, err = checkGrantTypes(r.GrantTypes)
	errs = append(errs, err)
	r.Scopes, err = checkRuleScopes(scopes, r.Scopes)
	errs = append(errs, err)
	r.Groups, err = checkIDs("groups", r.Groups, MaxGroups)
	errs = append(errs, err, checkLifetimes(*r))
	var zerr, xerr error
	r.Zones, zerr = checkIDs("zones", r.Zones, MaxZones)
	r.ExcludeZones, xerr = checkIDs("exclude_zones", r.ExcludeZones, MaxZones)
	errs = append(errs, zerr, xerr)
	if zerr == nil && xerr == nil {
		for i, z := range r.ExcludeZones {
			if slices.Contains(r.Zones, z) {
				errs = append(errs, invalid.Field(fmt.Sprintf("exclude_zones[%d]", i), "zone %q is also in zones", z))
			}
		}
		for _, l := range []struct {
			field string
			ids   []string
		}{{"zones", r.Zones}, {"exclude_zones", r.ExcludeZones}} {
			missing, err := s.missingZones(ctx, tx, tenantID, l.field, l.ids)
			if err != nil {
				return err
			}
			errs = append(errs, missing)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	taken, err := exists(ctx, tx, `SELECT COUNT(*) FROM auth_policy_rules WHERE policy_id = ? AND tenant_id = ? AND name = ? AND id <> ?`,
		r.PolicyID, tenantID, r.Name, r.ID)
	return errors.Join(err, conflictIf(taken, "a rule", r.Name))
}

// checkGrantTypes checks a rule's grant types: at least one, each of
// ruleGrantTypes (or an alias of one), none twice. It returns them with
// aliases replaced.
func checkGrantTypes(grants []string) ([]string, error) {
	if len(grants) == 0 {
		return []string{}, invalid.Field("grant_types", "must name at least one of %v", ruleGrantTypes)
	}
	out := make([]string, len(grants))
	var errs []error
	for i, g := range grants {
		if full, ok := grantAliases[g]; ok {
			g = full
		}
		out[i] = g
		f := fmt.Sprintf("grant_types[%d]", i)
		switch {
		case !slices.Contains(ruleGrantTypes, g):
			errs = append(errs, invalid.Field(f, "%q is not a grant type a rule may cover (allowed: %v)", g, ruleGrantTypes))
		case slices.Index(out, g) < i:
			errs = append(errs, invalid.Field(f, "%q appears twice", g))
		}
	}
	return out, errors.Join(errs...)
}

// checkRuleScopes checks the scopes a rule allows: AnyScope alone, or
// names of scopes of its server (scopes), none twice.
func checkRuleScopes(scopes []Scope, names []string) ([]string, error) {
	switch {
	case len(names) == 0:
		return []string{}, invalid.Field("scopes", "must list scope names, or be [%q] for every scope", AnyScope)
	case slices.Contains(names, AnyScope) && len(names) > 1:
		return names, invalid.Field("scopes", "%q (every scope) must stand alone", AnyScope)
	case names[0] == AnyScope:
		return names, nil
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
	return names, errors.Join(errs...)
}

// checkLifetimes checks a rule's token lifetimes. The idle window may not
// exceed the refresh token's lifetime (the default one when it is 0).
func checkLifetimes(r Rule) error {
	errs := []error{
		checkLifetime("access_token_lifetime", r.AccessTokenLifetime, MinAccessTokenLifetime, MaxAccessTokenLifetime),
		checkLifetime("refresh_token_lifetime", r.RefreshTokenLifetime, MinRefreshTokenLifetime, MaxRefreshTokenLifetime),
	}
	refresh := r.RefreshTokenLifetime
	if refresh == 0 {
		refresh = DefaultRefreshTokenLifetime
	}
	errs = append(errs, checkLifetime("refresh_token_idle", r.RefreshTokenIdle, MinRefreshTokenIdle, refresh))
	return errors.Join(errs...)
}

// missingZones asks s.Zones, when set, whether each zone exists, and
// returns a field error for each that does not.
func (s *Service) missingZones(ctx context.Context, tx store.Tx, tenantID, field string, ids []string) (error, error) {
	if s.Zones == nil {
		return nil, nil
	}
	var errs []error
	for i, id := range ids {
		ok, err := s.Zones.ZoneExists(ctx, tx, tenantID, id)
		if err != nil {
			return nil, fmt.Errorf("authserver: check zone: %w", err)
		}
		if !ok {
			errs = append(errs, invalid.Field(fmt.Sprintf("%s[%d]", field, i), "%q is not a network zone of the tenant", id))
		}
	}
	return errors.Join(errs...), nil
}
