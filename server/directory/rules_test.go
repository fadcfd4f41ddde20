package directory

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/cel-go/interpreter"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// bigList is a list literal of n integers.
func bigList(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = strconv.Itoa(i)
	}
	return "[" + strings.Join(items, ",") + "]"
}

func TestCompileRule(t *testing.T) {
	for _, tc := range []struct {
		name    string
		expr    string
		refused bool
		attrs   []string
	}{
		{"accepts a comparison of an attribute", `user.department == "eng"`, false, []string{"department"}},
		{"records selections and literal indexes", `user["cost-center"] == "42" && has(user.manager) && user.level > 3`,
			false, []string{"cost-center", "level", "manager"}},
		{"records a whole-map read as any attribute", `"admin" in user`, false, []string{AnyAttribute}},
		{"records a computed index as any attribute", `user["dep" + "artment"] == "eng"`, false, []string{AnyAttribute}},
		{"accepts a bounded comprehension over an attribute", `user.tags.exists(t, t == "vip")`, false, []string{"tags"}},
		{"refuses an expression that does not parse", `user.department ==`, true, nil},
		{"refuses an unknown variable", `account.id == "x"`, true, nil},
		{"refuses a type error", `1 + "a" == "1a"`, true, nil},
		{"refuses a non-bool result", `user.level + 1`, true, nil},
		{"refuses a string result", `"yes"`, true, nil},
		{"refuses a dyn attribute used as the result", `user.admin`, true, nil},
		{"refuses an empty expression", ``, true, nil},
		{"refuses an expression that is too long", `true || ` + strings.Repeat("true || ", MaxExpressionLen/8) + `true`, true, nil},
		{"refuses an expression whose worst-case cost exceeds the limit",
			bigList(100) + `.all(x, ` + bigList(100) + `.all(y, ` + bigList(100) + `.all(z, x + y + z >= 0)))`, true, nil},
		{"refuses nested comprehensions over attributes", `user.tags.all(a, user.tags.all(b, user.tags.all(c, a + b != c)))`, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := compileRule(tc.expr)
			if tc.refused {
				if err == nil || len(invalid.All(err)) != 1 || invalid.All(err)[0].Field != "expression" {
					t.Fatalf("error %v, want a refused expression", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.attrs, tc.attrs) {
				t.Fatalf("attributes %q, want %q", c.attrs, tc.attrs)
			}
		})
	}
}

func TestRuleEvaluationStopsAtTheCostLimit(t *testing.T) {
	c, err := compileRule(`user.tags.exists(t, t == "never")`)
	if err != nil {
		t.Fatal(err)
	}
	tags := make([]string, 100*MaxAttributeSize)
	_, err = c.eval(context.Background(), map[string]any{"tags": tags})
	if cancelled := (interpreter.EvalCancelledError{}); !errors.As(err, &cancelled) || cancelled.Cause != interpreter.CostLimitExceeded {
		t.Fatalf("an evaluation over the cost limit: %v", err)
	}
	if ok, err := c.eval(context.Background(), map[string]any{"tags": []string{"a"}}); ok || err != nil {
		t.Fatalf("small list: %v, %v", ok, err)
	}
}

func TestCreateRule(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		g := e.group(t, tenantA, "engineers")
		editable := map[string]bool{"nickname": true, "department": false}
		for _, tc := range []struct {
			name         string
			in           RuleInput
			wantErr      error
			fields       []string
			usesEditable bool
		}{
			{"accepts a rule over admin-managed attributes",
				RuleInput{Name: "eng", Expression: `user.department == "eng"`, GroupID: g.ID}, nil, nil, false},
			{"refuses a rule over an editable attribute without override",
				RuleInput{Name: "nick", Expression: `user.nickname == "boss"`, GroupID: g.ID}, ErrEditableAttribute, []string{"expression"}, false},
			{"refuses a whole-map read when any attribute is editable",
				RuleInput{Name: "any", Expression: `"boss" in user`, GroupID: g.ID}, ErrEditableAttribute, []string{"expression"}, false},
			{"accepts an editable attribute with an explicit override",
				RuleInput{Name: "nick", Expression: `user.nickname == "boss"`, GroupID: g.ID, OverrideEditable: true}, nil, nil, true},
			{"refuses a group of another tenant",
				RuleInput{Name: "x", Expression: `true`, GroupID: e.group(t, tenantB, "theirs").ID}, store.ErrNotFound, []string{"group_id"}, false},
			{"refuses a bad name, status and expression at once",
				RuleInput{Name: " ", Expression: `1`, GroupID: g.ID, Status: "paused"}, nil, []string{"name", "status", "expression"}, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := e.count(t, "group_rules")
				var r Rule
				err := e.do(t, func(ctx context.Context, tx store.Tx) error {
					var err error
					r, err = e.dir.CreateRule(ctx, tx, tenantA, tc.in, editable)
					return err
				})
				if tc.fields != nil {
					if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
						t.Fatalf("error %v, want %v", err, tc.wantErr)
					}
					wantFields(t, err, tc.fields...)
					if n := e.count(t, "group_rules"); n != before {
						t.Fatalf("a refused rule wrote %d rows", n-before)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if !ident.Valid("grr", r.ID) || r.Status != RuleActive || r.UsesEditableAttrs != tc.usesEditable {
					t.Fatalf("created %+v", r)
				}
				read := get(t, e, func(ctx context.Context, tx store.Tx) (Rule, error) { return e.dir.Rule(ctx, tx, tenantA, r.ID) })
				if read.Expression != r.Expression || !slices.Equal(read.Attributes, r.Attributes) ||
					read.UsesEditableAttrs != r.UsesEditableAttrs || read.OverrideEditable != r.OverrideEditable || !read.CreatedAt.Equal(r.CreatedAt) {
					t.Fatalf("read %+v, want %+v", read, r)
				}
			})
		}
		t.Run("lists the tenant's rules", func(t *testing.T) {
			list := get(t, e, func(ctx context.Context, tx store.Tx) ([]Rule, error) {
				l, _, err := e.dir.ListRules(ctx, tx, tenantA, "", 0)
				return l, err
			})
			names := []string{}
			for _, r := range list {
				names = append(names, r.Name)
			}
			slices.Sort(names) // created in the same millisecond: ID order is random
			if !slices.Equal(names, []string{"eng", "nick"}) {
				t.Fatalf("listed %+v", list)
			}
		})
		t.Run("refuses to delete a group that rules fill", func(t *testing.T) {
			err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.dir.DeleteGroup(ctx, tx, tenantA, g.ID) })
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("got %v, want ErrConflict", err)
			}
			wantFields(t, err, "group_id")
		})
	})
}

func TestApplyRules(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		eng := e.group(t, tenantA, "engineers")
		vip := e.group(t, tenantA, "vip")
		alice := e.user(t, tenantA, UserInput{Login: "alice"})
		bob := e.user(t, tenantA, UserInput{Login: "bob"})
		rule := func(in RuleInput) Rule {
			return get(t, e, func(ctx context.Context, tx store.Tx) (Rule, error) {
				return e.dir.CreateRule(ctx, tx, tenantA, in, nil)
			})
		}
		engRule := rule(RuleInput{Name: "eng", Expression: `user.department == "eng"`, GroupID: eng.ID})
		vipRule := rule(RuleInput{Name: "vip", Expression: `user.level > 3`, GroupID: vip.ID})
		rule(RuleInput{Name: "off", Expression: `true`, GroupID: vip.ID, Status: RuleInactive})
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.dir.AddMember(ctx, tx, tenantA, eng.ID, bob.ID) }); err != nil {
			t.Fatal(err)
		}
		apply := func(user RuleSubject) error {
			return e.do(t, func(ctx context.Context, tx store.Tx) error { return e.dir.ApplyRules(ctx, tx, tenantA, user) })
		}
		// state returns "group:source:rule" of each membership of a user.
		state := func(userID string) []string {
			var out []string
			for _, g := range []Group{eng, vip} {
				for _, m := range e.members(t, tenantA, g.ID) {
					if m.UserID == userID {
						out = append(out, g.Name+":"+string(m.Source)+":"+m.RuleID)
					}
				}
			}
			return out
		}
		for _, tc := range []struct {
			name    string
			user    RuleSubject
			wantErr error
			want    []string
		}{
			{"adds the groups whose rules match",
				RuleSubject{UserID: alice.ID, Attrs: map[string]any{"department": "eng", "level": 5}}, nil,
				[]string{"engineers:rule:" + engRule.ID, "vip:rule:" + vipRule.ID}},
			{"is idempotent",
				RuleSubject{UserID: alice.ID, Attrs: map[string]any{"department": "eng", "level": 5}}, nil,
				[]string{"engineers:rule:" + engRule.ID, "vip:rule:" + vipRule.ID}},
			{"removes the groups whose rules stop matching",
				RuleSubject{UserID: alice.ID, Attrs: map[string]any{"department": "sales", "level": 5}}, nil,
				[]string{"vip:rule:" + vipRule.ID}},
			{"leaves memberships of a rule that fails at run time",
				RuleSubject{UserID: alice.ID, Attrs: map[string]any{"department": "sales"}}, ErrRuleEvaluation,
				[]string{"vip:rule:" + vipRule.ID}},
			{"removes the grants of a rule that reads an attribute now editable",
				RuleSubject{UserID: alice.ID, Attrs: map[string]any{"department": "sales", "level": 5}, Editable: map[string]bool{"level": true}},
				ErrEditableAttribute, nil},
			{"never removes a manual member",
				RuleSubject{UserID: bob.ID, Attrs: map[string]any{"department": "sales", "level": 1}}, nil,
				[]string{"engineers:manual:"}},
			{"refuses a user of another tenant",
				RuleSubject{UserID: "usr_unknown"}, store.ErrNotFound, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := apply(tc.user)
				if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Fatalf("error %v, want %v", err, tc.wantErr)
				}
				if tc.user.UserID == "usr_unknown" {
					return
				}
				if got := state(tc.user.UserID); !slices.Equal(got, tc.want) {
					t.Fatalf("memberships %q, want %q", got, tc.want)
				}
			})
		}
		t.Run("a manual member is not removed through the rule API and a rule member cannot be removed by hand", func(t *testing.T) {
			if err := apply(RuleSubject{UserID: alice.ID, Attrs: map[string]any{"department": "eng", "level": 0}}); err != nil {
				t.Fatal(err)
			}
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				return e.dir.RemoveMember(ctx, tx, tenantA, eng.ID, alice.ID)
			})
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("got %v, want ErrConflict", err)
			}
		})
		t.Run("deleting a rule removes its members only", func(t *testing.T) {
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.dir.DeleteRule(ctx, tx, tenantA, engRule.ID) }); err != nil {
				t.Fatal(err)
			}
			if got := state(alice.ID); len(got) != 0 {
				t.Fatalf("alice still %q", got)
			}
			if got := state(bob.ID); !slices.Equal(got, []string{"engineers:manual:"}) {
				t.Fatalf("bob %q", got)
			}
		})
	})
}

func FuzzRuleExpression(f *testing.F) {
	for _, s := range []string{
		`user.department == "eng"`, `"x" in user`, `user.tags.exists(t, t == "a")`, `user["a"] > 1`,
		`[1,2,3].all(x, [1,2].exists(y, x == y))`, `size(user.name) > 3 && user.name.startsWith("a")`,
		`has(user.a.b)`, `user.level / 0 == 1`, `((((((((((true))))))))))`, `int(user.n) + 9223372036854775807 > 0`,
	} {
		f.Add(s)
	}
	attrs := map[string]any{
		"department": "eng", "name": "alice", "level": 3, "n": int64(1), "tags": []string{"a", "b"},
		"a": map[string]any{"b": true}, "flag": true,
	}
	f.Fuzz(func(t *testing.T, expr string) {
		c, err := compileRule(expr)
		if err != nil {
			if !invalid.Is(err) {
				t.Fatalf("refusal %v is not a field error", err)
			}
			return
		}
		_, _ = c.eval(context.Background(), attrs)
		_ = readsEditable(c.attrs, map[string]bool{"name": true})
	})
}

// TestRulesFollowUserChanges checks that creating and updating a user
// settles the rule memberships without any other call.
func TestRulesFollowUserChanges(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		err := e.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
			g, err := e.dir.CreateGroup(ctx, tx, tenantA, GroupInput{Name: "Verified"})
			if err != nil {
				return err
			}
			if _, err := e.dir.CreateRule(ctx, tx, tenantA, RuleInput{Name: "verified", Expression: `user.email_verified == true`, GroupID: g.ID}, map[string]bool{}); err != nil {
				return err
			}
			u, err := e.dir.CreateUser(ctx, tx, tenantA, UserInput{Login: "rule@example.com", EmailVerified: true})
			if err != nil {
				return err
			}
			if gs, err := e.dir.GroupsOf(ctx, tx, tenantA, u.ID); err != nil || len(gs) != 1 {
				t.Fatalf("after create: %v, %v", gs, err)
			}
			no := false
			if _, err := e.dir.UpdateUser(ctx, tx, tenantA, u.ID, UserUpdate{EmailVerified: &no}, events.Ref{Type: "system"}); err != nil {
				return err
			}
			if gs, err := e.dir.GroupsOf(ctx, tx, tenantA, u.ID); err != nil || len(gs) != 0 {
				t.Fatalf("after update: %v, %v", gs, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
