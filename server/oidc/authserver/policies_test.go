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

func TestCreatePolicy(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.server(t, tenantA, ServerInput{Name: "api"})
		for _, tc := range []struct {
			name string
			in   PolicyInput
		}{
			{"accepts every client", PolicyInput{Name: "All", Priority: 1, Clients: []string{AllClients}}},
			{"accepts 100 clients and the last priority", PolicyInput{Name: "Few", Priority: MaxPriority, Clients: ids("app", MaxClients)}},
			{"accepts a name with spaces and a description", PolicyInput{Name: "  Partner apps ", Description: "For partners.", Priority: 5, Clients: []string{"app_1"}}},
			{"may start inactive", PolicyInput{Name: "Off", Priority: 2, Clients: []string{AllClients}, Inactive: true}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := e.policy(t, tenantA, srv.ID, tc.in)
				got := get(t, e, func(ctx context.Context, tx store.Tx) (Policy, error) {
					return e.svc.Policy(ctx, tx, tenantA, srv.ID, p.ID)
				})
				if fmt.Sprint(got) != fmt.Sprint(p) || p.Name != strings.TrimSpace(tc.in.Name) || p.Active == tc.in.Inactive ||
					p.ServerID != srv.ID || !strings.HasPrefix(p.ID, "pol_") {
					t.Fatalf("read back %+v, created %+v", got, p)
				}
			})
		}
	})
}

func TestCreatePolicyRefusesBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.server(t, tenantA, ServerInput{Name: "api"})
		e.policy(t, tenantA, srv.ID, PolicyInput{Name: "Taken", Priority: 1, Clients: []string{AllClients}})
		before := e.counts(t)
		all := []string{AllClients}
		for _, tc := range []struct {
			name   string
			in     PolicyInput
			fields []string
		}{
			{"refuses an empty name", PolicyInput{Name: " ", Priority: 1, Clients: all}, []string{"name"}},
			{"refuses a name of 101 characters", PolicyInput{Name: strings.Repeat("n", 101), Priority: 1, Clients: all}, []string{"name"}},
			{"refuses a control character in the name", PolicyInput{Name: "a\tb", Priority: 1, Clients: all}, []string{"name"}},
			{"refuses a description of 501 characters", PolicyInput{Name: "x", Description: strings.Repeat("d", 501), Priority: 1, Clients: all}, []string{"description"}},
			{"refuses priority 0", PolicyInput{Name: "x", Clients: all}, []string{"priority"}},
			{"refuses priority 1001", PolicyInput{Name: "x", Priority: 1001, Clients: all}, []string{"priority"}},
			{"refuses no clients", PolicyInput{Name: "x", Priority: 1}, []string{"clients"}},
			{"refuses every client with others", PolicyInput{Name: "x", Priority: 1, Clients: []string{"app_1", AllClients}}, []string{"clients"}},
			{"refuses 101 clients", PolicyInput{Name: "x", Priority: 1, Clients: ids("app", 101)}, []string{"clients"}},
			{"refuses a client twice", PolicyInput{Name: "x", Priority: 1, Clients: []string{"app_1", "app_1"}}, []string{"clients[1]"}},
			{"refuses an empty client ID", PolicyInput{Name: "x", Priority: 1, Clients: []string{""}}, []string{"clients[0]"}},
			{"reports every problem at once", PolicyInput{}, []string{"name", "priority", "clients"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.CreatePolicy(ctx, tx, tenantA, srv.ID, tc.in)
					return err
				}), tc.fields...)
			})
		}
		t.Run("refuses a duplicate name", func(t *testing.T) {
			wantKind(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.CreatePolicy(ctx, tx, tenantA, srv.ID, PolicyInput{Name: "Taken", Priority: 2, Clients: all})
				return err
			}), store.ErrConflict, "name")
		})
		if after := e.counts(t); after != before {
			t.Fatalf("refused creations changed the rows from %v to %v", before, after)
		}
	})
}

func TestPoliciesAndRulesOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.server(t, tenantA, ServerInput{Name: "api"})
		all := []string{AllClients}
		mk := func(name string, prio int, active bool) Policy {
			return e.policy(t, tenantA, srv.ID, PolicyInput{Name: name, Priority: prio, Clients: all, Inactive: !active})
		}
		mk("b", 5, true)
		first := mk("z", 1, true)
		mk("c", 5, true)
		off := mk("a", 2, false)
		rule := func(p Policy, name string, prio int, active bool) {
			e.rule(t, tenantA, p.ID, RuleInput{Name: name, Priority: prio, GrantTypes: []string{GrantClientCredentials},
				Scopes: []string{AnyScope}, Inactive: !active})
		}
		rule(first, "Zed", 3, true)
		rule(first, "Beta", 1, true)
		rule(first, "Alpha", 3, true)
		rule(first, "Off", 2, false)
		rule(off, "Any", 1, true)
		names := func(list []Policy) (out []string) {
			for _, p := range list {
				out = append(out, p.Name)
			}
			return out
		}
		ruleNames := func(list []Rule) (out []string) {
			for _, r := range list {
				out = append(out, r.Name)
			}
			return out
		}
		listed := get(t, e, func(ctx context.Context, tx store.Tx) ([]Policy, error) {
			return e.svc.Policies(ctx, tx, tenantA, srv.ID)
		})
		if got, want := names(listed), []string{"z", "a", "b", "c"}; !slices.Equal(got, want) {
			t.Errorf("Policies listed %q, want %q", got, want)
		}
		rules := get(t, e, func(ctx context.Context, tx store.Tx) ([]Rule, error) { return e.svc.Rules(ctx, tx, tenantA, first.ID) })
		if got, want := ruleNames(rules), []string{"Beta", "Off", "Alpha", "Zed"}; !slices.Equal(got, want) {
			t.Errorf("Rules listed %q, want %q", got, want)
		}
		pols, byPolicy := activePolicies(t, e, tenantA, srv.ID)
		if got, want := names(pols), []string{"z", "b", "c"}; !slices.Equal(got, want) {
			t.Errorf("ActivePolicies gave %q, want %q", got, want)
		}
		if got, want := ruleNames(byPolicy[first.ID]), []string{"Beta", "Alpha", "Zed"}; !slices.Equal(got, want) || len(byPolicy) != 1 {
			t.Errorf("ActivePolicies gave rules %q (of %d policies), want %q", got, len(byPolicy), want)
		}
	})
}

func TestUpdateAndDeletePolicy(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.server(t, tenantA, ServerInput{Name: "api"})
		p := e.policy(t, tenantA, srv.ID, PolicyInput{Name: "P", Priority: 1, Clients: []string{AllClients}})
		e.policy(t, tenantA, srv.ID, PolicyInput{Name: "Other", Priority: 1, Clients: []string{AllClients}})
		e.rule(t, tenantA, p.ID, RuleInput{Name: "R1", Priority: 1, GrantTypes: []string{GrantClientCredentials}, Scopes: []string{AnyScope}})
		e.rule(t, tenantA, p.ID, RuleInput{Name: "R2", Priority: 2, GrantTypes: []string{GrantClientCredentials}, Scopes: []string{AnyScope}})
		e.clk.Advance(time.Minute)
		name, prio, clients, off := "Partners", 7, []string{"app_1", "app_2"}, false
		up := get(t, e, func(ctx context.Context, tx store.Tx) (Policy, error) {
			return e.svc.UpdatePolicy(ctx, tx, tenantA, srv.ID, p.ID, PolicyPatch{Name: &name, Priority: &prio, Clients: &clients, Active: &off})
		})
		if up.Name != name || up.Priority != prio || !slices.Equal(up.Clients, clients) || up.Active || !up.UpdatedAt.After(p.UpdatedAt) {
			t.Fatalf("updated %+v", up)
		}
		t.Run("refuses a name another policy has", func(t *testing.T) {
			other := "Other"
			wantKind(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdatePolicy(ctx, tx, tenantA, srv.ID, p.ID, PolicyPatch{Name: &other})
				return err
			}), store.ErrConflict, "name")
		})
		t.Run("refuses a bad patch", func(t *testing.T) {
			zero, none := 0, []string{}
			wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdatePolicy(ctx, tx, tenantA, srv.ID, p.ID, PolicyPatch{Priority: &zero, Clients: &none})
				return err
			}), "priority", "clients")
		})
		t.Run("deletes a policy with its rules", func(t *testing.T) {
			e.ok(t, func(ctx context.Context, tx store.Tx) error {
				return e.svc.DeletePolicy(ctx, tx, tenantA, srv.ID, p.ID)
			})
			if n := e.count(t, "auth_policy_rules"); n != 0 {
				t.Fatalf("%d rules left", n)
			}
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Rules(ctx, tx, tenantA, p.ID)
				return err
			}))
		})
	})
}
