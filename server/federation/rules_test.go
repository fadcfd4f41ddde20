package federation

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/server/store"
)

// createRule creates a routing rule of tenant A, failing the test on an
// error.
func (w *fedWorld) createRule(t *testing.T, in RuleInput) Rule {
	t.Helper()
	var r Rule
	w.must(t, func(ctx context.Context, tx store.Tx) (err error) {
		r, err = w.svc.CreateRule(ctx, tx, w.a, in)
		return err
	})
	return r
}

func TestRuleCRUD(t *testing.T) {
	eachFedWorld(t, func(t *testing.T, w *fedWorld) {
		one := w.createIdP(t, w.a, oidcInput("One", "s"))
		two := w.createIdP(t, w.a, oidcInput("Two", "s"))
		r := w.createRule(t, RuleInput{Name: " Staff ", Priority: 10, IdPs: []string{two.ID, one.ID}, Match: Match{
			Domains: []string{"Acme.COM.", "*.acme.com", "bücher.example"}, Apps: []string{w.app[w.a]},
			Zones: []string{w.office}, Groups: []string{"Staff"}}})
		want := Match{Domains: []string{"acme.com", "*.acme.com", "xn--bcher-kva.example"}, Apps: []string{w.app[w.a]},
			Zones: []string{w.office}, Groups: []string{"Staff"}}
		if !ident.Valid("idr", r.ID) || r.Name != "Staff" || r.Mode != ModeButtons || !reflect.DeepEqual(r.Match, want) ||
			!reflect.DeepEqual(r.IdPs, []string{two.ID, one.ID}) || !r.CreatedAt.Equal(fedT0) {
			t.Fatalf("created %+v", r)
		}
		first := w.createRule(t, RuleInput{Name: "first", Priority: 1, IdPs: []string{one.ID}, Mode: ModeRedirect})
		tie := w.createRule(t, RuleInput{Name: "tie", Priority: 10, IdPs: []string{one.ID}})
		w.must(t, func(ctx context.Context, tx store.Tx) error {
			got, err := w.svc.Rule(ctx, tx, w.a, r.ID)
			if err != nil || !reflect.DeepEqual(got, r) {
				t.Errorf("read back %+v, %v; want %+v", got, err, r)
			}
			if _, err := w.svc.Rule(ctx, tx, w.b, r.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("another tenant's rule: %v", err)
			}
			list, err := w.svc.ListRules(ctx, tx, w.a)
			if err != nil {
				return err
			}
			var ids []string
			for _, l := range list {
				ids = append(ids, l.ID)
			}
			tied := []string{r.ID, tie.ID}
			slices.Sort(tied)
			if !reflect.DeepEqual(ids, append([]string{first.ID}, tied...)) {
				t.Errorf("order %v, want by priority then ID", ids)
			}
			return nil
		})
		w.clk.Advance(time.Minute)
		w.must(t, func(ctx context.Context, tx store.Tx) error {
			got, err := w.svc.UpdateRule(ctx, tx, w.a, r.ID, RuleInput{Name: "Staff", Priority: 0, IdPs: []string{one.ID}, Mode: ModeRedirect})
			if err != nil {
				return err
			}
			back, err := w.svc.Rule(ctx, tx, w.a, r.ID)
			if err != nil || !reflect.DeepEqual(back, got) || back.Mode != ModeRedirect || len(back.Match.Domains) != 0 ||
				!back.UpdatedAt.Equal(fedT0.Add(time.Minute)) || !back.CreatedAt.Equal(fedT0) {
				t.Errorf("updated %+v, read back %+v, %v", got, back, err)
			}
			return nil
		})
		if err := w.do(t, func(ctx context.Context, tx store.Tx) error {
			_, err := w.svc.UpdateRule(ctx, tx, w.b, r.ID, RuleInput{Name: "x", IdPs: []string{one.ID}})
			return err
		}); !errors.Is(err, ErrNotFound) {
			t.Errorf("updating another tenant's rule: %v", err)
		}
		w.must(t, func(ctx context.Context, tx store.Tx) error { return w.svc.DeleteRule(ctx, tx, w.a, r.ID) })
		if err := w.do(t, func(ctx context.Context, tx store.Tx) error { return w.svc.DeleteRule(ctx, tx, w.a, r.ID) }); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleting twice: %v", err)
		}
	})
}

func TestRuleRefuses(t *testing.T) {
	eachFedWorld(t, func(t *testing.T, w *fedWorld) {
		idp := w.createIdP(t, w.a, oidcInput("One", "s"))
		otherIdP := w.createIdP(t, w.b, oidcInput("B", "s"))
		ok := func(f func(*RuleInput)) RuleInput {
			in := RuleInput{Name: "rule", IdPs: []string{idp.ID}}
			f(&in)
			return in
		}
		many := make([]string, MaxRuleConditions+1)
		for i := range many {
			many[i] = strings.Repeat("a", i+1) + ".example"
		}
		cases := []struct {
			name, field string
			in          RuleInput
		}{
			{"an empty name", "name", ok(func(in *RuleInput) { in.Name = "" })},
			{"a negative priority", "priority", ok(func(in *RuleInput) { in.Priority = -1 })},
			{"a priority too large", "priority", ok(func(in *RuleInput) { in.Priority = MaxRulePriority + 1 })},
			{"an unknown mode", "mode", ok(func(in *RuleInput) { in.Mode = "popup" })},
			{"no IdP", "idps", ok(func(in *RuleInput) { in.IdPs = nil })},
			{"an unknown IdP", "idps[0]", ok(func(in *RuleInput) { in.IdPs = []string{"idp_nope"} })},
			{"another tenant's IdP", "idps[1]", ok(func(in *RuleInput) { in.IdPs = []string{idp.ID, otherIdP.ID} })},
			{"an IdP twice", "idps[1]", ok(func(in *RuleInput) { in.IdPs = []string{idp.ID, idp.ID} })},
			{"too many IdPs", "idps", ok(func(in *RuleInput) { in.IdPs = make([]string, MaxRuleIdPs+1) })},
			{"a domain that is not one", "match.domains[0]", ok(func(in *RuleInput) { in.Match.Domains = []string{"acme com"} })},
			{"an address for a domain", "match.domains[0]", ok(func(in *RuleInput) { in.Match.Domains = []string{"ann@acme.com"} })},
			{"a single label", "match.domains[0]", ok(func(in *RuleInput) { in.Match.Domains = []string{"localhost"} })},
			{"a wildcard inside", "match.domains[0]", ok(func(in *RuleInput) { in.Match.Domains = []string{"a.*.acme.com"} })},
			{"a bare wildcard", "match.domains[0]", ok(func(in *RuleInput) { in.Match.Domains = []string{"*"} })},
			{"a domain twice, once in capitals", "match.domains[1]", ok(func(in *RuleInput) { in.Match.Domains = []string{"acme.com", "ACME.com"} })},
			{"too many domains", "match.domains", ok(func(in *RuleInput) { in.Match.Domains = many })},
			{"another tenant's app", "match.apps[0]", ok(func(in *RuleInput) { in.Match.Apps = []string{w.app[w.b]} })},
			{"an unknown zone", "match.zones[0]", ok(func(in *RuleInput) { in.Match.Zones = []string{"nzn_nope"} })},
			{"an empty group", "match.groups[0]", ok(func(in *RuleInput) { in.Match.Groups = []string{""} })},
			{"a group name too long", "match.groups[0]", ok(func(in *RuleInput) { in.Match.Groups = []string{strings.Repeat("g", MaxGroupNameLen+1)} })},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := w.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := w.svc.CreateRule(ctx, tx, w.a, c.in)
					return err
				})
				if !errors.Is(err, ErrConfig) || !hasField(err, c.field) {
					t.Errorf("got %v, want ErrConfig naming %s", err, c.field)
				}
			})
		}
		w.must(t, func(ctx context.Context, tx store.Tx) error {
			list, err := w.svc.ListRules(ctx, tx, w.a)
			if len(list) != 0 {
				t.Errorf("refused rules were written: %+v", list)
			}
			return err
		})
	})
}

func TestRoute(t *testing.T) {
	eachFedWorld(t, func(t *testing.T, w *fedWorld) {
		acme := w.createIdP(t, w.a, oidcInput("Acme", "acme-secret"))
		subs := w.createIdP(t, w.a, oidcInput("Subsidiaries", "s"))
		office := w.createIdP(t, w.a, oidcInput("Office", "s"))
		staff := w.createIdP(t, w.a, oidcInput("Staff", "s"))
		portal := w.createIdP(t, w.a, oidcInput("Portal", "s"))
		off := oidcInput("Disabled", "s")
		off.Enabled = false
		disabled := w.createIdP(t, w.a, off)
		fallback := w.createIdP(t, w.a, oidcInput("Fallback", "s"))

		rule := func(name string, prio int, m Match, mode string, idps ...IdP) string {
			var ids []string
			for _, p := range idps {
				ids = append(ids, p.ID)
			}
			return w.createRule(t, RuleInput{Name: name, Priority: prio, Match: m, IdPs: ids, Mode: mode}).ID
		}
		rDisabled := rule("disabled only", 0, Match{Domains: []string{"acme.com"}}, ModeRedirect, disabled)
		rAcme := rule("acme", 10, Match{Domains: []string{"acme.com"}}, ModeRedirect, disabled, acme)
		rSubs := rule("subsidiaries", 20, Match{Domains: []string{"*.acme.com"}}, ModeButtons, subs)
		rOffice := rule("office on the portal", 30, Match{Zones: []string{w.vpn, w.office}, Apps: []string{w.app[w.a]}}, ModeButtons, office)
		rStaff := rule("staff", 40, Match{Groups: []string{"Staff", "Admins"}}, ModeButtons, staff)
		rPortal := rule("portal", 50, Match{Apps: []string{w.app[w.a]}}, ModeButtons, portal)
		rAll := rule("everyone", 60, Match{}, ModeButtons, fallback, disabled)
		_ = rDisabled

		cases := []struct {
			name string
			in   RouteInput
			rule string
			idps []string
		}{
			{"an exact domain, past a rule of disabled IdPs", RouteInput{Email: "ann@acme.com"}, rAcme, []string{acme.ID}},
			{"a domain in capitals", RouteInput{Email: "Ann@ACME.com"}, rAcme, []string{acme.ID}},
			{"a subdomain by wildcard", RouteInput{Email: "bob@eu.acme.com"}, rSubs, []string{subs.ID}},
			{"a deeper subdomain", RouteInput{Email: "bob@x.eu.acme.com"}, rSubs, []string{subs.ID}},
			{"a look-alike domain matches neither", RouteInput{Email: "eve@evilacme.com"}, rAll, []string{fallback.ID}},
			{"a zone and app", RouteInput{AppID: w.app[w.a], IP: netip.MustParseAddr("10.1.2.3")}, rOffice, []string{office.ID}},
			{"the other zone, IPv4-mapped", RouteInput{AppID: w.app[w.a], IP: netip.MustParseAddr("::ffff:192.0.2.9")}, rOffice, []string{office.ID}},
			{"a zone without the app", RouteInput{IP: netip.MustParseAddr("10.1.2.3")}, rAll, []string{fallback.ID}},
			{"the app outside the zones", RouteInput{AppID: w.app[w.a], IP: netip.MustParseAddr("203.0.113.1")}, rPortal, []string{portal.ID}},
			{"the app without an address", RouteInput{AppID: w.app[w.a]}, rPortal, []string{portal.ID}},
			{"a group, ignoring case", RouteInput{Groups: []string{"users", "admins"}}, rStaff, []string{staff.ID}},
			{"domain before groups by priority", RouteInput{Email: "ann@acme.com", Groups: []string{"Staff"}}, rAcme, []string{acme.ID}},
			{"no email yet", RouteInput{}, rAll, []string{fallback.ID}},
			{"an email without domain", RouteInput{Email: "ann"}, rAll, []string{fallback.ID}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				w.must(t, func(ctx context.Context, tx store.Tx) error {
					got, ok, err := w.svc.Route(ctx, tx, w.a, c.in)
					if err != nil || !ok {
						t.Fatalf("Route: %v, %v", ok, err)
					}
					var ids []string
					for _, p := range got.IdPs {
						ids = append(ids, p.ID)
						if !p.Enabled {
							t.Errorf("routed to disabled %s", p.ID)
						}
					}
					if got.Rule != c.rule || !reflect.DeepEqual(ids, c.idps) {
						t.Errorf("got rule %s with %v, want %s with %v", got.Rule, ids, c.rule, c.idps)
					}
					return nil
				})
			})
		}
		w.must(t, func(ctx context.Context, tx store.Tx) error {
			got, _, err := w.svc.Route(ctx, tx, w.a, RouteInput{Email: "ann@acme.com"})
			if err != nil || got.Mode != ModeRedirect || got.IdPs[0].Secret != "acme-secret" {
				t.Errorf("route %+v, %v: want redirect with the secret opened", got, err)
			}
			// Without the catch-all, nothing matches; another tenant has no rules.
			if err := w.svc.DeleteRule(ctx, tx, w.a, rAll); err != nil {
				return err
			}
			if got, ok, err := w.svc.Route(ctx, tx, w.a, RouteInput{Email: "eve@example.org"}); ok || err != nil {
				t.Errorf("no rule matches: got %+v, %v, %v", got, ok, err)
			}
			if _, ok, err := w.svc.Route(ctx, tx, w.b, RouteInput{Email: "ann@acme.com"}); ok || err != nil {
				t.Errorf("tenant B: %v, %v", ok, err)
			}
			// A zone deleted since the rule was written never holds.
			if err := w.tenants.DeleteZone(ctx, tx, w.a, w.office); err != nil {
				return err
			}
			got, _, err = w.svc.Route(ctx, tx, w.a, RouteInput{AppID: w.app[w.a], IP: netip.MustParseAddr("10.1.2.3")})
			if err != nil || got.Rule != rPortal {
				t.Errorf("after deleting the zone: %+v, %v", got, err)
			}
			return nil
		})
	})
}

func TestMatchDomain(t *testing.T) {
	cases := []struct {
		pattern, email string
		want           bool
	}{
		{"acme.com", "a@acme.com", true},
		{"acme.com", "a@ACME.COM.", true},
		{"acme.com", "a@eu.acme.com", false},
		{"*.acme.com", "a@eu.acme.com", true},
		{"*.acme.com", "a@acme.com", false},
		{"*.acme.com", "a@evilacme.com", false},
		{"xn--bcher-kva.example", "a@Bücher.example", true},
		{"acme.com", "a@b@acme.com", true},
		{"acme.com", "acme.com", false},
		{"acme.com", "", false},
	}
	for _, c := range cases {
		if got := matchDomain(normalizeRuleDomain(c.pattern), emailDomain(c.email)); got != c.want {
			t.Errorf("%q on %q: %v, want %v", c.pattern, c.email, got, c.want)
		}
	}
}

// FuzzMatchDomain checks that rule domains and email addresses from
// outside never panic the matcher, that an accepted domain matches an
// address at itself, and that a wildcard never matches its apex.
func FuzzMatchDomain(f *testing.F) {
	for _, s := range [][2]string{{"acme.com", "a@acme.com"}, {"*.acme.com", "a@eu.acme.com"}, {"Bücher.example", "x@xn--bcher-kva.example"},
		{"*.", "a@."}, {"a..b", "@"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, email string) {
		p := normalizeRuleDomain(pattern)
		d := emailDomain(email)
		matched := matchDomain(p, d)
		if !validRuleDomain(p) {
			return
		}
		apex := strings.TrimPrefix(p, "*.")
		if strings.HasPrefix(p, "*.") {
			if matchDomain(p, apex) || !matchDomain(p, emailDomain("a@x."+apex)) {
				t.Errorf("wildcard %q: apex or subdomain wrong", p)
			}
		} else if !matchDomain(p, emailDomain("a@"+p)) {
			t.Errorf("%q does not match an address at itself", p)
		}
		if matched && !strings.HasSuffix(d, apex) {
			t.Errorf("%q matched %q", p, d)
		}
	})
}
