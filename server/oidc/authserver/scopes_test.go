package authserver

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/store"
)

// tokenChars are every character a scope-token may hold (RFC 6749 §3.3).
const tokenChars = "!#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~"

func TestCreateScope(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.server(t, tenantA, ServerInput{Name: "api"})
		e.scope(t, tenantA, srv.ID, machine("orders.read"))
		for _, tc := range []struct {
			name string
			in   ScopeInput
		}{
			{"accepts every scope-token character", ScopeInput{Name: tokenChars, Kinds: []string{KindDelegated}}},
			{"accepts a name of 128 characters", ScopeInput{Name: strings.Repeat("s", MaxScopeNameLen), Kinds: []string{KindMachine}}},
			{"accepts both kinds", ScopeInput{Name: "both", Kinds: []string{KindMachine, KindDelegated}}},
			{"accepts an implied scope", machine("orders.write", "orders.read")},
			{"accepts a system scope as implied", machine("me", ScopeProfile, ScopeEmail)},
			{"accepts flags and a long description", ScopeInput{Name: "flags", Kinds: []string{KindDelegated}, Consent: true, Default: true,
				Description: strings.Repeat("é", MaxDescriptionLen)}},
			{"accepts 100 clients", ScopeInput{Name: "few", Kinds: []string{KindMachine}, Clients: ids("app", MaxClients)}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				sc := e.scope(t, tenantA, srv.ID, tc.in)
				got := get(t, e, func(ctx context.Context, tx store.Tx) (Scope, error) {
					return e.svc.Scope(ctx, tx, tenantA, srv.ID, sc.ID)
				})
				if fmt.Sprint(got) != fmt.Sprint(sc) || sc.Name != tc.in.Name || sc.System || sc.ServerID != srv.ID ||
					sc.Implies == nil || sc.Clients == nil || !strings.HasPrefix(sc.ID, "scp_") {
					t.Fatalf("read back %+v, created %+v", got, sc)
				}
			})
		}
		t.Run("lists by name", func(t *testing.T) {
			list := get(t, e, func(ctx context.Context, tx store.Tx) ([]Scope, error) { return e.svc.Scopes(ctx, tx, tenantA, srv.ID) })
			var names []string
			for _, sc := range list {
				names = append(names, sc.Name)
			}
			if !slices.IsSorted(names) || len(names) != len(SystemScopeNames)+8 {
				t.Fatalf("listed %q", names)
			}
		})
	})
}

func ids(prefix string, n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("%s_%d", prefix, i))
	}
	return out
}

func TestCreateScopeRefusesBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		srv := e.server(t, tenantA, ServerInput{Name: "api"})
		strict := e.server(t, tenantA, ServerInput{Name: "strict", ScopePattern: `orders\.[a-z]+`})
		e.scope(t, tenantA, srv.ID, machine("taken"))
		before := e.counts(t)
		kinds := []string{KindMachine}
		for _, tc := range []struct {
			name   string
			server string
			in     ScopeInput
			fields []string
		}{
			{"refuses an empty name", srv.ID, ScopeInput{Kinds: kinds}, []string{"name"}},
			{"refuses a name of 129 characters", srv.ID, ScopeInput{Name: strings.Repeat("s", 129), Kinds: kinds}, []string{"name"}},
			{"refuses a space", srv.ID, ScopeInput{Name: "a b", Kinds: kinds}, []string{"name"}},
			{"refuses a double quote", srv.ID, ScopeInput{Name: `a"b`, Kinds: kinds}, []string{"name"}},
			{"refuses a backslash", srv.ID, ScopeInput{Name: `a\b`, Kinds: kinds}, []string{"name"}},
			{"refuses a non-ASCII letter", srv.ID, ScopeInput{Name: "é", Kinds: kinds}, []string{"name"}},
			{"refuses a control character", srv.ID, ScopeInput{Name: "a\x7f", Kinds: kinds}, []string{"name"}},
			{"refuses a system scope's name", srv.ID, ScopeInput{Name: ScopeOpenID, Kinds: kinds}, []string{"name"}},
			{"refuses a name the pattern does not match", strict.ID, ScopeInput{Name: "billing.read", Kinds: kinds}, []string{"name"}},
			{"refuses a name the pattern matches only in part", strict.ID, ScopeInput{Name: "orders.read.all", Kinds: kinds}, []string{"name"}},
			{"refuses no kind", srv.ID, ScopeInput{Name: "x"}, []string{"kinds"}},
			{"refuses an unknown kind", srv.ID, ScopeInput{Name: "x", Kinds: []string{"human"}}, []string{"kinds[0]"}},
			{"refuses a kind twice", srv.ID, ScopeInput{Name: "x", Kinds: []string{KindMachine, KindMachine}}, []string{"kinds[1]"}},
			{"refuses implying an unknown scope", srv.ID, machine("x", "nope"), []string{"implies[0]"}},
			{"refuses implying another server's scope", strict.ID, ScopeInput{Name: "orders.x", Kinds: kinds, Implies: []string{"taken"}}, []string{"implies[0]"}},
			{"refuses implying itself", srv.ID, machine("x", "x"), []string{"implies[0]"}},
			{"refuses implying a scope twice", srv.ID, machine("x", "taken", "taken"), []string{"implies[1]"}},
			{"refuses 101 clients", srv.ID, ScopeInput{Name: "x", Kinds: kinds, Clients: ids("app", 101)}, []string{"clients"}},
			{"refuses a client ID with a space", srv.ID, ScopeInput{Name: "x", Kinds: kinds, Clients: []string{"app 1"}}, []string{"clients[0]"}},
			{"refuses a client twice", srv.ID, ScopeInput{Name: "x", Kinds: kinds, Clients: []string{"app_1", "app_1"}}, []string{"clients[1]"}},
			{"refuses the every-client mark", srv.ID, ScopeInput{Name: "x", Kinds: kinds, Clients: []string{AllClients}}, []string{"clients"}},
			{"refuses a description of 501 characters", srv.ID, ScopeInput{Name: "x", Kinds: kinds, Description: strings.Repeat("d", 501)}, []string{"description"}},
			{"reports every problem at once", srv.ID, ScopeInput{Name: "a b", Kinds: []string{"x"}, Implies: []string{"nope"}, Clients: []string{""}},
				[]string{"name", "kinds[0]", "implies[0]", "clients[0]"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.CreateScope(ctx, tx, tenantA, tc.server, tc.in)
					return err
				}), tc.fields...)
			})
		}
		t.Run("refuses a duplicate name", func(t *testing.T) {
			wantKind(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.CreateScope(ctx, tx, tenantA, srv.ID, machine("taken"))
				return err
			}), store.ErrConflict, "name")
		})
		t.Run("refuses a scope the token budget cannot hold", func(t *testing.T) {
			limit := worstCase(systemScopes(), nil)[TargetAccess].total() + 10
			tight := e.server(t, tenantA, ServerInput{Name: "tight", MaxTokenBytes: max(limit, MinTokenBytesLimit)})
			before := e.counts(t)
			wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.CreateScope(ctx, tx, tenantA, tight.ID, machine("a-scope-name-of-thirty-chars!"))
				return err
			}), "max_token_bytes", "max_token_bytes")
			if after := e.counts(t); after != before {
				t.Fatalf("a refused scope changed the rows from %v to %v", before, after)
			}
		})
		if after := e.counts(t); after[0] != before[0]+1 || after[1] != before[1]+len(SystemScopeNames) {
			t.Fatalf("refused creations changed the rows from %v to %v", before, after)
		}
		t.Run("allows the same name on another server", func(t *testing.T) {
			e.scope(t, tenantA, e.server(t, tenantA, ServerInput{Name: "other"}).ID, machine("taken"))
		})
	})
}
