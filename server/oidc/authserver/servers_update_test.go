package authserver

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

func TestUpdateServer(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.server(t, tenantA, ServerInput{Name: "orders", IssuerMode: IssuerFixed, IssuerHost: "login.acme.com"})
		e.clk.Advance(time.Minute)
		desc, aud, mode, host, size, off := " Orders API ", []string{"api://orders"}, IssuerDynamic, "", 8192, false
		up := get(t, e, func(ctx context.Context, tx store.Tx) (Server, error) {
			return e.svc.UpdateServer(ctx, tx, tenantA, srv.ID, ServerPatch{Description: &desc, Audiences: &aud,
				IssuerMode: &mode, IssuerHost: &host, MaxTokenBytes: &size, Active: &off})
		})
		if up.Description != "Orders API" || !slices.Equal(up.Audiences, aud) || up.IssuerMode != IssuerDynamic || up.IssuerHost != "" ||
			up.MaxTokenBytes != size || up.Active || up.Name != "orders" || !up.UpdatedAt.After(srv.UpdatedAt) || !up.CreatedAt.Equal(srv.CreatedAt) {
			t.Fatalf("updated %+v", up)
		}
		zero := 0
		reset := get(t, e, func(ctx context.Context, tx store.Tx) (Server, error) {
			return e.svc.UpdateServer(ctx, tx, tenantA, srv.ID, ServerPatch{MaxTokenBytes: &zero})
		})
		if reset.MaxTokenBytes != DefaultMaxTokenBytes {
			t.Fatalf("a zero limit became %d, want the default", reset.MaxTokenBytes)
		}
		def := e.defaultServer(t, tenantA)
		small, bad := 100, IssuerMode("x")
		for _, tc := range []struct {
			name   string
			id     string
			patch  ServerPatch
			kind   error
			fields []string
		}{
			{"refuses deactivating the default server", def.ID, ServerPatch{Active: &off}, ErrBuiltIn, []string{"active"}},
			{"refuses a bad limit", srv.ID, ServerPatch{MaxTokenBytes: &small}, nil, []string{"max_token_bytes"}},
			{"refuses a bad mode", srv.ID, ServerPatch{IssuerMode: &bad}, nil, []string{"issuer_mode"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.UpdateServer(ctx, tx, tenantA, tc.id, tc.patch)
					return err
				})
				if tc.kind != nil && !errors.Is(err, tc.kind) {
					t.Fatalf("got %v, want %v", err, tc.kind)
				}
				wantFields(t, err, tc.fields...)
			})
		}
	})
}

func TestUpdateServerChecksThePatternAgainstItsScopes(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.server(t, tenantA, ServerInput{Name: "api"})
		e.scope(t, tenantA, srv.ID, machine("orders.read"))
		e.scope(t, tenantA, srv.ID, machine("billing.read"))
		pattern := func(p string) error {
			return e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdateServer(ctx, tx, tenantA, srv.ID, ServerPatch{ScopePattern: &p})
				return err
			})
		}
		t.Run("refuses a pattern an existing scope does not match, naming it", func(t *testing.T) {
			err := pattern(`orders\..+`)
			wantFields(t, err, "scope_pattern")
			if !strings.Contains(err.Error(), `"billing.read"`) || strings.Contains(err.Error(), `"orders.read"`) {
				t.Fatalf("error %v does not name exactly billing.read", err)
			}
		})
		t.Run("anchors the pattern", func(t *testing.T) { wantFields(t, pattern(`orders|billing`), "scope_pattern") })
		t.Run("accepts a pattern every scope matches, ignoring system scopes", func(t *testing.T) {
			if err := pattern(`[a-z]+\.read`); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("then refuses a new scope that does not match", func(t *testing.T) {
			wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.CreateScope(ctx, tx, tenantA, srv.ID, machine("orders.write"))
				return err
			}), "name")
		})
	})
}

func TestUpdateServerChecksTheIssuerHost(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.svc.Hosts = fakeHosts{}
		srv := e.server(t, tenantA, ServerInput{Name: "api"})
		fixed, good, other := IssuerFixed, "login.acme.com", "login.other.com"
		set := func(host *string) error {
			return e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdateServer(ctx, tx, tenantA, srv.ID, ServerPatch{IssuerMode: &fixed, IssuerHost: host})
				return err
			})
		}
		wantFields(t, set(&other), "issuer_host")
		if err := set(&good); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDeleteServer(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		def := e.defaultServer(t, tenantA)
		t.Run("refuses the default server", func(t *testing.T) {
			wantKind(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				return e.svc.DeleteServer(ctx, tx, tenantA, def.ID)
			}), ErrBuiltIn, "name")
		})
		before := e.counts(t)
		srv := e.server(t, tenantA, ServerInput{Name: "api"})
		e.scope(t, tenantA, srv.ID, machine("orders.read"))
		pol := e.policy(t, tenantA, srv.ID, PolicyInput{Name: "P", Priority: 1, Clients: []string{AllClients}})
		e.rule(t, tenantA, pol.ID, RuleInput{Name: "R", Priority: 1, GrantTypes: []string{GrantClientCredentials}, Scopes: []string{"orders.read"}})
		e.ok(t, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO auth_claims (id, server_id, tenant_id, name, target, expression, scopes, max_bytes,
				override_editable, active, created_at, updated_at) VALUES ('clm_1', ?, ?, 'dept', 'access', '"x"', '[]', 3, FALSE, TRUE, ?, ?)`,
				srv.ID, tenantA, t0, t0)
			return err
		})
		e.ok(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteServer(ctx, tx, tenantA, srv.ID) })
		if after := e.counts(t); after != before || e.count(t, "auth_claims") != 0 {
			t.Fatalf("deleting a server left rows %v (claims %d), want %v", after, e.count(t, "auth_claims"), before)
		}
		wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
			_, err := e.svc.Server(ctx, tx, tenantA, srv.ID)
			return err
		}))
	})
}

func TestServersAreTenantScoped(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.server(t, tenantA, ServerInput{Name: "api"})
		sc := e.scope(t, tenantA, srv.ID, machine("orders.read"))
		pol := e.policy(t, tenantA, srv.ID, PolicyInput{Name: "P", Priority: 1, Clients: []string{AllClients}})
		rule := e.rule(t, tenantA, pol.ID, RuleInput{Name: "R", Priority: 1, GrantTypes: []string{GrantClientCredentials}, Scopes: []string{AnyScope}})
		other := e.server(t, tenantA, ServerInput{Name: "other"})
		otherPol := e.policy(t, tenantA, other.ID, PolicyInput{Name: "P", Priority: 1, Clients: []string{AllClients}})
		desc := "stolen"
		for _, tc := range []struct {
			name string
			fn   func(ctx context.Context, tx store.Tx) error
		}{
			{"cannot read another tenant's server", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Server(ctx, tx, tenantB, srv.ID)
				return err
			}},
			{"cannot find it by name", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.ServerByName(ctx, tx, tenantB, "api")
				return err
			}},
			{"cannot update it", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdateServer(ctx, tx, tenantB, srv.ID, ServerPatch{Description: &desc})
				return err
			}},
			{"cannot delete it", func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteServer(ctx, tx, tenantB, srv.ID) }},
			{"cannot list its scopes", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Scopes(ctx, tx, tenantB, srv.ID)
				return err
			}},
			{"cannot add a scope", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.CreateScope(ctx, tx, tenantB, srv.ID, machine("x"))
				return err
			}},
			{"cannot read a scope", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Scope(ctx, tx, tenantB, srv.ID, sc.ID)
				return err
			}},
			{"cannot update a scope", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdateScope(ctx, tx, tenantB, srv.ID, sc.ID, ScopePatch{Description: &desc})
				return err
			}},
			{"cannot delete a scope", func(ctx context.Context, tx store.Tx) error {
				return e.svc.DeleteScope(ctx, tx, tenantB, srv.ID, sc.ID)
			}},
			{"cannot add a policy", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.CreatePolicy(ctx, tx, tenantB, srv.ID, PolicyInput{Name: "x", Priority: 1, Clients: []string{AllClients}})
				return err
			}},
			{"cannot list policies", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Policies(ctx, tx, tenantB, srv.ID)
				return err
			}},
			{"cannot read the active policies", func(ctx context.Context, tx store.Tx) error {
				_, _, err := e.svc.ActivePolicies(ctx, tx, tenantB, srv.ID)
				return err
			}},
			{"cannot update a policy", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdatePolicy(ctx, tx, tenantB, srv.ID, pol.ID, PolicyPatch{Description: &desc})
				return err
			}},
			{"cannot delete a policy", func(ctx context.Context, tx store.Tx) error {
				return e.svc.DeletePolicy(ctx, tx, tenantB, srv.ID, pol.ID)
			}},
			{"cannot add a rule", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.CreateRule(ctx, tx, tenantB, pol.ID, RuleInput{Name: "x"})
				return err
			}},
			{"cannot list rules", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Rules(ctx, tx, tenantB, pol.ID)
				return err
			}},
			{"cannot read a rule", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Rule(ctx, tx, tenantB, pol.ID, rule.ID)
				return err
			}},
			{"cannot update a rule", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdateRule(ctx, tx, tenantB, pol.ID, rule.ID, RulePatch{Name: &desc})
				return err
			}},
			{"cannot delete a rule", func(ctx context.Context, tx store.Tx) error {
				return e.svc.DeleteRule(ctx, tx, tenantB, pol.ID, rule.ID)
			}},
			{"cannot reach a scope through another server", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Scope(ctx, tx, tenantA, other.ID, sc.ID)
				return err
			}},
			{"cannot reach a policy through another server", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Policy(ctx, tx, tenantA, other.ID, pol.ID)
				return err
			}},
			{"cannot reach a rule through another policy", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Rule(ctx, tx, tenantA, otherPol.ID, rule.ID)
				return err
			}},
		} {
			t.Run(tc.name, func(t *testing.T) { wantNotFound(t, e.do(t, tc.fn)) })
		}
		list := get(t, e, func(ctx context.Context, tx store.Tx) ([]Server, error) { return e.svc.ListServers(ctx, tx, tenantB) })
		if len(list) != 0 {
			t.Fatalf("tenant B lists %d servers", len(list))
		}
	})
}
