package federation

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"

	"golang.org/x/net/idna"

	"github.com/lintel-id/lintel/internal/dnsname"
	"github.com/lintel-id/lintel/server/store"
)

// emailDomain returns the normalized domain of an address ("" when it has
// none).
func emailDomain(email string) string {
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return ""
	}
	d := strings.TrimSuffix(email[i+1:], ".")
	a, err := idna.Lookup.ToASCII(d)
	if err != nil || !dnsname.Valid(a) {
		return ""
	}
	return strings.ToLower(a)
}

// matchDomain reports whether a normalized email domain matches a rule's
// domain pattern.
func matchDomain(pattern, domain string) bool {
	if domain == "" {
		return false
	}
	if suffix, ok := strings.CutPrefix(pattern, "*"); ok && strings.HasPrefix(suffix, ".") {
		return len(domain) > len(suffix) && strings.HasSuffix(domain, suffix)
	}
	return domain == pattern
}

// RouteInput is what is known of a sign-in when routing: nothing but the
// app and the address before the person has typed anything, the email
// after.
type RouteInput struct {
	Email string
	AppID string
	// IP is the client's address (the zero Addr when unknown: it is in
	// no zone).
	IP netip.Addr
	// Groups are the names of the person's groups, once known.
	Groups []string
}

// Route is the decision of a routing rule.
type Route struct {
	// Rule is the ID of the rule that matched.
	Rule string
	// Mode is the rule's mode (ModeRedirect: go to IdPs[0]).
	Mode string
	// IdPs are the rule's enabled identity providers, in its order, with
	// their secrets opened.
	IdPs []IdP
}

// Route finds the first of the tenant's rules, by priority, whose every
// non-empty condition holds for in and that offers at least one enabled
// identity provider; false when none does. Domains hold only when
// in.Email is set and its domain matches; Zones when a zone (checked with
// tenant.Service.InZone) holds in.IP; Groups when in.Groups has one of
// them (ignoring case); Apps when in.AppID is one of them. Call it before
// the person types anything and again once the email is known.
func (s *Service) Route(ctx context.Context, tx store.Tx, tenantID string, in RouteInput) (Route, bool, error) {
	rules, err := s.ListRules(ctx, tx, tenantID)
	if err != nil {
		return Route{}, false, err
	}
	domain := emailDomain(in.Email)
	inZone := map[string]bool{} // zone ID → holds in.IP, for this call
	for _, r := range rules {
		ok, err := s.matches(ctx, tx, tenantID, r.Match, in, domain, inZone)
		if err != nil {
			return Route{}, false, err
		}
		if !ok {
			continue
		}
		var idps []IdP
		for _, id := range r.IdPs {
			p, err := s.IdP(ctx, tx, tenantID, id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return Route{}, false, err
			}
			if p.Enabled {
				idps = append(idps, p)
			}
		}
		if len(idps) > 0 {
			return Route{Rule: r.ID, Mode: r.Mode, IdPs: idps}, true, nil
		}
	}
	return Route{}, false, nil
}

// matches reports whether every non-empty condition of m holds.
func (s *Service) matches(ctx context.Context, tx store.Tx, tenantID string, m Match, in RouteInput, domain string, inZone map[string]bool) (bool, error) {
	if len(m.Domains) > 0 && !slices.ContainsFunc(m.Domains, func(p string) bool { return matchDomain(p, domain) }) {
		return false, nil
	}
	if len(m.Apps) > 0 && (in.AppID == "" || !slices.Contains(m.Apps, in.AppID)) {
		return false, nil
	}
	if len(m.Groups) > 0 && !slices.ContainsFunc(m.Groups, func(g string) bool {
		return slices.ContainsFunc(in.Groups, func(h string) bool { return strings.EqualFold(g, h) })
	}) {
		return false, nil
	}
	if len(m.Zones) == 0 {
		return true, nil
	}
	for _, z := range m.Zones {
		held, seen := inZone[z]
		if !seen {
			var err error
			held, err = s.d.Tenants.InZone(ctx, tx, tenantID, z, in.IP)
			if errors.Is(err, store.ErrNotFound) {
				held, err = false, nil // a zone deleted since: never holds
			}
			if err != nil {
				return false, err
			}
			inZone[z] = held
		}
		if held {
			return true, nil
		}
	}
	return false, nil
}
