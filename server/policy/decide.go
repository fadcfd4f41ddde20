package policy

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// DefaultRule is the Rule of a decision made by the built-in default
// policy, which applies when neither the app nor the tenant has a
// sign-on policy: allow with a password or an email code, one factor, any
// live session.
const DefaultRule = "(built-in default)"

// Subject is the person a sign-on decision is about, once the first
// factor proved who they are.
type Subject struct {
	ID     string
	TypeID string
	// Status is the lifecycle status (ACTIVE, PASSWORD_EXPIRED, …).
	Status string
	// Groups are the names of the person's groups.
	Groups []string
}

// SignOnInput is what a sign-on decision is made on.
type SignOnInput struct {
	// AppID is the app the person signs in to.
	AppID string
	// IP is the client's address; the invalid zero value when unknown.
	IP netip.Addr
	// User is the person; nil before they are authenticated.
	User *Subject
}

// SignOnDecision is what a sign-on policy decided.
type SignOnDecision struct {
	// Rule names the rule that decided: DefaultRule for the built-in
	// default, "" when no rule matched (which refuses).
	Rule string
	// Allow says whether the person may sign in.
	Allow bool
	// Authenticators are the names the person may use, most preferred
	// first; empty when refused.
	Authenticators []string
	// Factors is how many different authenticators the sign-in needs (1
	// or 2); 0 when refused.
	Factors int
	// ReauthAfter is how old the last authentication of a live session
	// may be for it to count; 0 means any live session will do.
	ReauthAfter time.Duration
	// Enroll are the authenticators to ask a person who has none of them
	// to set up once signed in (see Rule.Enroll).
	Enroll []string
	// EnrollGrace is the rule's enrollment grace (see Rule.EnrollGrace).
	EnrollGrace time.Duration
}

// defaultDecision is the built-in default policy's decision.
func defaultDecision() SignOnDecision {
	return SignOnDecision{Rule: DefaultRule, Allow: true, Authenticators: []string{AuthPassword, AuthEmail}, Factors: 1}
}

// SignOn decides how a person may sign in to an app of the tenant.
//
// The policy is the app's own, else the tenant default; with neither,
// the built-in default decides (see DefaultRule). The policy's rules are
// evaluated in order and the first whose condition holds decides: allow
// with its authenticators, factors and reauthentication window, or deny.
// When no rule matches, the sign-in is refused (Rule "").
//
// Conditions read three variables, each a map:
//   - app: id;
//   - network: ip (text, "" when unknown) and zones (the names of the
//     tenant's network zones holding the address);
//   - user: id, type, status and groups (names), once the person is
//     known.
//
// Before authentication (in.User nil) every rule whose condition reads
// user in any way is skipped, whatever it would say: the first step then
// depends only on the app and the network, never on whether an account
// exists, so it reveals nothing about accounts. The engine asks again
// with in.User once the first factor succeeded; then every rule is
// evaluated, and that decision (which may deny, or demand a second
// factor) is the one that counts. A policy whose every rule reads user
// refuses everyone before authentication: end it with a rule that does
// not.
//
// A condition that fails to evaluate (its runtime cost limit reached, a
// stored condition that no longer compiles) refuses the sign-in with that
// rule's name rather than skip it, so a broken deny rule never lets
// anyone through; the error is logged. A cancelled ctx returns its error.
func (s *Service) SignOn(ctx context.Context, tx store.Tx, tenantID string, in SignOnInput) (SignOnDecision, error) {
	if err := ctx.Err(); err != nil {
		return SignOnDecision{}, err
	}
	id, p, err := s.effective(ctx, tx, tenantID, in.AppID)
	if err != nil {
		return SignOnDecision{}, fmt.Errorf("policy: sign-on policy: %w", err)
	}
	if p == nil {
		return defaultDecision(), nil
	}
	ip := ""
	if in.IP.IsValid() {
		ip = in.IP.Unmap().WithZone("").String()
	}
	network := map[string]any{"ip": ip, "zones": []string{}}
	zonesRead := false
	vars := map[string]any{
		varApp:     map[string]any{"id": in.AppID},
		varNetwork: network,
		varUser:    map[string]any{},
	}
	if u := in.User; u != nil {
		groups := slices.Clone(u.Groups)
		if groups == nil {
			groups = []string{}
		}
		vars[varUser] = map[string]any{"id": u.ID, "type": u.TypeID, "status": u.Status, "groups": groups}
	}
	for i, r := range p.rules {
		c := p.conds[i]
		if c == nil {
			s.d.Logger.WarnContext(ctx, "policy: stored sign-on condition does not compile; refusing",
				"tenant_id", tenantID, "policy_id", id, "rule", r.Name, "err", p.errs[i])
			return SignOnDecision{Rule: r.Name}, nil
		}
		if c.readsUser && in.User == nil {
			continue
		}
		if !c.always() {
			if c.readsZones && !zonesRead {
				zones, err := s.d.Zones.ZonesContaining(ctx, tx, tenantID, in.IP)
				if err != nil {
					return SignOnDecision{}, fmt.Errorf("policy: network zones: %w", err)
				}
				if zones == nil {
					zones = []string{}
				}
				network["zones"], zonesRead = zones, true
			}
			ok, err := c.eval(ctx, vars)
			if err != nil {
				if ctx.Err() != nil {
					return SignOnDecision{}, ctx.Err()
				}
				s.d.Logger.WarnContext(ctx, "policy: sign-on condition failed; refusing",
					"tenant_id", tenantID, "policy_id", id, "rule", r.Name, "err", err)
				return SignOnDecision{Rule: r.Name}, nil
			}
			if !ok {
				continue
			}
		}
		if r.Access != AccessAllow {
			return SignOnDecision{Rule: r.Name}, nil
		}
		return SignOnDecision{Rule: r.Name, Allow: true, Authenticators: slices.Clone(r.Authenticators),
			Factors: r.Factors, ReauthAfter: r.ReauthenticateAfter, Enroll: slices.Clone(r.Enroll), EnrollGrace: r.EnrollGrace}, nil
	}
	return SignOnDecision{}, nil
}
