package oidc_test

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/clientip"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// samlUser is a person with custom attributes and groups.
const samlUser = "usr_01jd0000000000000000000saml"

func TestSAMLAttributes(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			w.users.put(w.iss.TenantID, samlUser, oidc.Claims{Subject: samlUser, Email: "grace@example.com",
				Name: "Grace Hopper", Login: "grace", Status: "active",
				Profile: map[string]any{"department": "R&D", "level": float64(3), "badges": []any{"navy", "cobol", "navy"},
					"b": "2", "a": "1", "c": "3"},
				Groups: []oidc.Group{{ID: "grp_2", Name: "staff"}, {ID: "grp_1", Name: "admins"}}})
			web := w.apps["web"].App
			ctx := clientip.With(context.Background(), netip.MustParseAddr("192.0.2.7"))
			eval := func(t *testing.T, app tenant.App, user string, rules map[string]string) (map[string][]string, error) {
				t.Helper()
				var got map[string][]string
				err := w.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
					var err error
					got, err = w.p.SAMLAttributes(ctx, tx, w.iss.TenantID, app, user, rules)
					return err
				})
				return got, err
			}
			t.Run("evaluates the rules as claims", func(t *testing.T) {
				for _, tc := range []struct {
					name, expr string
					want       []string // nil: the attribute is left out
				}{
					{"a user field", `user.email`, []string{"grace@example.com"}},
					{"group names, sorted", `groups`, []string{"admins", "staff"}},
					{"a custom attribute", `user.profile.department`, []string{"R&D"}},
					{"an optional attribute that is present", `has(user.profile.department) ? user.profile.department : null`, []string{"R&D"}},
					{"an optional attribute that is absent, left out", `has(user.profile.x) ? user.profile.x : null`, nil},
					{"a list attribute, without duplicates", `user.profile.badges`, []string{"cobol", "navy"}},
					{"a double in its shortest form", `user.profile.level`, []string{"3"}},
					{"a fraction", `user.profile.level / 2.0`, []string{"1.5"}},
					{"a large double as CEL's string() writes it", `1e21`, []string{"1e+21"}},
					{"an int", `size(groups) - 5`, []string{"-3"}},
					{"a uint", `7u`, []string{"7"}},
					{"a bool", `"admins" in groups`, []string{"true"}},
					{"a list of scalars, nulls left out", `[user.login, 2, false, null]`, []string{"2", "false", "grace"}},
					{"a list built from a map, in a stable order", `{"b": 2, "c": 3, "a": 1, "d": 4, "e": 5}.map(k, k)`,
						[]string{"a", "b", "c", "d", "e"}},
					{"an empty list, left out", `groups.filter(g, g == "nobody")`, nil},
					{"the app", `app.name + "/" + app.type`, []string{"Web/web"}},
					{"the request", `request.grant_type + " " + request.ip`, []string{"saml 192.0.2.7"}},
					{"no scopes", `size(request.scopes)`, []string{"0"}},
					{"the person's state", `user.status + ":" + user.id`, []string{"active:" + samlUser}},
				} {
					t.Run(tc.name, func(t *testing.T) {
						got, err := eval(t, web, samlUser, map[string]string{"attr": tc.expr, "mail": "user.email"})
						if err != nil {
							t.Fatal(err)
						}
						want := map[string][]string{"mail": {"grace@example.com"}}
						if tc.want != nil {
							want["attr"] = tc.want
						}
						if !reflect.DeepEqual(got, want) {
							t.Errorf("got %q, want %q", got, want)
						}
					})
				}
			})
			t.Run("gives the same statement every time", func(t *testing.T) {
				rules := map[string]string{"kv": `{"b": 2, "c": 3, "a": 1, "d": 4, "e": 5}.map(k, k)`, "g": `groups`}
				first, err := eval(t, web, samlUser, rules)
				if err != nil {
					t.Fatal(err)
				}
				for i := range 20 {
					got, err := eval(t, web, samlUser, rules)
					if err != nil || !reflect.DeepEqual(got, first) {
						t.Fatalf("run %d: %q, %v; first %q", i, got, err, first)
					}
				}
			})
			t.Run("no rules, no attributes", func(t *testing.T) {
				got, err := eval(t, web, samlUser, nil)
				if err != nil || len(got) != 0 {
					t.Fatalf("got %q, %v", got, err)
				}
			})
			for _, tc := range []struct {
				name, expr string
			}{
				{"refuses a map", `{"dept": user.profile.department}`},
				{"refuses a nested list", `[groups]`},
				{"refuses a list holding a map", `[user.email, {"a": 1}]`},
				{"refuses a runtime error", `user.profile.missing`},
				{"refuses a stored expression that does not compile", `email`},
			} {
				t.Run(tc.name, func(t *testing.T) {
					got, err := eval(t, web, samlUser, map[string]string{"bad-" + strconv.Itoa(len(tc.expr)): tc.expr, "mail": "user.email"})
					if !errors.Is(err, authserver.ErrClaimEvaluation) {
						t.Fatalf("got %q, %v; want ErrClaimEvaluation", got, err)
					}
					if name := strconv.Quote("bad-" + strconv.Itoa(len(tc.expr))); !strings.Contains(err.Error(), name) {
						t.Errorf("error %v does not name attribute %s", err, name)
					}
				})
			}
			t.Run("refuses a user who is gone", func(t *testing.T) {
				if _, err := eval(t, web, "usr_01jd00000000000000000000gone", map[string]string{"mail": "user.email"}); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("err = %v, want store.ErrNotFound", err)
				}
			})
			t.Run("refuses an app of another tenant", func(t *testing.T) {
				if got, err := eval(t, w.apps["foreign"].App, samlUser, map[string]string{"mail": "user.email"}); err == nil {
					t.Fatalf("got %q for another tenant's app", got)
				}
			})
			t.Run("stops when the context ends", func(t *testing.T) {
				cctx, cancel := context.WithCancel(ctx)
				var err error
				txErr := w.st.Tx(context.Background(), func(_ context.Context, tx store.Tx) error {
					cancel()
					_, err = w.p.SAMLAttributes(cctx, tx, w.iss.TenantID, web, samlUser, map[string]string{"g": `groups.map(a, a + a)`})
					return nil
				})
				if txErr != nil || !errors.Is(err, context.Canceled) {
					t.Fatalf("err = %v (tx %v), want context.Canceled", err, txErr)
				}
			})
		})
	}
}
