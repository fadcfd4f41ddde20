package authserver

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// Clients, groups and zones of the decision tests.
const (
	appWeb     = "app_web"
	appPartner = "app_partner"
	appService = "app_svc"
	grpAdmins  = "grp_admins"
	grpStaff   = "grp_staff"
	zoneOffice = "nzn_office"
	zoneGuest  = "nzn_guest"
	zoneBlock  = "nzn_blocked"
)

// fakeZoneMatcher places addresses in the zones of tenantA.
type fakeZoneMatcher struct{}

func (fakeZoneMatcher) InZone(_ context.Context, _ store.Tx, tenantID, zoneID string, ip netip.Addr) (bool, error) {
	prefixes := map[string]string{zoneOffice: "10.0.0.0/8", zoneGuest: "10.9.0.0/16", zoneBlock: "192.0.2.0/24"}
	p, ok := prefixes[zoneID]
	return tenantID == tenantA && ok && netip.MustParsePrefix(p).Contains(ip), nil
}

var _ ZoneMatcher = fakeZoneMatcher{}

// decisionWorld is the configuration the decision table runs against.
type decisionWorld struct {
	orders, bare, empty Server
	rules               map[string]Rule // by name
}

// newDecisionWorld creates three servers of tenantA:
//
//	orders — scopes (besides the system ones):
//	  orders.read   delegated+machine, default
//	  orders.write  delegated+machine, implies orders.read
//	  orders.admin  delegated, implies orders.write (two levels)
//	  orders.export delegated, implies reports.run
//	  reports.run   machine
//	  partner.sync  delegated+machine, only app_partner
//	  audit.read    delegated, implies partner.sync
//	policies by priority:
//	  1 partner   [app_partner]  partner machine: client_credentials, partner.sync orders.read
//	  2 dormant   [*], inactive  deny everything
//	  3 web       [app_web]      1 block:   deny, authorization_code refresh_token, *, in nzn_blocked
//	                             2 admins:  authorization_code, orders.*, group grp_admins, 10m/2h/30m
//	                             3 office:  authorization_code, orders.write, in nzn_office, not nzn_guest
//	                             4 dormant: inactive, authorization_code, *
//	                             5 readers: authorization_code refresh_token, orders.read openid profile audit.read orders.export
//	                             6 rest:    deny, every grant type, *
//	  4 machines  [*]            1 grouped: deny, client_credentials, *, group grp_admins
//	                             2 services: client_credentials, *, 5m
//	bare — scope x.read (delegated), no default; policy "partner only" [app_partner] allowing everything
//	empty — scope y.read (delegated), no policy
func newDecisionWorld(t *testing.T, e *env) decisionWorld {
	t.Helper()
	w := decisionWorld{rules: map[string]Rule{}}
	w.orders = e.server(t, tenantA, ServerInput{Name: "orders"})
	both := []string{KindDelegated, KindMachine}
	for _, in := range []ScopeInput{
		{Name: "orders.read", Kinds: both, Default: true},
		{Name: "orders.write", Kinds: both, Implies: []string{"orders.read"}},
		{Name: "orders.admin", Kinds: []string{KindDelegated}, Implies: []string{"orders.write"}},
		{Name: "reports.run", Kinds: []string{KindMachine}},
		{Name: "orders.export", Kinds: []string{KindDelegated}, Implies: []string{"reports.run"}},
		{Name: "partner.sync", Kinds: both, Clients: []string{appPartner}},
		{Name: "audit.read", Kinds: []string{KindDelegated}, Implies: []string{"partner.sync"}},
	} {
		e.scope(t, tenantA, w.orders.ID, in)
	}
	code, refresh, cc := GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials
	every := []string{code, refresh, cc, GrantDeviceCode, GrantTokenExchange}
	for _, p := range []struct {
		in    PolicyInput
		rules []RuleInput
	}{
		{PolicyInput{Name: "partner", Priority: 1, Clients: []string{appPartner}}, []RuleInput{
			{Name: "partner machine", Priority: 1, GrantTypes: []string{cc}, Scopes: []string{"partner.sync", "orders.read"}},
		}},
		{PolicyInput{Name: "dormant", Priority: 2, Clients: []string{AllClients}, Inactive: true}, []RuleInput{
			{Name: "deny all", Priority: 1, GrantTypes: every, Scopes: []string{AnyScope}, Deny: true},
		}},
		{PolicyInput{Name: "web", Priority: 3, Clients: []string{appWeb, "app_mobile"}}, []RuleInput{
			{Name: "block", Priority: 1, GrantTypes: []string{code, refresh}, Scopes: []string{AnyScope}, Zones: []string{zoneBlock}, Deny: true},
			{Name: "admins", Priority: 2, GrantTypes: []string{code}, Scopes: []string{"orders.admin", "orders.write", "orders.read"},
				Groups: []string{grpAdmins}, AccessTokenLifetime: 10 * time.Minute, RefreshTokenLifetime: 2 * time.Hour, RefreshTokenIdle: 30 * time.Minute},
			{Name: "office", Priority: 3, GrantTypes: []string{code}, Scopes: []string{"orders.write"}, Zones: []string{zoneOffice}, ExcludeZones: []string{zoneGuest}},
			{Name: "dormant", Priority: 4, GrantTypes: []string{code}, Scopes: []string{AnyScope}, Inactive: true},
			{Name: "readers", Priority: 5, GrantTypes: []string{code, refresh}, Scopes: []string{"orders.read", "openid", "profile", "audit.read", "orders.export"}},
			{Name: "rest", Priority: 6, GrantTypes: every, Scopes: []string{AnyScope}, Deny: true},
		}},
		{PolicyInput{Name: "machines", Priority: 4, Clients: []string{AllClients}}, []RuleInput{
			{Name: "grouped", Priority: 1, GrantTypes: []string{cc}, Scopes: []string{AnyScope}, Groups: []string{grpAdmins}, Deny: true},
			{Name: "services", Priority: 2, GrantTypes: []string{cc}, Scopes: []string{AnyScope}, AccessTokenLifetime: 5 * time.Minute},
		}},
	} {
		pol := e.policy(t, tenantA, w.orders.ID, p.in)
		for _, in := range p.rules {
			w.rules[in.Name] = e.rule(t, tenantA, pol.ID, in)
		}
	}
	w.bare = e.server(t, tenantA, ServerInput{Name: "bare"})
	e.scope(t, tenantA, w.bare.ID, ScopeInput{Name: "x.read", Kinds: []string{KindDelegated}})
	pol := e.policy(t, tenantA, w.bare.ID, PolicyInput{Name: "partner only", Priority: 1, Clients: []string{appPartner}})
	e.rule(t, tenantA, pol.ID, RuleInput{Name: "all", Priority: 1, GrantTypes: []string{code}, Scopes: []string{AnyScope}})
	w.empty = e.server(t, tenantA, ServerInput{Name: "empty"})
	e.scope(t, tenantA, w.empty.ID, ScopeInput{Name: "y.read", Kinds: []string{KindDelegated}})
	return w
}

// traceShape renders a trace compactly: "policy: kind" or
// "policy/rule: kind", kind a keyword of the reason, "+" when matched.
func traceShape(steps []Step) []string {
	kinds := []struct{ needle, kind string }{
		{"not consulted", "skipped"}, {"does not apply", "client"}, {"applies", "applies"},
		{"inactive", "inactive"}, {"grant type", "grant"}, {"groups", "groups"},
		{"excluded zone", "excluded"}, {"none of the rule's zones", "zone"}, {"scope", "scope"},
		{"denies", "deny"}, {"allowed", "allow"},
	}
	out := []string{}
	for _, st := range steps {
		kind := "?" + st.Reason
		for _, k := range kinds {
			if strings.Contains(st.Reason, k.needle) {
				kind = k.kind
				break
			}
		}
		name := st.PolicyName
		if st.RuleName != "" {
			name += "/" + st.RuleName
		}
		if st.Matched {
			kind += "+"
		}
		out = append(out, name+": "+kind)
	}
	return out
}

// Trace fragments that recur in the table.
var (
	webHead      = []string{"partner: client", "web: applies+"}
	machinesHead = []string{"partner: client", "web: client", "machines: applies+"}
	machinesLast = "machines: skipped"
)

func steps(parts ...any) []string {
	var out []string
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			out = append(out, v)
		case []string:
			out = append(out, v...)
		}
	}
	return out
}

func TestDecide(t *testing.T) {
	office, guest, outside, blocked := netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("10.9.1.1"),
		netip.MustParseAddr("203.0.113.5"), netip.MustParseAddr("192.0.2.7")
	defaults := [3]time.Duration{DefaultAccessTokenLifetime, DefaultRefreshTokenLifetime, DefaultRefreshTokenIdle}
	type want struct {
		err       error
		rule      string // the deciding rule, "" for none
		scopes    []string
		lifetimes [3]time.Duration // checked when granted
		trace     []string
	}
	code, cc := GrantAuthorizationCode, GrantClientCredentials
	cases := []struct {
		name    string
		server  string // "orders" (default), "bare" or "empty"
		client  string
		grant   string
		scopes  []string
		user    string
		groups  []string
		ip      netip.Addr
		noZones bool
		want    want
	}{
		{name: "grants a reader's scope with the default lifetimes", client: appWeb, grant: code, scopes: []string{"orders.read"}, user: "usr_1", ip: outside,
			want: want{rule: "readers", scopes: []string{"orders.read"}, lifetimes: defaults, trace: steps(webHead,
				"web/block: zone", "web/admins: groups", "web/office: scope", "web/readers: allow+", "web/rest: skipped", machinesLast)}},
		{name: "expands implication over two levels with the rule's lifetimes", client: appWeb, grant: code, scopes: []string{"orders.admin"}, user: "usr_2", groups: []string{grpAdmins}, ip: outside,
			want: want{rule: "admins", scopes: []string{"orders.admin", "orders.write", "orders.read"}, lifetimes: [3]time.Duration{10 * time.Minute, 2 * time.Hour, 30 * time.Minute},
				trace: steps(webHead, "web/block: zone", "web/admins: allow+", "web/office: skipped", "web/readers: skipped", "web/rest: skipped", machinesLast)}},
		{name: "decides by rule priority: admins before readers", client: appWeb, grant: code, scopes: []string{"orders.read"}, user: "usr_2", groups: []string{grpStaff, grpAdmins}, ip: outside,
			want: want{rule: "admins", scopes: []string{"orders.read"}, lifetimes: [3]time.Duration{10 * time.Minute, 2 * time.Hour, 30 * time.Minute},
				trace: steps(webHead, "web/block: zone", "web/admins: allow+", "web/office: skipped", "web/readers: skipped", "web/rest: skipped", machinesLast)}},
		{name: "refuses the admin scope to a user outside the group", client: appWeb, grant: code, scopes: []string{"orders.admin"}, user: "usr_1", groups: []string{grpStaff}, ip: outside,
			want: want{err: ErrNoPolicy, rule: "rest", trace: steps(webHead,
				"web/block: zone", "web/admins: groups", "web/office: scope", "web/readers: scope", "web/rest: deny+", machinesLast)}},
		{name: "refuses when one asked scope is not allowed by the rule", client: appWeb, grant: code, scopes: []string{"orders.read", "orders.write"}, user: "usr_1", ip: outside,
			want: want{err: ErrNoPolicy, rule: "rest", trace: steps(webHead,
				"web/block: zone", "web/admins: groups", "web/office: scope", "web/readers: scope", "web/rest: deny+", machinesLast)}},
		{name: "covers the refresh grant by the readers rule", client: appWeb, grant: GrantRefreshToken, scopes: []string{"orders.read"}, user: "usr_1", ip: outside,
			want: want{rule: "readers", scopes: []string{"orders.read"}, lifetimes: defaults, trace: steps(webHead,
				"web/block: zone", "web/admins: grant", "web/office: grant", "web/readers: allow+", "web/rest: skipped", machinesLast)}},
		{name: "refuses a grant type no allow rule covers", client: appWeb, grant: GrantDeviceCode, scopes: []string{"orders.read"}, user: "usr_1", ip: outside,
			want: want{err: ErrNoPolicy, rule: "rest", trace: steps(webHead,
				"web/block: grant", "web/admins: grant", "web/office: grant", "web/readers: grant", "web/rest: deny+", machinesLast)}},
		{name: "matches the office rule inside the office zone", client: appWeb, grant: code, scopes: []string{"orders.write"}, user: "usr_1", ip: office,
			want: want{rule: "office", scopes: []string{"orders.write", "orders.read"}, lifetimes: defaults, trace: steps(webHead,
				"web/block: zone", "web/admins: groups", "web/office: allow+", "web/readers: skipped", "web/rest: skipped", machinesLast)}},
		{name: "excludes the guest network from the office rule", client: appWeb, grant: code, scopes: []string{"orders.write"}, user: "usr_1", ip: guest,
			want: want{err: ErrNoPolicy, rule: "rest", trace: steps(webHead,
				"web/block: zone", "web/admins: groups", "web/office: excluded", "web/readers: scope", "web/rest: deny+", machinesLast)}},
		{name: "does not match the office rule outside every zone", client: appWeb, grant: code, scopes: []string{"orders.write"}, user: "usr_1", ip: outside,
			want: want{err: ErrNoPolicy, rule: "rest", trace: steps(webHead,
				"web/block: zone", "web/admins: groups", "web/office: zone", "web/readers: scope", "web/rest: deny+", machinesLast)}},
		{name: "matches no zone with a nil zone matcher", client: appWeb, grant: code, scopes: []string{"orders.write"}, user: "usr_1", ip: office, noZones: true,
			want: want{err: ErrNoPolicy, rule: "rest", trace: steps(webHead,
				"web/block: zone", "web/admins: groups", "web/office: zone", "web/readers: scope", "web/rest: deny+", machinesLast)}},
		{name: "matches no zone with a zero address", client: appWeb, grant: code, scopes: []string{"orders.write"}, user: "usr_1",
			want: want{err: ErrNoPolicy, rule: "rest", trace: steps(webHead,
				"web/block: zone", "web/admins: groups", "web/office: zone", "web/readers: scope", "web/rest: deny+", machinesLast)}},
		{name: "refuses by a deny rule in the blocked zone before any allow rule", client: appWeb, grant: code, scopes: []string{"orders.read"}, user: "usr_2", groups: []string{grpAdmins}, ip: blocked,
			want: want{err: ErrNoPolicy, rule: "block", trace: steps(webHead,
				"web/block: deny+", "web/admins: skipped", "web/office: skipped", "web/readers: skipped", "web/rest: skipped", machinesLast)}},
		{name: "does not deny by zone with a nil zone matcher", client: appWeb, grant: code, scopes: []string{"orders.read"}, user: "usr_1", ip: blocked, noZones: true,
			want: want{rule: "readers", scopes: []string{"orders.read"}, lifetimes: defaults, trace: steps(webHead,
				"web/block: zone", "web/admins: groups", "web/office: scope", "web/readers: allow+", "web/rest: skipped", machinesLast)}},
		{name: "allows every scope to a service by the any-scope rule", client: appService, grant: cc, scopes: []string{"reports.run", "orders.write"},
			want: want{rule: "services", scopes: []string{"reports.run", "orders.write", "orders.read"},
				lifetimes: [3]time.Duration{5 * time.Minute, DefaultRefreshTokenLifetime, DefaultRefreshTokenIdle},
				trace:     steps(machinesHead, "machines/grouped: groups", "machines/services: allow+")}},
		{name: "never matches a rule with groups for client credentials", client: appService, grant: cc, scopes: []string{"orders.read"}, groups: []string{grpAdmins},
			want: want{rule: "services", scopes: []string{"orders.read"}, lifetimes: [3]time.Duration{5 * time.Minute, DefaultRefreshTokenLifetime, DefaultRefreshTokenIdle},
				trace: steps(machinesHead, "machines/grouped: groups", "machines/services: allow+")}},
		{name: "refuses a machine scope in a delegated grant", client: appWeb, grant: code, scopes: []string{"reports.run"}, user: "usr_1",
			want: want{err: ErrScopeNotAllowed, trace: []string{}}},
		{name: "refuses a delegated scope to client credentials", client: appService, grant: cc, scopes: []string{"orders.admin"},
			want: want{err: ErrScopeNotAllowed, trace: []string{}}},
		{name: "refuses a client-restricted scope to other clients", client: appService, grant: cc, scopes: []string{"partner.sync"},
			want: want{err: ErrScopeNotAllowed, trace: []string{}}},
		{name: "grants a client-restricted scope to its client", client: appPartner, grant: cc, scopes: []string{"partner.sync"},
			want: want{rule: "partner machine", scopes: []string{"partner.sync"}, lifetimes: defaults,
				trace: []string{"partner: applies+", "partner/partner machine: allow+", "web: skipped", machinesLast}}},
		{name: "uses the first applicable policy only, though a later one would allow", client: appPartner, grant: cc, scopes: []string{"reports.run"},
			want: want{err: ErrNoPolicy, trace: []string{"partner: applies+", "partner/partner machine: scope", "web: skipped", machinesLast}}},
		{name: "refuses a scope the server does not have", client: appWeb, grant: code, scopes: []string{"orders.delete"}, user: "usr_1",
			want: want{err: ErrScopeUnknown, trace: []string{}}},
		{name: "takes the default scopes when none is asked", client: appWeb, grant: code, user: "usr_1", ip: outside,
			want: want{rule: "readers", scopes: []string{"orders.read"}, lifetimes: defaults, trace: steps(webHead,
				"web/block: zone", "web/admins: groups", "web/office: scope", "web/readers: allow+", "web/rest: skipped", machinesLast)}},
		{name: "asks each scope once", client: appWeb, grant: code, scopes: []string{"orders.read", "orders.read"}, user: "usr_1", ip: outside,
			want: want{rule: "readers", scopes: []string{"orders.read"}, lifetimes: defaults, trace: steps(webHead,
				"web/block: zone", "web/admins: groups", "web/office: scope", "web/readers: allow+", "web/rest: skipped", machinesLast)}},
		{name: "drops an implied scope restricted to another client", client: appWeb, grant: code, scopes: []string{"audit.read"}, user: "usr_1", ip: outside,
			want: want{rule: "readers", scopes: []string{"audit.read"}, lifetimes: defaults, trace: steps(webHead,
				"web/block: zone", "web/admins: scope", "web/office: scope", "web/readers: allow+", "web/rest: skipped", machinesLast)}},
		{name: "drops an implied machine scope in a delegated grant", client: appWeb, grant: code, scopes: []string{"orders.export", "openid"}, user: "usr_1", ip: outside,
			want: want{rule: "readers", scopes: []string{"orders.export", "openid"}, lifetimes: defaults, trace: steps(webHead,
				"web/block: zone", "web/admins: scope", "web/office: scope", "web/readers: allow+", "web/rest: skipped", machinesLast)}},
		{name: "skips an inactive policy that would deny everything", client: appService, grant: cc, scopes: []string{"orders.read"},
			want: want{rule: "services", scopes: []string{"orders.read"}, lifetimes: [3]time.Duration{5 * time.Minute, DefaultRefreshTokenLifetime, DefaultRefreshTokenIdle},
				trace: steps(machinesHead, "machines/grouped: groups", "machines/services: allow+")}},
		{name: "skips an inactive rule that would allow", client: appWeb, grant: code, scopes: []string{"orders.admin"}, user: "usr_1", ip: office,
			want: want{err: ErrNoPolicy, rule: "rest", trace: steps(webHead,
				"web/block: zone", "web/admins: groups", "web/office: scope", "web/readers: scope", "web/rest: deny+", machinesLast)}},
		{name: "treats a grant without a user as a machine grant", client: appWeb, grant: code, scopes: []string{"orders.admin"},
			want: want{err: ErrScopeNotAllowed, trace: []string{}}},
		{name: "refuses a client no policy applies to", server: "bare", client: appWeb, grant: code, scopes: []string{"x.read"}, user: "usr_1",
			want: want{err: ErrNoPolicy, trace: []string{"partner only: client"}}},
		{name: "allows the client the policy names", server: "bare", client: appPartner, grant: code, scopes: []string{"x.read"}, user: "usr_1",
			want: want{rule: "all", scopes: []string{"x.read"}, lifetimes: defaults, trace: []string{"partner only: applies+", "partner only/all: allow+"}}},
		{name: "refuses when no scope is asked and the server has no default", server: "bare", client: appPartner, grant: code, user: "usr_1",
			want: want{err: ErrNoScope, trace: []string{}}},
		{name: "refuses every request to a server without a policy", server: "empty", client: appWeb, grant: code, scopes: []string{"y.read"}, user: "usr_1",
			want: want{err: ErrNoPolicy, trace: []string{}}},
	}
	eachBackend(t, func(t *testing.T, e *env) {
		w := newDecisionWorld(t, e)
		servers := map[string]Server{"": w.orders, "bare": w.bare, "empty": w.empty}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				req := Request{Server: servers[tc.server], ClientID: tc.client, GrantType: tc.grant, Scopes: tc.scopes,
					UserID: tc.user, Groups: tc.groups, IP: tc.ip}
				var zones ZoneMatcher = fakeZoneMatcher{}
				if tc.noZones {
					zones = nil
				}
				var d Decision
				err := e.do(t, func(ctx context.Context, tx store.Tx) (err error) {
					d, err = e.svc.Decide(ctx, tx, req, zones)
					return err
				})
				switch {
				case tc.want.err == nil && err != nil:
					t.Fatalf("refused: %v (trace %q)", err, traceShape(d.Trace))
				case tc.want.err != nil && !errors.Is(err, tc.want.err):
					t.Fatalf("got %v, want %v (trace %q)", err, tc.want.err, traceShape(d.Trace))
				}
				if d.Granted != (tc.want.err == nil) || (d.Reason == "") == (tc.want.err != nil) {
					t.Errorf("granted %v with reason %q", d.Granted, d.Reason)
				}
				if got := traceShape(d.Trace); !slices.Equal(got, tc.want.trace) {
					t.Errorf("trace\n got %q\nwant %q", got, tc.want.trace)
				}
				gotRule := ""
				if d.Rule != nil {
					gotRule = d.Rule.Name
					if d.Policy == nil || d.Rule.PolicyID != d.Policy.ID {
						t.Errorf("rule %s without its policy %+v", gotRule, d.Policy)
					}
				}
				if gotRule != tc.want.rule {
					t.Errorf("decided by rule %q, want %q", gotRule, tc.want.rule)
				}
				if !slices.Equal(d.Scopes, tc.want.scopes) {
					t.Errorf("scopes %q, want %q", d.Scopes, tc.want.scopes)
				}
				if got := [3]time.Duration{d.AccessTokenLifetime, d.RefreshTokenLifetime, d.RefreshTokenIdle}; d.Granted && got != tc.want.lifetimes {
					t.Errorf("lifetimes %v, want %v", got, tc.want.lifetimes)
				}
			})
		}
	})
}
