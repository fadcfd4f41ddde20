package authserver

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestCompileExpressionRefusesWhatClaimsRefuse(t *testing.T) {
	for _, tc := range []struct{ name, expr string }{
		{"refuses an empty expression", ""},
		{"refuses invalid UTF-8", "\"\xff\""},
		{"refuses an expression over the length limit", `"` + strings.Repeat("a", MaxClaimExpressionLen) + `"`},
		{"refuses a syntax error", "user.email +"},
		{"refuses a bare attribute name, which is no variable", "email"},
		{"refuses an unknown variable", "session.id"},
		{"refuses bytes", `b"abc"`},
		{"refuses a timestamp", `timestamp("2026-01-01T00:00:00Z")`},
		{"refuses a constant null", `null`},
		{"refuses an expression whose worst case costs too much", "groups.map(a, groups.map(b, groups.map(c, a + b + c)))"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, err := CompileExpression(tc.expr)
			if x != nil {
				t.Fatalf("compiled %q", tc.expr)
			}
			wantFields(t, err, "expression")
		})
	}
}

func TestExpressionEvalsAsClaimsDo(t *testing.T) {
	vars := ExpressionVars{
		User: map[string]any{"id": "usr_1", "email": "ada@example.com",
			"profile": map[string]any{"department": "R&D", "n": 1.5}},
		App:     map[string]any{"name": "Wiki", "tags": []any{"internal"}},
		Groups:  []string{"staff", "admins"},
		Request: map[string]any{"grant_type": "saml", "scopes": []string{}, "ip": "192.0.2.1"},
	}
	for _, tc := range []struct {
		name, expr string
		vars       ExpressionVars
		want       any
	}{
		{"reads a user field", `user.email`, vars, "ada@example.com"},
		{"reads a custom attribute", `user.profile.department`, vars, "R&D"},
		{"reads groups as a list", `groups`, vars, []any{"staff", "admins"}},
		{"reads the app and the request", `app.name + "@" + request.ip`, vars, "Wiki@192.0.2.1"},
		{"yields null for a missing optional attribute", `has(user.profile.x) ? user.profile.x : null`, vars, nil},
		{"yields numbers and bools as plain Go", `[user.profile.n, 2, 3u, "admins" in groups]`, vars,
			[]any{1.5, int64(2), uint64(3), true}},
		{"yields a map", `{"g": size(groups)}`, vars, map[string]any{"g": int64(2)}},
		{"sees nil variables as empty", `size(groups) + size(user) + size(app) + size(request)`, ExpressionVars{}, int64(0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, err := CompileExpression(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			got, err := x.Eval(context.Background(), tc.vars)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s = %#v, want %#v", tc.expr, got, tc.want)
			}
		})
	}
}

func TestExpressionEvalRefusesWhatClaimsRefuse(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name, expr string
		ctx        context.Context
		vars       ExpressionVars
		want       error
	}{
		{name: "refuses a missing key", expr: `user.profile.missing`, ctx: context.Background(),
			vars: ExpressionVars{User: map[string]any{"profile": map[string]any{}}}},
		{name: "refuses a value JSON cannot hold", expr: `1.0 / 0.0 + double(size(groups))`, ctx: context.Background()},
		{name: "stops at the cost limit", expr: `groups.map(a, a + a).size()`, ctx: context.Background(),
			vars: ExpressionVars{Groups: slices.Repeat([]string{"g"}, 100*ClaimGroupsSize)}},
		{name: "stops when the context ends", expr: `groups.map(a, a + a).size()`, ctx: canceled,
			vars: ExpressionVars{Groups: []string{"g"}}, want: context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, err := CompileExpression(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			v, err := x.Eval(tc.ctx, tc.vars)
			if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("= %v, %v; want an error %v", v, err, tc.want)
			}
		})
	}
	if _, err := (*Expression)(nil).Eval(context.Background(), ExpressionVars{}); err == nil {
		t.Error("a nil Expression evaluated")
	}
}
