package authserver

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestCompileClaimRefusesWhatIsNotSafeJSON(t *testing.T) {
	deep := "groups.map(a, groups.map(b, groups.map(c, a + b + c)))"
	for _, tc := range []struct{ name, expr string }{
		{"refuses an empty expression", ""},
		{"refuses invalid UTF-8", "\"\xff\""},
		{"refuses an expression over the length limit", `"` + strings.Repeat("a", MaxClaimExpressionLen) + `"`},
		{"refuses a syntax error", "user.email +"},
		{"refuses an unknown variable", "session.id"},
		{"refuses a type error", `user.email + 1 == "x" && 1 == "a"`},
		{"refuses bytes", `b"abc"`},
		{"refuses a timestamp", `timestamp("2026-01-01T00:00:00Z")`},
		{"refuses a duration", `duration("1h")`},
		{"refuses a list of timestamps", `[timestamp("2026-01-01T00:00:00Z")]`},
		{"refuses a map with int keys", `{1: "a"}`},
		{"refuses a type value", `type(1)`},
		{"refuses a constant null", `null`},
		{"refuses an expression whose worst case costs too much", deep},
		{"refuses nesting beyond the recursion limit", strings.Repeat("[", 40) + strings.Repeat("]", 40)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := compileClaim(tc.expr)
			if c != nil {
				t.Fatalf("compiled %q", tc.expr)
			}
			wantFields(t, err, "expression")
		})
	}
}

func TestCompileClaimAcceptsJSONTypes(t *testing.T) {
	for _, expr := range []string{
		`user.email`,
		`user.profile.department`,
		`groups`,
		`groups.filter(g, g.startsWith("app-"))`,
		`request.scopes`,
		`{"tier": app.tags.exists(t, t == "gold") ? "gold" : "basic", "n": size(groups)}`,
		`[1, "two", 3.0, true]`,
		`string(timestamp("2026-01-01T00:00:00Z"))`,
		`has(user.profile.nickname) ? user.profile.nickname : null`,
		`42`,
		`user.id == "x"`,
		`size(user.login) > 3 ? 1u : 2u`,
	} {
		if _, err := compileClaim(expr); err != nil {
			t.Errorf("%s: %v", expr, err)
		}
	}
}

func TestUserReadsNamesWhatAnExpressionReads(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`app.name`, nil},
		{`user.email`, []string{"email"}},
		{`user["login"] + user.id`, []string{"id", "login"}},
		{`user.profile.department`, []string{"profile", "profile.department"}},
		{`user.profile["cost_center"]`, []string{"profile", "profile.cost_center"}},
		{`has(user.profile.nickname)`, []string{"profile", "profile.nickname"}},
		{`user.profile`, []string{"profile", readsProfile}},
		{`"x" in user.profile`, []string{"profile", readsProfile}},
		{`user.profile[app.name]`, []string{"profile", readsProfile}},
		{`user`, []string{readsUser}},
		{`user[app.name]`, []string{readsUser}},
		{`[user].map(u, u.profile.secret)`, []string{readsUser}},
	} {
		c, err := compileClaim(tc.expr)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		if !slices.Equal(c.reads, tc.want) {
			t.Errorf("%s reads %q, want %q", tc.expr, c.reads, tc.want)
		}
	}
}

func TestEditableReadsHonoursBaseFieldsAndFlags(t *testing.T) {
	editable := map[string]bool{"nickname": true, "department": false}
	for _, tc := range []struct {
		reads []string
		want  []string
	}{
		{[]string{"id", "login", "status"}, nil},
		{[]string{"email"}, []string{"email"}},
		{[]string{"name"}, []string{"name"}},
		{[]string{"profile", "profile.department"}, nil},
		{[]string{"profile", "profile.nickname"}, []string{"profile.nickname"}},
		{[]string{"profile", readsProfile}, []string{readsProfile}},
		{[]string{readsUser}, []string{readsUser}},
	} {
		if got := editableReads(tc.reads, editable); !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %q, want %q", tc.reads, got, tc.want)
		}
	}
	if got := editableReads([]string{readsProfile}, nil); got != nil {
		t.Errorf("no editable attributes: got %q", got)
	}
}

func TestEvalConvertsValuesAndRefusesWhatJSONCannotHold(t *testing.T) {
	vars := claimVars{
		User:    map[string]any{"id": "usr_1", "profile": map[string]any{"n": 1.5, "tags": []any{"a", "b"}}},
		App:     map[string]any{"name": "Shop"},
		Groups:  []string{"staff", "admins"},
		Request: map[string]any{"grant_type": "authorization_code", "scopes": []string{"openid"}, "ip": "192.0.2.1"},
	}
	ctx := context.Background()
	for _, tc := range []struct {
		expr string
		want string
	}{
		{`user.id`, `"usr_1"`},
		{`user.profile.n`, `1.5`},
		{`user.profile.tags`, `["a","b"]`},
		{`{"g": groups, "app": app.name}`, `{"app":"Shop","g":["staff","admins"]}`},
		{`request.scopes + [request.ip]`, `["openid","192.0.2.1"]`},
		{`2u`, `2`},
		{`has(user.profile.missing) ? user.profile.missing : null`, `null`},
	} {
		c, err := compileClaim(tc.expr)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		v, err := c.eval(ctx, vars)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		if got := string(mustJSON(t, v)); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.expr, got, tc.want)
		}
	}
	for _, expr := range []string{
		`user.profile.missing`,      // no such key
		`user.profile.n / 0.0`,      // +Inf is not JSON
		`{user.profile.n: 1}`,       // double key
		`[b"x", user.profile.n][0]`, // bytes through dyn
	} {
		c, err := compileClaim(expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if v, err := c.eval(ctx, vars); err == nil {
			t.Errorf("%s = %v, want an error", expr, v)
		}
	}
}

func TestEvalStopsWhenTheContextEnds(t *testing.T) {
	c, err := compileClaim(`groups.map(a, a + a).size()`)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.eval(ctx, claimVars{Groups: slices.Repeat([]string{"g"}, 1000)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestEvalStopsAtTheCostLimit(t *testing.T) {
	c, err := compileClaim(`groups.map(a, a + a).size()`)
	if err != nil {
		t.Fatal(err)
	}
	// The estimate assumed ClaimGroupsSize groups; ten times more still
	// evaluate, a hundred times more run into the runtime limit.
	if _, err := c.eval(context.Background(), claimVars{Groups: slices.Repeat([]string{"g"}, 10*ClaimGroupsSize)}); err != nil {
		t.Fatalf("ten times the assumed groups: %v", err)
	}
	if _, err := c.eval(context.Background(), claimVars{Groups: slices.Repeat([]string{"g"}, 100*ClaimGroupsSize)}); err == nil {
		t.Fatal("evaluation over the cost limit succeeded")
	}
}

func FuzzCompileClaim(f *testing.F) {
	for _, s := range []string{
		`user.email`, `user.profile.a`, `groups.filter(g, g != "")`, `{"a": [1, 2.0, "x"]}`, `b"x"`,
		`request.scopes.exists(s, s == "openid") ? app.name : null`, `((((`, "\xff", `user[app.id]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		c, err := compileClaim(expr)
		if err != nil {
			return
		}
		_, _, _ = derivedBound(c)
		_, _ = c.eval(context.Background(), claimVars{User: map[string]any{"profile": map[string]any{}}})
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
