package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/lintel-id/lintel/internal/dnsname"
	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// Limits of a routing rule; exceeding one is refused, never truncated.
const (
	MaxRulePriority   = 1_000_000 // priorities run from 0 (first) to this
	MaxRuleConditions = 100       // entries of each list of a Match
	MaxRuleIdPs       = 20        // identity providers a rule offers
	MaxGroupNameLen   = 100       // characters of a group name
)

// The modes of a routing rule.
const (
	// ModeRedirect sends the person straight to the rule's first IdP.
	ModeRedirect = "redirect"
	// ModeButtons offers the rule's IdPs beside the other ways to sign
	// in. The default.
	ModeButtons = "buttons"
)

// Match is the condition of a routing rule: every non-empty list must
// match, each by any of its entries.
type Match struct {
	// Domains are email domains, lowercased, in ASCII (IDNs in their
	// xn-- form). "acme.com" matches addresses at acme.com only;
	// "*.acme.com" matches those at any subdomain of it, not at acme.com
	// itself (list both for both). A rule with Domains never matches
	// before the person has given an address.
	Domains []string `json:"domains,omitempty"`
	// Apps are the IDs of the apps the person signs in to.
	Apps []string `json:"apps,omitempty"`
	// Zones are the IDs of network zones, one of which must hold the
	// client's address.
	Zones []string `json:"zones,omitempty"`
	// Groups are group names (compared ignoring case); the person must
	// be in one of them. The caller supplies the groups (RouteInput).
	Groups []string `json:"groups,omitempty"`
}

// Rule is an IdP routing rule of a tenant: which identity providers to
// offer, and how, to whom.
type Rule struct {
	ID, TenantID, Name string // ID is "idr_…"
	// Priority orders the rules, lowest first (then by ID).
	Priority int
	Match    Match
	// IdPs are the IDs of the identity providers offered, in order.
	IdPs []string
	// Mode is ModeRedirect or ModeButtons.
	Mode                 string
	CreatedAt, UpdatedAt time.Time
}

// RuleInput describes a routing rule to create, or the whole new state of
// one. Mode "" means ModeButtons.
type RuleInput struct {
	Name     string
	Priority int
	Match    Match
	IdPs     []string
	Mode     string
}

const ruleCols = `id, tenant_id, name, priority, match, idps, mode, created_at, updated_at`

func scanRule(r store.Scanner) (Rule, error) {
	var ru Rule
	var match, idps []byte
	if err := r.Scan(&ru.ID, &ru.TenantID, &ru.Name, &ru.Priority, &match, &idps, &ru.Mode, &ru.CreatedAt, &ru.UpdatedAt); err != nil {
		return Rule{}, err
	}
	if err := json.Unmarshal(match, &ru.Match); err != nil {
		return Rule{}, fmt.Errorf("federation: routing rule %s: stored match: %w", ru.ID, err)
	}
	return ru, store.ParseJSONList(idps, &ru.IdPs)
}

// CreateRule adds a routing rule to a tenant. Refused input is ErrConfig
// with *invalid.Error naming the fields; every IdP, app and zone it
// names must be the tenant's.
func (s *Service) CreateRule(ctx context.Context, tx store.Tx, tenantID string, in RuleInput) (Rule, error) {
	in, err := s.checkRule(ctx, tx, tenantID, in)
	if err != nil {
		return Rule{}, err
	}
	now := s.recordTime()
	r := Rule{ID: ident.New("idr", now), TenantID: tenantID, Name: in.Name, Priority: in.Priority, Match: in.Match,
		IdPs: in.IdPs, Mode: in.Mode, CreatedAt: now, UpdatedAt: now}
	match, err := json.Marshal(r.Match)
	if err != nil {
		return Rule{}, fmt.Errorf("federation: encode match: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO idp_routing_rules (`+ruleCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.TenantID, r.Name, r.Priority, string(match), store.JSONList(r.IdPs), r.Mode, r.CreatedAt, r.UpdatedAt)
	if err != nil {
		return Rule{}, fmt.Errorf("federation: create routing rule: %w", err)
	}
	return r, nil
}

// Rule returns a routing rule of a tenant; one of another tenant is
// ErrNotFound.
func (s *Service) Rule(ctx context.Context, tx store.Tx, tenantID, id string) (Rule, error) {
	r, err := scanRule(tx.QueryRow(ctx, `SELECT `+ruleCols+` FROM idp_routing_rules WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if errors.Is(err, store.ErrNotFound) {
		return Rule{}, idpNotFound("routing rule", id)
	}
	return r, err
}

// ListRules lists a tenant's routing rules in the order Route tries
// them: by priority, then ID.
func (s *Service) ListRules(ctx context.Context, tx store.Tx, tenantID string) ([]Rule, error) {
	rows, err := tx.Query(ctx, `SELECT `+ruleCols+` FROM idp_routing_rules WHERE tenant_id = ? ORDER BY priority, id`, tenantID)
	return store.Collect(rows, err, scanRule)
}

// UpdateRule replaces a routing rule of a tenant. Errors are those of
// CreateRule; an unknown rule is ErrNotFound.
func (s *Service) UpdateRule(ctx context.Context, tx store.Tx, tenantID, id string, in RuleInput) (Rule, error) {
	r, err := s.Rule(ctx, tx, tenantID, id)
	if err != nil {
		return Rule{}, err
	}
	if in, err = s.checkRule(ctx, tx, tenantID, in); err != nil {
		return Rule{}, err
	}
	r.Name, r.Priority, r.Match, r.IdPs, r.Mode, r.UpdatedAt = in.Name, in.Priority, in.Match, in.IdPs, in.Mode, s.recordTime()
	return r, s.saveRule(ctx, tx, r)
}

func (s *Service) saveRule(ctx context.Context, tx store.Tx, r Rule) error {
	match, err := json.Marshal(r.Match)
	if err != nil {
		return fmt.Errorf("federation: encode match: %w", err)
	}
	_, err = tx.Exec(ctx, `UPDATE idp_routing_rules SET name = ?, priority = ?, match = ?, idps = ?, mode = ?, updated_at = ?
		WHERE id = ? AND tenant_id = ?`, r.Name, r.Priority, string(match), store.JSONList(r.IdPs), r.Mode, r.UpdatedAt, r.ID, r.TenantID)
	if err != nil {
		return fmt.Errorf("federation: update routing rule: %w", err)
	}
	return nil
}

// DeleteRule removes a routing rule of a tenant; an unknown rule is
// ErrNotFound.
func (s *Service) DeleteRule(ctx context.Context, tx store.Tx, tenantID, id string) error {
	n, err := tx.Exec(ctx, `DELETE FROM idp_routing_rules WHERE id = ? AND tenant_id = ?`, id, tenantID)
	if err != nil {
		return fmt.Errorf("federation: delete routing rule: %w", err)
	}
	if n == 0 {
		return idpNotFound("routing rule", id)
	}
	return nil
}

// dropIdPFromRules takes an identity provider out of the tenant's rules,
// deleting the rules left with none.
func (s *Service) dropIdPFromRules(ctx context.Context, tx store.Tx, tenantID, idpID string) error {
	rules, err := s.ListRules(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if !slices.Contains(r.IdPs, idpID) {
			continue
		}
		r.IdPs = slices.DeleteFunc(r.IdPs, func(id string) bool { return id == idpID })
		if len(r.IdPs) == 0 {
			err = s.DeleteRule(ctx, tx, tenantID, r.ID)
		} else {
			r.UpdatedAt = s.recordTime()
			err = s.saveRule(ctx, tx, r)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkRule normalizes a rule (trimmed name, lowercase ASCII domains,
// Mode defaulted) and checks it, reporting every problem at once.
func (s *Service) checkRule(ctx context.Context, tx store.Tx, tenantID string, in RuleInput) (RuleInput, error) {
	in.Name = strings.TrimSpace(in.Name)
	if in.Mode == "" {
		in.Mode = ModeButtons
	}
	errs := []error{checkIdPName("name", in.Name)}
	if in.Priority < 0 || in.Priority > MaxRulePriority {
		errs = append(errs, invalid.Field("priority", "must be between 0 and %d", MaxRulePriority))
	}
	if in.Mode != ModeRedirect && in.Mode != ModeButtons {
		errs = append(errs, invalid.Field("mode", "must be %s or %s", ModeRedirect, ModeButtons))
	}
	m := &in.Match
	m.Domains = slices.Clone(m.Domains)
	for i, d := range m.Domains {
		m.Domains[i] = normalizeRuleDomain(d)
	}
	errs = append(errs,
		checkList("match.domains", m.Domains, MaxRuleConditions, false, func(d string) (bool, error) { return validRuleDomain(d), nil },
			"must be a domain name, or *. and a domain name"),
		checkList("match.apps", m.Apps, MaxRuleConditions, false, func(id string) (bool, error) {
			_, err := s.d.Tenants.App(ctx, tx, tenantID, id)
			if errors.Is(err, store.ErrNotFound) {
				return false, nil
			}
			return err == nil, err
		}, "is not an app of the tenant"),
		checkList("match.zones", m.Zones, MaxRuleConditions, false, func(id string) (bool, error) {
			return s.d.Tenants.ZoneExists(ctx, tx, tenantID, id)
		}, "is not a network zone of the tenant"),
		checkList("match.groups", m.Groups, MaxRuleConditions, false, func(g string) (bool, error) { return validGroupName(g), nil },
			"must be a group name"),
		checkList("idps", in.IdPs, MaxRuleIdPs, true, func(id string) (bool, error) {
			var n int
			err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM identity_providers WHERE id = ? AND tenant_id = ?`, id, tenantID).Scan(&n)
			return n > 0, err
		}, "is not an identity provider of the tenant"),
	)
	for _, err := range errs {
		if err != nil && !invalid.Is(err) {
			return in, err
		}
	}
	if err := errors.Join(errs...); err != nil {
		return in, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return in, nil
}

// checkList checks a list of at most max entries (at least one when
// required), each given once and accepted by ok; why says what a refused
// entry is not. An error of ok that is not a refusal (the store failed)
// is returned as is.
func checkList(field string, list []string, max int, required bool, ok func(string) (bool, error), why string) error {
	switch {
	case required && len(list) == 0:
		return invalid.Field(field, "must have at least one entry")
	case len(list) > max:
		return invalid.Field(field, "must have at most %d entries, not %d", max, len(list))
	}
	var errs []error
	for i, v := range list {
		f := fmt.Sprintf("%s[%d]", field, i)
		if slices.Index(list, v) < i {
			errs = append(errs, invalid.Field(f, "appears twice"))
			continue
		}
		good, err := ok(v)
		if err != nil {
			return err
		}
		if !good {
			errs = append(errs, invalid.Field(f, "%s", why))
		}
	}
	return errors.Join(errs...)
}

// normalizeRuleDomain lowercases a rule's domain, drops a final dot and
// turns an IDN into its ASCII form; what cannot be converted is kept for
// validRuleDomain to refuse.
func normalizeRuleDomain(d string) string {
	wild, rest := "", strings.TrimSuffix(strings.TrimSpace(d), ".")
	if r, ok := strings.CutPrefix(rest, "*."); ok {
		wild, rest = "*.", r
	}
	if a, err := idna.Lookup.ToASCII(rest); err == nil {
		rest = a
	}
	return wild + strings.ToLower(rest)
}

// validRuleDomain reports whether d is a normalized domain of a rule: a
// host name of at least two labels, optionally after "*.".
func validRuleDomain(d string) bool {
	d = strings.TrimPrefix(d, "*.")
	a, err := idna.Lookup.ToASCII(d)
	return err == nil && a == d && dnsname.Host(d) && strings.Contains(d, ".") && d == strings.ToLower(d)
}

// validGroupName reports whether g can be a group's name: 1–100
// printable characters, not starting or ending with a space.
func validGroupName(g string) bool {
	return g != "" && g == strings.TrimSpace(g) && utf8.RuneCountInString(g) <= MaxGroupNameLen &&
		utf8.ValidString(g) && strings.IndexFunc(g, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
}
