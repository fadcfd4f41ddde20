package authserver

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/server/store"
)

// Grant types a rule may cover, as token requests name them.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	GrantTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange"
)

// grantAliases are the short names a rule's grant types may be written
// with; they are stored as the grant type they stand for.
var grantAliases = map[string]string{"device_code": GrantDeviceCode, "token_exchange": GrantTokenExchange}

var ruleGrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials, GrantDeviceCode, GrantTokenExchange}

// RuleInput describes a new rule of a policy. Zero lifetimes take the
// defaults; a new rule is active unless Inactive is set.
type RuleInput struct {
	Name                                                        string
	Priority                                                    int
	GrantTypes, Scopes, Groups, Zones, ExcludeZones             []string
	AccessTokenLifetime, RefreshTokenLifetime, RefreshTokenIdle time.Duration
	Deny, Inactive                                              bool
}

// RulePatch changes a rule; nil fields stay as they are. The whole
// resulting rule is validated again.
type RulePatch struct {
	Name                                                        *string
	Priority                                                    *int
	GrantTypes, Scopes, Groups, Zones, ExcludeZones             *[]string
	AccessTokenLifetime, RefreshTokenLifetime, RefreshTokenIdle *time.Duration
	Deny, Active                                                *bool
}

const ruleCols = `id, policy_id, name, priority, grant_types, scopes, groups, zones, exclude_zones,
	access_token_lifetime, refresh_token_lifetime, refresh_token_idle, deny, active, created_at, updated_at`

func scanRule(r scanner) (Rule, error) {
	var v Rule
	var grants, scopes, groups, zones, excl []byte
	var access, refresh, idle int64
	err := r.Scan(&v.ID, &v.PolicyID, &v.Name, &v.Priority, &grants, &scopes, &groups, &zones, &excl,
		&access, &refresh, &idle, &v.Deny, &v.Active, &v.CreatedAt, &v.UpdatedAt)
	if err != nil {
		return Rule{}, err
	}
	v.AccessTokenLifetime, v.RefreshTokenLifetime, v.RefreshTokenIdle = seconds(access), seconds(refresh), seconds(idle)
	return v, errors.Join(store.ParseJSONList(grants, &v.GrantTypes), store.ParseJSONList(scopes, &v.Scopes), store.ParseJSONList(groups, &v.Groups),
		store.ParseJSONList(zones, &v.Zones), store.ParseJSONList(excl, &v.ExcludeZones))
}

func insertRule(ctx context.Context, tx store.Tx, tenantID, serverID string, r Rule) error {
	_, err := tx.Exec(ctx, `INSERT INTO auth_policy_rules (`+ruleCols+`, server_id, tenant_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.PolicyID, r.Name, r.Priority, store.JSONList(r.GrantTypes), store.JSONList(r.Scopes), store.JSONList(r.Groups),
		store.JSONList(r.Zones), store.JSONList(r.ExcludeZones), int64(r.AccessTokenLifetime/time.Second),
		int64(r.RefreshTokenLifetime/time.Second), int64(r.RefreshTokenIdle/time.Second), r.Deny, r.Active,
		r.CreatedAt, r.UpdatedAt, serverID, tenantID)
	return nameConflict(err, "a rule", r.Name)
}

func sortRules(list []Rule) {
	slices.SortFunc(list, func(a, b Rule) int { return byPriority(a.Priority, b.Priority, a.Name, b.Name, a.ID, b.ID) })
}

// CreateRule creates a rule of a policy of a tenant. Callers of nested
// paths check first that the policy is the server's (Policy).
func (s *Service) CreateRule(ctx context.Context, tx store.Tx, tenantID, policyID string, in RuleInput) (Rule, error) {
	p, err := s.policyOf(ctx, tx, tenantID, policyID)
	if err != nil {
		return Rule{}, err
	}
	now := s.now()
	r := Rule{ID: ident.New("rul", now), PolicyID: p.ID, Name: in.Name, Priority: in.Priority, GrantTypes: in.GrantTypes,
		Scopes: in.Scopes, Groups: in.Groups, Zones: in.Zones, ExcludeZones: in.ExcludeZones,
		AccessTokenLifetime: in.AccessTokenLifetime, RefreshTokenLifetime: in.RefreshTokenLifetime,
		RefreshTokenIdle: in.RefreshTokenIdle, Deny: in.Deny, Active: !in.Inactive, CreatedAt: now, UpdatedAt: now}
	if err := s.checkRule(ctx, tx, tenantID, p.ServerID, &r); err != nil {
		return Rule{}, err
	}
	if err := changed(ctx, tx, p.ServerID); err != nil {
		return Rule{}, err
	}
	if err := insertRule(ctx, tx, tenantID, p.ServerID, r); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// Rule returns a rule of a policy of a tenant by ID; one of another
// policy or tenant is ErrNotFound.
func (s *Service) Rule(ctx context.Context, tx store.Tx, tenantID, policyID, id string) (Rule, error) {
	v, err := scanRule(tx.QueryRow(ctx, `SELECT `+ruleCols+` FROM auth_policy_rules WHERE id = ? AND policy_id = ? AND tenant_id = ?`,
		id, policyID, tenantID))
	if errors.Is(err, store.ErrNotFound) {
		return Rule{}, notFound("rule", id)
	}
	return v, err
}

// Rules lists the rules of a policy of a tenant, active or not, by
// priority then name.
func (s *Service) Rules(ctx context.Context, tx store.Tx, tenantID, policyID string) ([]Rule, error) {
	if _, err := s.policyOf(ctx, tx, tenantID, policyID); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT `+ruleCols+` FROM auth_policy_rules WHERE policy_id = ? AND tenant_id = ?`, policyID, tenantID)
	list, err := store.Collect(rows, err, scanRule)
	sortRules(list)
	return list, err
}

// UpdateRule changes a rule of a policy of a tenant.
func (s *Service) UpdateRule(ctx context.Context, tx store.Tx, tenantID, policyID, id string, p RulePatch) (Rule, error) {
	r, err := s.Rule(ctx, tx, tenantID, policyID, id)
	if err != nil {
		return Rule{}, err
	}
	pol, err := s.policyOf(ctx, tx, tenantID, r.PolicyID)
	if err != nil {
		return Rule{}, err
	}
	set(&r.Name, p.Name)
	set(&r.Priority, p.Priority)
	set(&r.GrantTypes, p.GrantTypes)
	set(&r.Scopes, p.Scopes)
	set(&r.Groups, p.Groups)
	set(&r.Zones, p.Zones)
	set(&r.ExcludeZones, p.ExcludeZones)
	set(&r.AccessTokenLifetime, p.AccessTokenLifetime)
	set(&r.RefreshTokenLifetime, p.RefreshTokenLifetime)
	set(&r.RefreshTokenIdle, p.RefreshTokenIdle)
	set(&r.Deny, p.Deny)
	set(&r.Active, p.Active)
	if err := s.checkRule(ctx, tx, tenantID, pol.ServerID, &r); err != nil {
		return Rule{}, err
	}
	r.UpdatedAt = s.now()
	if err := changed(ctx, tx, pol.ServerID); err != nil {
		return Rule{}, err
	}
	_, err = tx.Exec(ctx, `UPDATE auth_policy_rules SET name = ?, priority = ?, grant_types = ?, scopes = ?, groups = ?,
		zones = ?, exclude_zones = ?, access_token_lifetime = ?, refresh_token_lifetime = ?, refresh_token_idle = ?,
		deny = ?, active = ?, updated_at = ? WHERE id = ?`,
		r.Name, r.Priority, store.JSONList(r.GrantTypes), store.JSONList(r.Scopes), store.JSONList(r.Groups), store.JSONList(r.Zones),
		store.JSONList(r.ExcludeZones), int64(r.AccessTokenLifetime/time.Second), int64(r.RefreshTokenLifetime/time.Second),
		int64(r.RefreshTokenIdle/time.Second), r.Deny, r.Active, r.UpdatedAt, r.ID)
	if err != nil {
		return Rule{}, nameConflict(err, "a rule", r.Name)
	}
	return r, nil
}

// DeleteRule deletes a rule of a policy of a tenant.
func (s *Service) DeleteRule(ctx context.Context, tx store.Tx, tenantID, policyID, id string) error {
	r, err := s.Rule(ctx, tx, tenantID, policyID, id)
	if err != nil {
		return err
	}
	pol, err := s.policyOf(ctx, tx, tenantID, r.PolicyID)
	if err != nil {
		return err
	}
	if err := changed(ctx, tx, pol.ServerID); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `DELETE FROM auth_policy_rules WHERE id = ?`, r.ID)
	return err
}

// serverRule is a rule with the name of its policy.
type serverRule struct {
	rule   Rule
	policy string
}

// serverRules lists every rule of a server with its policy's name.
func (s *Service) serverRules(ctx context.Context, tx store.Tx, tenantID, serverID string) ([]serverRule, error) {
	rows, err := tx.Query(ctx, `SELECT p.name, r.id, r.name, r.scopes FROM auth_policy_rules r
		JOIN auth_policies p ON p.id = r.policy_id WHERE r.server_id = ? AND r.tenant_id = ?`, serverID, tenantID)
	return store.Collect(rows, err, func(sc scanner) (serverRule, error) {
		var v serverRule
		var scopes []byte
		if err := sc.Scan(&v.policy, &v.rule.ID, &v.rule.Name, &scopes); err != nil {
			return v, err
		}
		return v, store.ParseJSONList(scopes, &v.rule.Scopes)
	})
}

// RulesUsingZone returns the names of the rules of a tenant that name a
// network zone (in Zones or ExcludeZones), "server/policy/rule", sorted,
// so that a zone still in use is not deleted from under them.
func (s *Service) RulesUsingZone(ctx context.Context, tx store.Tx, tenantID, zoneID string) ([]string, error) {
	pattern := `%"` + likeEscape(zoneID) + `"%`
	rows, err := tx.Query(ctx, `SELECT srv.name, pol.name, r.name FROM auth_policy_rules r
		JOIN auth_policies pol ON pol.id = r.policy_id
		JOIN auth_servers srv ON srv.id = r.server_id
		WHERE r.tenant_id = ? AND (CAST(r.zones AS TEXT) LIKE ? ESCAPE '!' OR CAST(r.exclude_zones AS TEXT) LIKE ? ESCAPE '!')
		ORDER BY srv.name, pol.name, r.name`, tenantID, pattern, pattern)
	return store.Collect(rows, err, func(sc store.Scanner) (string, error) {
		var srv, pol, rule string
		err := sc.Scan(&srv, &pol, &rule)
		return srv + "/" + pol + "/" + rule, err
	})
}

// likeEscape escapes LIKE wildcards with '!'.
func likeEscape(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}
