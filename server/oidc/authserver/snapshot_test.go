package authserver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

// snapWorld is the server the snapshot tests change: scopes orders.read
// and reports.run (machine, default), policy "main" for every client
// with rule "cc" (client credentials, any scope), access claim tier
// "gold".
type snapWorld struct {
	srv           Server
	read, reports Scope
	pol           Policy
	rule          Rule
	tier          Claim
}

func newSnapWorld(t *testing.T, e *env) snapWorld {
	t.Helper()
	var w snapWorld
	w.srv = e.server(t, tenantA, ServerInput{Name: "api"})
	w.read = e.scope(t, tenantA, w.srv.ID, ScopeInput{Name: "orders.read", Kinds: []string{KindMachine}, Default: true})
	w.reports = e.scope(t, tenantA, w.srv.ID, ScopeInput{Name: "reports.run", Kinds: []string{KindMachine}, Default: true})
	w.pol = e.policy(t, tenantA, w.srv.ID, PolicyInput{Name: "main", Priority: 10, Clients: []string{AllClients}})
	w.rule = e.rule(t, tenantA, w.pol.ID, RuleInput{Name: "cc", Priority: 10, GrantTypes: []string{GrantClientCredentials}, Scopes: []string{AnyScope}})
	w.tier = get(t, e, func(ctx context.Context, tx store.Tx) (Claim, error) {
		return e.svc.CreateClaim(ctx, tx, tenantA, w.srv.ID, ClaimInput{Name: "tier", Target: TargetAccess, Expression: `"gold"`})
	})
	return w
}

// observe runs a client-credentials request through svc in tx and sums
// up what it got: the granted scopes, lifetime and access claims, or the
// kind of refusal. Other errors are returned (for the store to retry).
func observe(ctx context.Context, tx store.Tx, svc *Service, srv Server) (string, error) {
	req := Request{Server: srv, ClientID: appService, GrantType: GrantClientCredentials}
	d, err := svc.Decide(ctx, tx, req, nil)
	for _, kind := range []error{ErrNoPolicy, ErrNoScope, ErrScopeUnknown, ErrScopeNotAllowed, store.ErrNotFound} {
		if errors.Is(err, kind) {
			return "refused: " + kind.Error(), nil
		}
	}
	if err != nil {
		return "", err
	}
	access, _, err := svc.TokenClaims(ctx, tx, req, d)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%v %v %v", d.Scopes, d.AccessTokenLifetime, access), nil
}

// seen observes in a transaction of its own.
func (e *env) seen(t *testing.T, svc *Service, srv Server) string {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (string, error) { return observe(ctx, tx, svc, srv) })
}

const snapBefore = "[orders.read reports.run] 1h0m0s map[tier:gold]"

func TestSnapshotSeesEveryChange(t *testing.T) {
	type mutation func(ctx context.Context, tx store.Tx, s *Service, w snapWorld) error
	tests := []struct {
		name   string
		change mutation
		want   string
	}{
		{"sees a new scope", func(ctx context.Context, tx store.Tx, s *Service, w snapWorld) error {
			_, err := s.CreateScope(ctx, tx, tenantA, w.srv.ID, ScopeInput{Name: "audit.read", Kinds: []string{KindMachine}, Default: true})
			return err
		}, "[audit.read orders.read reports.run] 1h0m0s map[tier:gold]"},
		{"sees a changed scope", func(ctx context.Context, tx store.Tx, s *Service, w snapWorld) error {
			_, err := s.UpdateScope(ctx, tx, tenantA, w.srv.ID, w.read.ID, ScopePatch{Default: new(false)})
			return err
		}, "[reports.run] 1h0m0s map[tier:gold]"},
		{"sees a deleted scope", func(ctx context.Context, tx store.Tx, s *Service, w snapWorld) error {
			return s.DeleteScope(ctx, tx, tenantA, w.srv.ID, w.reports.ID)
		}, "[orders.read] 1h0m0s map[tier:gold]"},
		{"sees a new claim", func(ctx context.Context, tx store.Tx, s *Service, w snapWorld) error {
			_, err := s.CreateClaim(ctx, tx, tenantA, w.srv.ID, ClaimInput{Name: "region", Target: TargetAccess, Expression: `"eu"`})
			return err
		}, "[orders.read reports.run] 1h0m0s map[region:eu tier:gold]"},
		{"sees a changed claim", func(ctx context.Context, tx store.Tx, s *Service, w snapWorld) error {
			_, err := s.UpdateClaim(ctx, tx, tenantA, w.srv.ID, w.tier.ID, ClaimInput{Name: "tier", Target: TargetAccess, Expression: `"silver"`})
			return err
		}, "[orders.read reports.run] 1h0m0s map[tier:silver]"},
		{"sees a deleted claim", func(ctx context.Context, tx store.Tx, s *Service, w snapWorld) error {
			return s.DeleteClaim(ctx, tx, tenantA, w.srv.ID, w.tier.ID)
		}, "[orders.read reports.run] 1h0m0s map[]"},
		{"sees a new policy", func(ctx context.Context, tx store.Tx, s *Service, w snapWorld) error {
			_, err := s.CreatePolicy(ctx, tx, tenantA, w.srv.ID, PolicyInput{Name: "first", Priority: 1, Clients: []string{AllClients}})
			return err
		}, "refused: " + ErrNoPolicy.Error()},
		{"sees a changed policy", func(ctx context.Context, tx store.Tx, s *Service, w snapWorld) error {
			_, err := s.UpdatePolicy(ctx, tx, tenantA, w.srv.ID, w.pol.ID, PolicyPatch{Active: new(false)})
			return err
		}, "refused: " + ErrNoPolicy.Error()},
		{"sees a deleted policy", func(ctx context.Context, tx store.Tx, s *Service, w snapWorld) error {
			return s.DeletePolicy(ctx, tx, tenantA, w.srv.ID, w.pol.ID)
		}, "refused: " + ErrNoPolicy.Error()},
		{"sees a new rule", func(ctx context.Context, tx store.Tx, s *Service, w snapWorld) error {
			_, err := s.CreateRule(ctx, tx, tenantA, w.pol.ID, RuleInput{Name: "deny", Priority: 1, Deny: true,
				GrantTypes: []string{GrantClientCredentials}, Scopes: []string{AnyScope}})
			return err
		}, "refused: " + ErrNoPolicy.Error()},
		{"sees a changed rule", func(ctx context.Context, tx store.Tx, s *Service, w snapWorld) error {
			_, err := s.UpdateRule(ctx, tx, tenantA, w.pol.ID, w.rule.ID, RulePatch{AccessTokenLifetime: new(5 * time.Minute)})
			return err
		}, "[orders.read reports.run] 5m0s map[tier:gold]"},
		{"sees a deleted rule", func(ctx context.Context, tx store.Tx, s *Service, w snapWorld) error {
			return s.DeleteRule(ctx, tx, tenantA, w.pol.ID, w.rule.ID)
		}, "refused: " + ErrNoPolicy.Error()},
		{"sees a deleted server", func(ctx context.Context, tx store.Tx, s *Service, w snapWorld) error {
			return s.DeleteServer(ctx, tx, tenantA, w.srv.ID)
		}, "refused: " + store.ErrNotFound.Error()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, e *env) {
				w := newSnapWorld(t, e)
				other := New(e.clk) // another node over the same store
				for _, s := range []*Service{e.svc, other} {
					if got := e.seen(t, s, w.srv); got != snapBefore {
						t.Fatalf("before the change: %s, want %s", got, snapBefore)
					}
				}
				e.ok(t, func(ctx context.Context, tx store.Tx) error { return tc.change(ctx, tx, e.svc, w) })
				if got := e.seen(t, e.svc, w.srv); got != tc.want {
					t.Errorf("same node: %s, want %s", got, tc.want)
				}
				if got := e.seen(t, other, w.srv); got != tc.want {
					t.Errorf("other node: %s, want %s", got, tc.want)
				}
			})
		})
	}
}

// TestSnapshotChangedServer checks that UpdateServer and EnsureDefault
// write a new config version, though Decide reads nothing they change.
func TestSnapshotChangedServer(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		version := func(id string) int64 {
			return get(t, e, func(ctx context.Context, tx store.Tx) (int64, error) {
				var v int64
				return v, tx.QueryRow(ctx, `SELECT config_version FROM auth_servers WHERE id = ?`, id).Scan(&v)
			})
		}
		w := newSnapWorld(t, e)
		before := version(w.srv.ID)
		get(t, e, func(ctx context.Context, tx store.Tx) (Server, error) {
			return e.svc.UpdateServer(ctx, tx, tenantA, w.srv.ID, ServerPatch{Description: new("changed")})
		})
		if after := version(w.srv.ID); after == before {
			t.Errorf("UpdateServer kept config_version %d", after)
		}
		def := e.defaultServer(t, tenantA)
		if v := version(def.ID); v == 0 {
			t.Errorf("EnsureDefault left config_version 0")
		}
		if got, want := e.seen(t, e.svc, def), "[] 1h0m0s map[]"; got != want {
			t.Errorf("default server: %s, want %s", got, want)
		}
	})
}

func TestSnapshotIgnoresRolledBackChange(t *testing.T) {
	errRollback := errors.New("roll back")
	eachBackend(t, func(t *testing.T, e *env) {
		w := newSnapWorld(t, e)
		if got := e.seen(t, e.svc, w.srv); got != snapBefore {
			t.Fatalf("before: %s", got)
		}
		setTier := func(ctx context.Context, tx store.Tx, tier string) error {
			_, err := e.svc.UpdateClaim(ctx, tx, tenantA, w.srv.ID, w.tier.ID,
				ClaimInput{Name: "tier", Target: TargetAccess, Expression: fmt.Sprintf("%q", tier)})
			return err
		}
		// The change is seen, and cached, inside its own transaction,
		// which then rolls back.
		err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			if err := setTier(ctx, tx, "silver"); err != nil {
				return err
			}
			got, err := observe(ctx, tx, e.svc, w.srv)
			if want := "[orders.read reports.run] 1h0m0s map[tier:silver]"; err != nil || got != want {
				t.Errorf("inside the transaction: %s %v, want %s", got, err, want)
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("rollback: %v", err)
		}
		if got := e.seen(t, e.svc, w.srv); got != snapBefore {
			t.Errorf("after the rollback: %s, want %s", got, snapBefore)
		}
		// A later committed change is not mistaken for the rolled-back one.
		e.ok(t, func(ctx context.Context, tx store.Tx) error { return setTier(ctx, tx, "bronze") })
		if got, want := e.seen(t, e.svc, w.srv), "[orders.read reports.run] 1h0m0s map[tier:bronze]"; got != want {
			t.Errorf("after a committed change: %s, want %s", got, want)
		}
	})
}

// TestSnapshotHandsOutCopies checks that a caller changing the decision's
// policy and rule does not change the next decision.
func TestSnapshotHandsOutCopies(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		w := newSnapWorld(t, e)
		req := Request{Server: w.srv, ClientID: appService, GrantType: GrantClientCredentials}
		decide := func() Decision {
			return get(t, e, func(ctx context.Context, tx store.Tx) (Decision, error) { return e.svc.Decide(ctx, tx, req, nil) })
		}
		d := decide()
		d.Policy.Clients[0], d.Rule.GrantTypes[0], d.Rule.Name = "app_other", GrantRefreshToken, "changed"
		d = decide()
		if !slices.Equal(d.Policy.Clients, []string{AllClients}) || !slices.Equal(d.Rule.GrantTypes, []string{GrantClientCredentials}) || d.Rule.Name != "cc" {
			t.Errorf("the cached configuration changed: %+v %+v", d.Policy, d.Rule)
		}
	})
}

func TestSnapshotConcurrentDecide(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		w := newSnapWorld(t, e)
		valid := map[string]bool{}
		tiers := []string{"gold", "silver", "bronze"}
		for _, tier := range tiers {
			valid["[orders.read reports.run] 1h0m0s map[tier:"+tier+"]"] = true
		}
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := range 6 {
			wg.Go(func() {
				for i := range 20 {
					err := e.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
						if g == 0 && i%4 == 0 {
							_, err := e.svc.UpdateClaim(ctx, tx, tenantA, w.srv.ID, w.tier.ID,
								ClaimInput{Name: "tier", Target: TargetAccess, Expression: fmt.Sprintf("%q", tiers[i/4%3])})
							return err
						}
						got, err := observe(ctx, tx, e.svc, w.srv)
						if err == nil && !valid[got] {
							err = fmt.Errorf("observed %s", got)
						}
						return err
					})
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if got, want := e.seen(t, New(e.clk), w.srv), e.seen(t, e.svc, w.srv); got != want {
			t.Errorf("cached %s, stored %s", want, got)
		}
	})
}
