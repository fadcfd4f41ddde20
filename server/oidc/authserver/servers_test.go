package authserver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

func TestEnsureDefault(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.defaultServer(t, tenantA)
		if srv.Name != DefaultServer || srv.TenantID != tenantA || srv.IssuerMode != IssuerDynamic || srv.IssuerHost != "" ||
			len(srv.Audiences) != 0 || srv.Audiences == nil || srv.MaxTokenBytes != DefaultMaxTokenBytes || !srv.Active {
			t.Fatalf("default server %+v", srv)
		}
		t.Run("is created once", func(t *testing.T) {
			before := e.counts(t)
			again := e.defaultServer(t, tenantA)
			byName := get(t, e, func(ctx context.Context, tx store.Tx) (Server, error) {
				return e.svc.ServerByName(ctx, tx, tenantA, DefaultServer)
			})
			if again.ID != srv.ID || byName.ID != srv.ID || e.counts(t) != before {
				t.Fatalf("second call made %+v / %+v, rows %v → %v", again, byName, before, e.counts(t))
			}
		})
		t.Run("has the system scopes", func(t *testing.T) {
			scopes := get(t, e, func(ctx context.Context, tx store.Tx) ([]Scope, error) { return e.svc.Scopes(ctx, tx, tenantA, srv.ID) })
			var names []string
			for _, sc := range scopes {
				if slices.Contains(SCIMScopeNames, sc.Name) {
					continue // see TestDefaultServerSCIMScopes
				}
				names = append(names, sc.Name)
				if !sc.System || sc.Default || !slices.Equal(sc.Kinds, []string{KindDelegated}) || sc.ServerID != srv.ID || sc.Description == "" {
					t.Errorf("system scope %+v", sc)
				}
			}
			if want := slices.Sorted(slices.Values(SystemScopeNames)); !slices.Equal(names, want) {
				t.Fatalf("scopes %q, want %q", names, want)
			}
		})
		t.Run("has the default policy and rule", func(t *testing.T) {
			pols, rules := activePolicies(t, e, tenantA, srv.ID)
			if len(pols) != 1 || pols[0].Name != DefaultPolicyName || pols[0].Priority != 1 || !slices.Equal(pols[0].Clients, []string{AllClients}) {
				t.Fatalf("policies %+v", pols)
			}
			r := rules[pols[0].ID]
			if len(r) != 1 || r[0].Name != DefaultRuleName || r[0].Priority != 1 || r[0].Deny || !r[0].Active ||
				!slices.Equal(r[0].GrantTypes, []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials, GrantDeviceCode}) ||
				!slices.Equal(r[0].Scopes, []string{AnyScope}) || r[0].AccessTokenLifetime != 0 || r[0].RefreshTokenLifetime != 0 {
				t.Fatalf("rules %+v", r)
			}
		})
		t.Run("is per tenant", func(t *testing.T) {
			if other := e.defaultServer(t, tenantB); other.ID == srv.ID || other.TenantID != tenantB {
				t.Fatalf("tenant B's default server %+v", other)
			}
		})
	})
}

func TestEnsureDefaultRace(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		// Transactions that all see no default server: one creates it; the
		// others are retried by the store (contention) or by the caller
		// (ErrConflict, as documented) and then find it.
		const n = 4
		ids := make(chan string, n)
		errs := make(chan error, n)
		for range n {
			go func() {
				var srv Server
				var err error
				for range 3 {
					err = e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
						srv, err = e.svc.EnsureDefault(ctx, tx, tenantA)
						return err
					})
					if !errors.Is(err, store.ErrConflict) {
						break
					}
				}
				ids <- srv.ID
				errs <- err
			}()
		}
		seen := map[string]bool{}
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
			seen[<-ids] = true
		}
		if len(seen) != 1 || e.count(t, "auth_servers") != 1 || e.count(t, "auth_policies") != 1 {
			t.Fatalf("concurrent calls made servers %v", seen)
		}
	})
}

func TestCreateServer(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		for _, tc := range []struct {
			name string
			in   ServerInput
			want func(Server) bool
		}{
			{"fills in the defaults", ServerInput{Name: "orders"}, func(s Server) bool {
				return s.IssuerMode == IssuerDynamic && s.MaxTokenBytes == DefaultMaxTokenBytes && s.Active && s.Audiences != nil
			}},
			{"keeps audiences, URIs or plain strings", ServerInput{Name: "api", Audiences: []string{"https://api.example.com", "api://orders", "orders"}},
				func(s Server) bool { return len(s.Audiences) == 3 }},
			{"lowercases a fixed issuer's host", ServerInput{Name: "fixed", IssuerMode: IssuerFixed, IssuerHost: "Login.Example.COM"},
				func(s Server) bool { return s.IssuerHost == "login.example.com" }},
			{"accepts a host with a port", ServerInput{Name: "dev", IssuerMode: IssuerFixed, IssuerHost: "localhost:8080"},
				func(s Server) bool { return s.IssuerHost == "localhost:8080" }},
			{"accepts a scope pattern", ServerInput{Name: "pattern", ScopePattern: `orders\.[a-z]+`},
				func(s Server) bool { return s.ScopePattern == `orders\.[a-z]+` }},
			{"accepts the largest token limit", ServerInput{Name: "big", MaxTokenBytes: MaxTokenBytesLimit},
				func(s Server) bool { return s.MaxTokenBytes == MaxTokenBytesLimit }},
			{"may start inactive", ServerInput{Name: "off", Inactive: true}, func(s Server) bool { return !s.Active }},
			{"accepts 10 audiences of 200 characters", ServerInput{Name: "many", Audiences: audiences(10, 200)},
				func(s Server) bool { return len(s.Audiences) == 10 }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				srv := e.server(t, tenantA, tc.in)
				if !tc.want(srv) || srv.Name != tc.in.Name || !strings.HasPrefix(srv.ID, "aus_") {
					t.Fatalf("created %+v", srv)
				}
				got := get(t, e, func(ctx context.Context, tx store.Tx) (Server, error) {
					return e.svc.ServerByName(ctx, tx, tenantA, srv.Name)
				})
				if fmt.Sprint(got) != fmt.Sprint(srv) {
					t.Fatalf("read back %+v, created %+v", got, srv)
				}
				scopes := get(t, e, func(ctx context.Context, tx store.Tx) ([]Scope, error) { return e.svc.Scopes(ctx, tx, tenantA, srv.ID) })
				pols, _ := activePolicies(t, e, tenantA, srv.ID)
				if len(scopes) != len(SystemScopeNames) || len(pols) != 0 {
					t.Fatalf("a new server has %d scopes and %d policies, want the system scopes and none", len(scopes), len(pols))
				}
			})
		}
	})
}

func audiences(n, size int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("%d%s", i, strings.Repeat("a", size-1)))
	}
	return out
}

func TestCreateServerRefusesBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.server(t, tenantA, ServerInput{Name: "taken"})
		before := e.counts(t)
		for _, tc := range []struct {
			name   string
			in     ServerInput
			fields []string
		}{
			{"refuses an empty name", ServerInput{}, []string{"name"}},
			{"refuses an uppercase name", ServerInput{Name: "Orders"}, []string{"name"}},
			{"refuses a name with a dot", ServerInput{Name: "a.b"}, []string{"name"}},
			{"refuses a leading hyphen", ServerInput{Name: "-a"}, []string{"name"}},
			{"refuses a name of 64 characters", ServerInput{Name: strings.Repeat("a", 64)}, []string{"name"}},
			{"refuses the name default", ServerInput{Name: DefaultServer}, []string{"name"}},
			{"refuses the name v1", ServerInput{Name: "v1"}, []string{"name"}},
			{"refuses a description of 501 characters", ServerInput{Name: "x", Description: strings.Repeat("é", 501)}, []string{"description"}},
			{"refuses 11 audiences", ServerInput{Name: "x", Audiences: audiences(11, 5)}, []string{"audiences"}},
			{"refuses an audience of 201 characters", ServerInput{Name: "x", Audiences: audiences(1, 201)}, []string{"audiences[0]"}},
			{"refuses an audience with a space", ServerInput{Name: "x", Audiences: []string{"ok", "a b"}}, []string{"audiences[1]"}},
			{"refuses an empty audience", ServerInput{Name: "x", Audiences: []string{""}}, []string{"audiences[0]"}},
			{"refuses a duplicate audience", ServerInput{Name: "x", Audiences: []string{"a", "a"}}, []string{"audiences[1]"}},
			{"refuses an unknown issuer mode", ServerInput{Name: "x", IssuerMode: "both"}, []string{"issuer_mode"}},
			{"refuses a fixed issuer without a host", ServerInput{Name: "x", IssuerMode: IssuerFixed}, []string{"issuer_host"}},
			{"refuses a host for a dynamic issuer", ServerInput{Name: "x", IssuerHost: "login.example.com"}, []string{"issuer_host"}},
			{"refuses an IP address as host", ServerInput{Name: "x", IssuerMode: IssuerFixed, IssuerHost: "10.0.0.1"}, []string{"issuer_host"}},
			{"refuses an IPv6 address as host", ServerInput{Name: "x", IssuerMode: IssuerFixed, IssuerHost: "[::1]:443"}, []string{"issuer_host"}},
			{"refuses a host with a path", ServerInput{Name: "x", IssuerMode: IssuerFixed, IssuerHost: "example.com/x"}, []string{"issuer_host"}},
			{"refuses a bad port", ServerInput{Name: "x", IssuerMode: IssuerFixed, IssuerHost: "example.com:0"}, []string{"issuer_host"}},
			{"refuses a pattern that does not compile", ServerInput{Name: "x", ScopePattern: "orders.("}, []string{"scope_pattern"}},
			{"refuses a back-reference (not RE2)", ServerInput{Name: "x", ScopePattern: `(a)\1`}, []string{"scope_pattern"}},
			{"refuses a pattern of 201 characters", ServerInput{Name: "x", ScopePattern: strings.Repeat("a", 201)}, []string{"scope_pattern"}},
			{"refuses a token limit under 1024", ServerInput{Name: "x", MaxTokenBytes: 1023}, []string{"max_token_bytes"}},
			{"refuses a token limit over 65536", ServerInput{Name: "x", MaxTokenBytes: 65537}, []string{"max_token_bytes"}},
			{"refuses a limit the system scopes do not fit", ServerInput{Name: "x", MaxTokenBytes: MinTokenBytesLimit}, []string{"max_token_bytes", "max_token_bytes"}},
			{"reports every problem at once", ServerInput{Name: "V1", Audiences: []string{" "}, IssuerMode: IssuerFixed, ScopePattern: "(", MaxTokenBytes: 1},
				[]string{"name", "audiences[0]", "issuer_host", "scope_pattern", "max_token_bytes"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.CreateServer(ctx, tx, tenantA, tc.in)
					return err
				}), tc.fields...)
			})
		}
		t.Run("refuses a duplicate name", func(t *testing.T) {
			wantKind(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.CreateServer(ctx, tx, tenantA, ServerInput{Name: "taken"})
				return err
			}), store.ErrConflict, "name")
		})
		if after := e.counts(t); after != before {
			t.Fatalf("refused creations changed the rows from %v to %v", before, after)
		}
		t.Run("allows the same name in another tenant", func(t *testing.T) { e.server(t, tenantB, ServerInput{Name: "taken"}) })
	})
}

func TestCreateServerChecksTheIssuerHost(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.svc.Hosts = fakeHosts{}
		e.server(t, tenantA, ServerInput{Name: "mine", IssuerMode: IssuerFixed, IssuerHost: "login.acme.com"})
		for _, tc := range []struct {
			name, tenant, host string
		}{
			{"refuses a host the tenant does not have", tenantA, "login.other.com"},
			{"refuses another tenant's host", tenantB, "login.acme.com"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.CreateServer(ctx, tx, tc.tenant, ServerInput{Name: "x", IssuerMode: IssuerFixed, IssuerHost: tc.host})
					return err
				}), "issuer_host")
			})
		}
	})
}

// activePolicies returns ActivePolicies, failing the test on an error.
func activePolicies(t *testing.T, e *env, tenantID, serverID string) ([]Policy, map[string][]Rule) {
	t.Helper()
	var pols []Policy
	var rules map[string][]Rule
	e.ok(t, func(ctx context.Context, tx store.Tx) error {
		var err error
		pols, rules, err = e.svc.ActivePolicies(ctx, tx, tenantID, serverID)
		return err
	})
	return pols, rules
}

func TestListServers(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		for _, n := range []string{"zeta", "alpha", "mid-1"} {
			e.server(t, tenantA, ServerInput{Name: n})
		}
		e.defaultServer(t, tenantA)
		e.clk.Advance(time.Second)
		e.server(t, tenantB, ServerInput{Name: "beta"})
		list := get(t, e, func(ctx context.Context, tx store.Tx) ([]Server, error) { return e.svc.ListServers(ctx, tx, tenantA) })
		var names []string
		for _, s := range list {
			names = append(names, s.Name)
		}
		if want := []string{"alpha", "default", "mid-1", "zeta"}; !slices.Equal(names, want) {
			t.Fatalf("listed %q, want %q", names, want)
		}
	})
}
