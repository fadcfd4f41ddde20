package authserver

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

const day = 24 * time.Hour

// m2m is a valid rule input to vary.
func m2m(name string) RuleInput {
	return RuleInput{Name: name, Priority: 1, GrantTypes: []string{GrantClientCredentials}, Scopes: []string{AnyScope}}
}

func TestCreateRule(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.server(t, tenantA, ServerInput{Name: "api"})
		e.scope(t, tenantA, srv.ID, machine("orders.read"))
		p := e.policy(t, tenantA, srv.ID, PolicyInput{Name: "P", Priority: 1, Clients: []string{AllClients}})
		with := func(name string, f func(*RuleInput)) RuleInput {
			in := m2m(name)
			f(&in)
			return in
		}
		for _, tc := range []struct {
			name  string
			in    RuleInput
			check func(Rule) bool
		}{
			{"accepts every grant type", with("grants", func(in *RuleInput) { in.GrantTypes = slices.Clone(ruleGrantTypes) }), nil},
			{"stores short grant names as the grant type", with("short", func(in *RuleInput) { in.GrantTypes = []string{"device_code", "token_exchange"} }),
				func(r Rule) bool { return slices.Equal(r.GrantTypes, []string{GrantDeviceCode, GrantTokenExchange}) }},
			{"accepts named scopes, system ones too", with("named", func(in *RuleInput) { in.Scopes = []string{"orders.read", ScopeOpenID} }), nil},
			{"accepts groups and zones", with("where", func(in *RuleInput) {
				in.Groups, in.Zones, in.ExcludeZones = ids("grp", MaxGroups), ids("nzn", MaxZones), []string{"nzn_other"}
			}), nil},
			{"accepts the shortest lifetimes", with("short-lived", func(in *RuleInput) {
				in.AccessTokenLifetime, in.RefreshTokenLifetime, in.RefreshTokenIdle = 5*time.Minute, time.Hour, 5*time.Minute
			}), nil},
			{"accepts the longest lifetimes", with("long-lived", func(in *RuleInput) {
				in.AccessTokenLifetime, in.RefreshTokenLifetime, in.RefreshTokenIdle = day, 3650*day, 3650*day
			}), nil},
			{"accepts an idle window up to the default refresh lifetime", with("idle", func(in *RuleInput) { in.RefreshTokenIdle = DefaultRefreshTokenLifetime }), nil},
			{"accepts a denying, inactive rule", with("deny", func(in *RuleInput) { in.Deny, in.Inactive = true, true }),
				func(r Rule) bool { return r.Deny && !r.Active }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.rule(t, tenantA, p.ID, tc.in)
				got := get(t, e, func(ctx context.Context, tx store.Tx) (Rule, error) { return e.svc.Rule(ctx, tx, tenantA, p.ID, r.ID) })
				if fmt.Sprint(got) != fmt.Sprint(r) || r.PolicyID != p.ID || !strings.HasPrefix(r.ID, "rul_") || tc.check != nil && !tc.check(r) {
					t.Fatalf("read back %+v, created %+v", got, r)
				}
			})
		}
	})
}

func TestCreateRuleRefusesBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.server(t, tenantA, ServerInput{Name: "api"})
		other := e.server(t, tenantA, ServerInput{Name: "other"})
		e.scope(t, tenantA, other.ID, machine("elsewhere"))
		p := e.policy(t, tenantA, srv.ID, PolicyInput{Name: "P", Priority: 1, Clients: []string{AllClients}})
		e.rule(t, tenantA, p.ID, m2m("Taken"))
		before := e.counts(t)
		with := func(f func(*RuleInput)) RuleInput {
			in := m2m("x")
			f(&in)
			return in
		}
		for _, tc := range []struct {
			name   string
			in     RuleInput
			fields []string
		}{
			{"refuses an empty name", with(func(in *RuleInput) { in.Name = "" }), []string{"name"}},
			{"refuses priority 0", with(func(in *RuleInput) { in.Priority = 0 }), []string{"priority"}},
			{"refuses priority 1001", with(func(in *RuleInput) { in.Priority = 1001 }), []string{"priority"}},
			{"refuses no grant type", with(func(in *RuleInput) { in.GrantTypes = nil }), []string{"grant_types"}},
			{"refuses the implicit grant", with(func(in *RuleInput) { in.GrantTypes = []string{"implicit"} }), []string{"grant_types[0]"}},
			{"refuses the password grant", with(func(in *RuleInput) { in.GrantTypes = []string{GrantRefreshToken, "password"} }), []string{"grant_types[1]"}},
			{"refuses a grant type twice, alias or not", with(func(in *RuleInput) { in.GrantTypes = []string{GrantDeviceCode, "device_code"} }), []string{"grant_types[1]"}},
			{"refuses no scope", with(func(in *RuleInput) { in.Scopes = nil }), []string{"scopes"}},
			{"refuses any scope with others", with(func(in *RuleInput) { in.Scopes = []string{ScopeOpenID, AnyScope} }), []string{"scopes"}},
			{"refuses an unknown scope", with(func(in *RuleInput) { in.Scopes = []string{ScopeOpenID, "nope"} }), []string{"scopes[1]"}},
			{"refuses another server's scope", with(func(in *RuleInput) { in.Scopes = []string{"elsewhere"} }), []string{"scopes[0]"}},
			{"refuses a scope twice", with(func(in *RuleInput) { in.Scopes = []string{ScopeOpenID, ScopeOpenID} }), []string{"scopes[1]"}},
			{"refuses 101 groups", with(func(in *RuleInput) { in.Groups = ids("grp", 101) }), []string{"groups"}},
			{"refuses a group twice", with(func(in *RuleInput) { in.Groups = []string{"grp_1", "grp_1"} }), []string{"groups[1]"}},
			{"refuses 51 zones", with(func(in *RuleInput) { in.Zones = ids("nzn", 51) }), []string{"zones"}},
			{"refuses 51 excluded zones", with(func(in *RuleInput) { in.ExcludeZones = ids("nzn", 51) }), []string{"exclude_zones"}},
			{"refuses a bad zone ID", with(func(in *RuleInput) { in.Zones = []string{"a zone"} }), []string{"zones[0]"}},
			{"refuses a zone both included and excluded", with(func(in *RuleInput) { in.Zones, in.ExcludeZones = []string{"nzn_1"}, []string{"nzn_2", "nzn_1"} }),
				[]string{"exclude_zones[1]"}},
			{"refuses an access lifetime under 5 minutes", with(func(in *RuleInput) { in.AccessTokenLifetime = 5*time.Minute - time.Second }), []string{"access_token_lifetime"}},
			{"refuses an access lifetime over 24 hours", with(func(in *RuleInput) { in.AccessTokenLifetime = day + time.Second }), []string{"access_token_lifetime"}},
			{"refuses a negative access lifetime", with(func(in *RuleInput) { in.AccessTokenLifetime = -time.Hour }), []string{"access_token_lifetime"}},
			{"refuses a fraction of a second", with(func(in *RuleInput) { in.AccessTokenLifetime = time.Hour + time.Millisecond }), []string{"access_token_lifetime"}},
			{"refuses a refresh lifetime under an hour", with(func(in *RuleInput) { in.RefreshTokenLifetime = 59 * time.Minute }), []string{"refresh_token_lifetime"}},
			{"refuses a refresh lifetime over 3650 days", with(func(in *RuleInput) { in.RefreshTokenLifetime = 3651 * day }), []string{"refresh_token_lifetime"}},
			{"refuses an idle window under 5 minutes", with(func(in *RuleInput) { in.RefreshTokenIdle = time.Minute }), []string{"refresh_token_idle"}},
			{"refuses an idle window over the refresh lifetime", with(func(in *RuleInput) { in.RefreshTokenLifetime, in.RefreshTokenIdle = 2*time.Hour, 3*time.Hour }),
				[]string{"refresh_token_idle"}},
			{"refuses an idle window over the default refresh lifetime", with(func(in *RuleInput) { in.RefreshTokenIdle = DefaultRefreshTokenLifetime + time.Second }),
				[]string{"refresh_token_idle"}},
			{"reports every problem at once", RuleInput{Zones: []string{""}, AccessTokenLifetime: time.Second},
				[]string{"name", "priority", "grant_types", "scopes", "access_token_lifetime", "zones[0]"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.CreateRule(ctx, tx, tenantA, p.ID, tc.in)
					return err
				}), tc.fields...)
			})
		}
		t.Run("refuses a duplicate name in the policy", func(t *testing.T) {
			wantKind(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.CreateRule(ctx, tx, tenantA, p.ID, m2m("Taken"))
				return err
			}), store.ErrConflict, "name")
		})
		if after := e.counts(t); after != before {
			t.Fatalf("refused creations changed the rows from %v to %v", before, after)
		}
		t.Run("allows the same name in another policy", func(t *testing.T) {
			q := e.policy(t, tenantA, srv.ID, PolicyInput{Name: "Q", Priority: 2, Clients: []string{AllClients}})
			e.rule(t, tenantA, q.ID, m2m("Taken"))
		})
	})
}

func TestRuleZonesMustExist(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.svc.Zones = fakeZones{}
		srv := e.server(t, tenantA, ServerInput{Name: "api"})
		p := e.policy(t, tenantA, srv.ID, PolicyInput{Name: "P", Priority: 1, Clients: []string{AllClients}})
		in := m2m("office")
		in.Zones, in.ExcludeZones = []string{"nzn_office"}, []string{"nzn_vpn"}
		e.rule(t, tenantA, p.ID, in)
		in.Name, in.Zones, in.ExcludeZones = "unknown", []string{"nzn_office", "nzn_gone"}, []string{"nzn_lost"}
		wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
			_, err := e.svc.CreateRule(ctx, tx, tenantA, p.ID, in)
			return err
		}), "zones[1]", "exclude_zones[0]")
	})
}

func TestUpdateAndDeleteRule(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.server(t, tenantA, ServerInput{Name: "api"})
		p := e.policy(t, tenantA, srv.ID, PolicyInput{Name: "P", Priority: 1, Clients: []string{AllClients}})
		r := e.rule(t, tenantA, p.ID, m2m("R"))
		e.rule(t, tenantA, p.ID, m2m("Other"))
		e.clk.Advance(time.Minute)
		name, grants, access, deny, off := "Renamed", []string{GrantAuthorizationCode, GrantRefreshToken}, 10*time.Minute, true, false
		up := get(t, e, func(ctx context.Context, tx store.Tx) (Rule, error) {
			return e.svc.UpdateRule(ctx, tx, tenantA, p.ID, r.ID, RulePatch{Name: &name, GrantTypes: &grants, AccessTokenLifetime: &access, Deny: &deny, Active: &off})
		})
		if up.Name != name || !slices.Equal(up.GrantTypes, grants) || up.AccessTokenLifetime != access || !up.Deny || up.Active || !up.UpdatedAt.After(r.UpdatedAt) {
			t.Fatalf("updated %+v", up)
		}
		t.Run("refuses a name another rule of the policy has", func(t *testing.T) {
			other := "Other"
			wantKind(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdateRule(ctx, tx, tenantA, p.ID, r.ID, RulePatch{Name: &other})
				return err
			}), store.ErrConflict, "name")
		})
		t.Run("refuses a bad patch", func(t *testing.T) {
			none, idle := []string{}, 4*time.Minute
			wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdateRule(ctx, tx, tenantA, p.ID, r.ID, RulePatch{Scopes: &none, RefreshTokenIdle: &idle})
				return err
			}), "scopes", "refresh_token_idle")
		})
		t.Run("deletes a rule", func(t *testing.T) {
			e.ok(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteRule(ctx, tx, tenantA, p.ID, r.ID) })
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Rule(ctx, tx, tenantA, p.ID, r.ID)
				return err
			}))
		})
	})
}
