package authserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/lintel-id/lintel/server/store"
)

// Why Decide refuses a request, for the protocol layer to answer with
// the right error code. Each comes back with the filled Decision (Reason
// and Trace); any other error from Decide is internal.
var (
	// ErrNoScope: no scope was asked and the server has no default scope
	// (invalid_scope, RFC 6749 §3.3).
	ErrNoScope = errors.New("authserver: no scope asked and no default")
	// ErrScopeUnknown: a scope asked for is not a scope of the server
	// (invalid_scope).
	ErrScopeUnknown = errors.New("authserver: unknown scope")
	// ErrScopeNotAllowed: a scope asked for is restricted to other
	// clients, or is not of the request's kind: a machine scope asked by
	// a person's grant, or a delegated one by client credentials
	// (invalid_scope).
	ErrScopeNotAllowed = errors.New("authserver: scope not allowed for this client or grant")
	// ErrNoPolicy: no policy applies to the client, no rule of the one
	// that applies matches, or a deny rule matches (access_denied).
	ErrNoPolicy = errors.New("authserver: no access rule allows the request")
)

// ZoneMatcher tells whether an IP address is in a network zone of a
// tenant. The tenant package implements it. With a nil ZoneMatcher, as
// with a zero IP, no address is in any zone: a rule that names Zones does
// not match, and ExcludeZones exclude nothing.
type ZoneMatcher interface {
	InZone(ctx context.Context, tx store.Tx, tenantID, zoneID string, ip netip.Addr) (bool, error)
}

// Decide decides a token request to req.Server: the scopes (req.Scopes,
// or the server's default scopes when empty) must all be scopes of the
// server that the client and the grant's kind may get; then the first
// active policy by priority that applies to the client is used (later
// ones are not consulted) and its first active rule by priority whose
// conditions all hold decides (a deny rule refuses). The granted scopes
// are the ones asked for with every implied scope, less implied scopes
// the client or kind may not get. The lifetimes are the rule's, or the
// defaults.
//
// A refusal returns the Decision (Granted false, Reason, Trace) with
// ErrNoScope, ErrScopeUnknown, ErrScopeNotAllowed or ErrNoPolicy; the
// token preview shows it. Decide writes nothing and depends only on the
// stored configuration, req and zones.
func (s *Service) Decide(ctx context.Context, tx store.Tx, req Request, zones ZoneMatcher) (Decision, error) {
	sn, err := s.snapshotOf(ctx, tx, req.Server.TenantID, req.Server.ID)
	if err != nil {
		return Decision{}, err
	}
	// The snapshot is shared: read it, and copy what leaves.
	scopes, byName, policies, rules := sn.scopes, sn.byName, sn.policies, sn.rules
	d := Decision{Trace: []Step{}}
	asked := dedupe(req.Scopes)
	if len(asked) == 0 {
		for _, sc := range scopes {
			if sc.Default {
				asked = append(asked, sc.Name)
			}
		}
		// A client acting for itself may ask for nothing: its token then
		// names only the client (RFC 6749 §3.3 lets the server choose).
		if len(asked) == 0 && req.GrantType != GrantClientCredentials {
			return refuse(d, ErrNoScope, "no scope was asked for and the server has no default scope")
		}
	}
	kind := requestKind(req)
	for _, n := range asked {
		sc, ok := byName[n]
		switch {
		case !ok:
			return refuse(d, ErrScopeUnknown, fmt.Sprintf("scope %q is not a scope of this server", n))
		case !clientMay(sc, req.ClientID):
			return refuse(d, ErrScopeNotAllowed, fmt.Sprintf("scope %s is restricted to other clients", n))
		case !slices.Contains(sc.Kinds, kind):
			return refuse(d, ErrScopeNotAllowed, fmt.Sprintf("scope %s cannot be granted in a %s grant", n, kind))
		}
	}
	var used *Policy
	for i := range policies {
		p := &policies[i]
		switch {
		case used != nil:
			d.Trace = append(d.Trace, policyStep(p, false, fmt.Sprintf("not consulted: policy %s applies first", used.Name)))
		case !p.Active:
			d.Trace = append(d.Trace, policyStep(p, false, "policy is inactive"))
		case !slices.Contains(p.Clients, AllClients) && !slices.Contains(p.Clients, req.ClientID):
			d.Trace = append(d.Trace, policyStep(p, false, "policy does not apply to this client"))
		default:
			used = p
			d.Trace = append(d.Trace, policyStep(p, true, "policy applies to this client"))
		}
	}
	if used == nil {
		return refuse(d, ErrNoPolicy, "no policy applies to this client")
	}
	// The policy's rule steps go right after its own step.
	at := slices.IndexFunc(d.Trace, func(st Step) bool { return st.PolicyID == used.ID }) + 1
	var ruleSteps []Step
	var decided *Rule
	for i := range rules[used.ID] {
		r := &rules[used.ID][i]
		if decided != nil {
			ruleSteps = append(ruleSteps, ruleStep(used, r, false, fmt.Sprintf("not consulted: rule %s matches first", decided.Name)))
			continue
		}
		why, err := s.ruleMisfit(ctx, tx, req, asked, kind, r, zones)
		if err != nil {
			return Decision{}, err
		}
		if why != "" {
			ruleSteps = append(ruleSteps, ruleStep(used, r, false, why))
			continue
		}
		decided = r
		verdict := "rule matches: the request is allowed"
		if r.Deny {
			verdict = "rule matches: it denies the request"
		}
		ruleSteps = append(ruleSteps, ruleStep(used, r, true, verdict))
	}
	d.Trace = slices.Insert(d.Trace, at, ruleSteps...)
	d.Policy = clonePolicy(used)
	if decided == nil {
		return refuse(d, ErrNoPolicy, fmt.Sprintf("no rule of policy %s matches the request", used.Name))
	}
	d.Rule = cloneRule(decided)
	if decided.Deny {
		return refuse(d, ErrNoPolicy, fmt.Sprintf("rule %s of policy %s denies the request", decided.Name, used.Name))
	}
	d.Granted = true
	for _, n := range ExpandScopes(scopes, asked) {
		if sc, ok := byName[n]; ok && clientMay(sc, req.ClientID) && slices.Contains(sc.Kinds, kind) {
			d.Scopes = append(d.Scopes, n)
		}
	}
	d.AccessTokenLifetime = cmp.Or(decided.AccessTokenLifetime, DefaultAccessTokenLifetime)
	d.RefreshTokenLifetime = cmp.Or(decided.RefreshTokenLifetime, DefaultRefreshTokenLifetime)
	d.RefreshTokenIdle = cmp.Or(decided.RefreshTokenIdle, DefaultRefreshTokenIdle)
	return d, nil
}

// ruleMisfit returns why rule r does not match the request ("" when it
// does): the first condition that fails, in the order grant type,
// scopes, groups, zones, excluded zones.
func (s *Service) ruleMisfit(ctx context.Context, tx store.Tx, req Request, asked []string, kind string, r *Rule, zones ZoneMatcher) (string, error) {
	if !r.Active {
		return "rule is inactive", nil
	}
	if !slices.Contains(r.GrantTypes, req.GrantType) {
		return fmt.Sprintf("grant type %q is not covered", req.GrantType), nil
	}
	if !slices.Contains(r.Scopes, AnyScope) {
		for _, n := range asked {
			if !slices.Contains(r.Scopes, n) {
				return fmt.Sprintf("scope %s is not allowed", n), nil
			}
		}
	}
	if len(r.Groups) > 0 {
		if kind == KindMachine {
			return "a rule with groups never matches a client acting for itself", nil
		}
		if !slices.ContainsFunc(r.Groups, func(g string) bool { return slices.Contains(req.Groups, g) }) {
			return "the user is in none of the rule's groups", nil
		}
	}
	if len(r.Zones) > 0 {
		in, err := inAnyZone(ctx, tx, req, r.Zones, zones)
		if err != nil {
			return "", err
		}
		if in == "" {
			return "the client's address is in none of the rule's zones", nil
		}
	}
	in, err := inAnyZone(ctx, tx, req, r.ExcludeZones, zones)
	if err != nil {
		return "", err
	}
	if in != "" {
		return fmt.Sprintf("the client's address is in excluded zone %s", in), nil
	}
	return "", nil
}

// inAnyZone returns the first of ids whose zone holds req.IP, "" when
// none does (always with a nil matcher or a zero IP).
func inAnyZone(ctx context.Context, tx store.Tx, req Request, ids []string, zones ZoneMatcher) (string, error) {
	if zones == nil || !req.IP.IsValid() {
		return "", nil
	}
	for _, id := range ids {
		in, err := zones.InZone(ctx, tx, req.Server.TenantID, id, req.IP)
		if err != nil {
			return "", fmt.Errorf("authserver: zone %s: %w", id, err)
		}
		if in {
			return id, nil
		}
	}
	return "", nil
}

// requestKind is KindMachine for a client acting for itself (client
// credentials, or any grant without a user), else KindDelegated.
func requestKind(req Request) string {
	if req.GrantType == GrantClientCredentials || req.UserID == "" {
		return KindMachine
	}
	return KindDelegated
}

// clientMay reports whether a scope's client restriction lets clientID
// get it.
func clientMay(sc Scope, clientID string) bool {
	return len(sc.Clients) == 0 || slices.Contains(sc.Clients, clientID)
}

// refuse completes a refused decision.
func refuse(d Decision, sentinel error, reason string) (Decision, error) {
	d.Granted, d.Scopes, d.Reason = false, nil, reason
	return d, fmt.Errorf("%w: %s", sentinel, reason)
}

func policyStep(p *Policy, matched bool, reason string) Step {
	return Step{PolicyID: p.ID, PolicyName: p.Name, Matched: matched, Reason: reason}
}

func ruleStep(p *Policy, r *Rule, matched bool, reason string) Step {
	return Step{PolicyID: p.ID, PolicyName: p.Name, RuleID: r.ID, RuleName: r.Name, Matched: matched, Reason: reason}
}

// dedupe returns names in order without repeats.
func dedupe(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
