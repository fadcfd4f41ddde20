package authserver

import (
	"slices"
	"testing"
)

func TestExpandScopes(t *testing.T) {
	scopes := []Scope{
		{Name: "orders.admin", Implies: []string{"orders.write", "reports.read"}},
		{Name: "orders.write", Implies: []string{"orders.read"}},
		{Name: "orders.read"},
		{Name: "reports.read", Implies: []string{"orders.read"}},
		{Name: "a", Implies: []string{"b", "c"}},
		{Name: "b", Implies: []string{"d"}},
		{Name: "c", Implies: []string{"d"}},
		{Name: "d"},
	}
	for _, tc := range []struct {
		name        string
		names, want []string
	}{
		{"adds nothing to a scope that implies nothing", []string{"orders.read"}, []string{"orders.read"}},
		{"follows implication over several levels", []string{"orders.write"}, []string{"orders.write", "orders.read"}},
		{"expands breadth first", []string{"orders.admin"}, []string{"orders.admin", "orders.write", "reports.read", "orders.read"}},
		{"adds the bottom of a diamond once", []string{"a"}, []string{"a", "b", "c", "d"}},
		{"keeps the requested order first", []string{"d", "a"}, []string{"d", "a", "b", "c"}},
		{"drops duplicate requests", []string{"b", "b", "d"}, []string{"b", "d"}},
		{"keeps unknown names, implying nothing", []string{"nope", "b"}, []string{"nope", "b", "d"}},
		{"returns an empty list for no names", nil, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ExpandScopes(scopes, tc.names); !slices.Equal(got, tc.want) || got == nil {
				t.Fatalf("ExpandScopes(%q) = %q, want %q", tc.names, got, tc.want)
			}
		})
	}
}

func TestFindCycle(t *testing.T) {
	for _, tc := range []struct {
		name  string
		graph map[string][]string
		start string
		want  []string
	}{
		{"finds none in a chain", map[string][]string{"a": {"b"}, "b": {"c"}, "c": nil}, "a", nil},
		{"finds none in a diamond", map[string][]string{"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": nil}, "d", nil},
		{"finds a three-scope cycle from its start", map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"a"}}, "b", []string{"b", "c", "a", "b"}},
		{"finds a cycle away from the start", map[string][]string{"x": nil, "a": {"b"}, "b": {"a"}}, "x", []string{"a", "b", "a"}},
		{"ignores edges to unknown names", map[string][]string{"a": {"gone"}}, "a", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := findCycle(tc.graph, tc.start); !slices.Equal(got, tc.want) {
				t.Fatalf("findCycle = %q, want %q", got, tc.want)
			}
		})
	}
}
