package authserver

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// updateScope runs UpdateScope in a committed transaction.
func (e *env) updateScope(t *testing.T, old Scope, p ScopePatch) (Scope, error) {
	t.Helper()
	var sc Scope
	err := e.do(t, func(ctx context.Context, tx store.Tx) error {
		var err error
		sc, err = e.svc.UpdateScope(ctx, tx, tenantA, old.ServerID, old.ID, p)
		return err
	})
	return sc, err
}

func TestUpdateScopeRefusesCycles(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.server(t, tenantA, ServerInput{Name: "api"})
		c := e.scope(t, tenantA, srv.ID, machine("c"))
		b := e.scope(t, tenantA, srv.ID, machine("b", "c"))
		a := e.scope(t, tenantA, srv.ID, machine("a", "b"))
		for _, tc := range []struct {
			name    string
			scope   Scope
			implies []string
			path    string
		}{
			{"refuses a→b→c→a, naming the path", c, []string{"a"}, "c → a → b → c"},
			{"refuses a two-scope cycle", b, []string{"c", "a"}, "b → a → b"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.updateScope(t, tc.scope, ScopePatch{Implies: &tc.implies})
				wantFields(t, err, "implies")
				if !strings.Contains(err.Error(), tc.path) {
					t.Fatalf("error %v does not show the path %s", err, tc.path)
				}
			})
		}
		t.Run("refuses implying itself", func(t *testing.T) {
			self := []string{"a"}
			_, err := e.updateScope(t, a, ScopePatch{Implies: &self})
			wantFields(t, err, "implies[0]")
		})
		t.Run("accepts a diamond", func(t *testing.T) {
			both := []string{"b", "c"}
			if _, err := e.updateScope(t, a, ScopePatch{Implies: &both}); err != nil {
				t.Fatal(err)
			}
		})
	})
}

func TestUpdateScope(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.server(t, tenantA, ServerInput{Name: "api", ScopePattern: `[a-z.]+`})
		read := e.scope(t, tenantA, srv.ID, machine("orders.read"))
		e.scope(t, tenantA, srv.ID, machine("orders.write", "orders.read"))
		free := e.scope(t, tenantA, srv.ID, machine("free"))
		openid := scopeNamed(t, e, srv.ID, ScopeOpenID)
		e.clk.Advance(time.Minute)
		desc, kinds, clients, yes := "Read orders", []string{KindDelegated, KindMachine}, []string{"app_1"}, true
		up, err := e.updateScope(t, read, ScopePatch{Description: &desc, Kinds: &kinds, Clients: &clients, Consent: &yes, Default: &yes})
		if err != nil || up.Description != desc || !slices.Equal(up.Kinds, kinds) || !slices.Equal(up.Clients, clients) ||
			!up.Consent || !up.Default || up.Name != read.Name || !up.UpdatedAt.After(read.UpdatedAt) {
			t.Fatalf("updated %+v, %v", up, err)
		}
		t.Run("renames a scope nothing uses", func(t *testing.T) {
			name := "freed"
			if sc, err := e.updateScope(t, free, ScopePatch{Name: &name}); err != nil || sc.Name != name {
				t.Fatalf("renamed %+v, %v", sc, err)
			}
		})
		t.Run("changes a system scope but its name", func(t *testing.T) {
			desc := "Sign in."
			if sc, err := e.updateScope(t, openid, ScopePatch{Description: &desc, Default: &yes}); err != nil || !sc.Default || !sc.System {
				t.Fatalf("updated %+v, %v", sc, err)
			}
		})
		for _, tc := range []struct {
			name  string
			scope Scope
			to    string
			kind  error
			field string
		}{
			{"refuses renaming a system scope", openid, "login", ErrBuiltIn, "name"},
			{"refuses renaming an implied scope", read, "orders.get", ErrInUse, "name"},
			{"refuses a name taken by another scope", free, "orders.write", store.ErrConflict, "name"},
			{"refuses a system scope's name", free, ScopeEmail, nil, "name"},
			{"refuses a name the pattern does not match", free, "Free", nil, "name"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.updateScope(t, tc.scope, ScopePatch{Name: &tc.to})
				if tc.kind != nil {
					wantKind(t, err, tc.kind, tc.field)
				} else {
					wantFields(t, err, tc.field)
				}
			})
		}
	})
}

// scopeNamed returns the scope of a server with this name.
func scopeNamed(t *testing.T, e *env, serverID, name string) Scope {
	t.Helper()
	list := get(t, e, func(ctx context.Context, tx store.Tx) ([]Scope, error) {
		return e.svc.Scopes(ctx, tx, tenantA, serverID)
	})
	i := slices.IndexFunc(list, func(sc Scope) bool { return sc.Name == name })
	if i < 0 {
		t.Fatalf("no scope %q", name)
	}
	return list[i]
}

func TestDeleteScope(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.server(t, tenantA, ServerInput{Name: "api"})
		read := e.scope(t, tenantA, srv.ID, machine("orders.read"))
		write := e.scope(t, tenantA, srv.ID, machine("orders.write", "orders.read"))
		ruled := e.scope(t, tenantA, srv.ID, machine("ruled"))
		claimed := e.scope(t, tenantA, srv.ID, machine("claimed"))
		pol := e.policy(t, tenantA, srv.ID, PolicyInput{Name: "Machines", Priority: 1, Clients: []string{AllClients}})
		e.rule(t, tenantA, pol.ID, RuleInput{Name: "M2M", Priority: 1, GrantTypes: []string{GrantClientCredentials}, Scopes: []string{"ruled"}})
		e.ok(t, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO auth_claims (id, server_id, tenant_id, name, target, expression, scopes, max_bytes,
				override_editable, active, created_at, updated_at) VALUES ('clm_1', ?, ?, 'dept', 'access', '"x"', '["claimed"]', 3, FALSE, TRUE, ?, ?)`,
				srv.ID, tenantA, t0, t0)
			return err
		})
		del := func(id string) error {
			return e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteScope(ctx, tx, tenantA, srv.ID, id) })
		}
		for _, tc := range []struct {
			name, id, user string
			kind           error
		}{
			{"refuses a system scope", scopeNamed(t, e, srv.ID, ScopeOfflineAccess).ID, "", ErrBuiltIn},
			{"refuses a scope another implies, naming it", read.ID, `scope "orders.write"`, ErrInUse},
			{"refuses a scope a rule allows, naming it", ruled.ID, `rule "M2M" of policy "Machines"`, ErrInUse},
			{"refuses a scope a claim names, naming it", claimed.ID, `claim "dept"`, ErrInUse},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := del(tc.id)
				wantKind(t, err, tc.kind, "name")
				if !strings.Contains(err.Error(), tc.user) {
					t.Fatalf("error %v does not name %s", err, tc.user)
				}
			})
		}
		t.Run("deletes a scope nothing uses, then the one it implied", func(t *testing.T) {
			for _, id := range []string{write.ID, read.ID} {
				if err := del(id); err != nil {
					t.Fatal(err)
				}
			}
			wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Scope(ctx, tx, tenantA, srv.ID, read.ID)
				return err
			}))
		})
	})
}
