package authserver

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/internal/invalid"
)

// ExpandScopes returns names with every scope they imply, transitively,
// according to scopes (the scopes of one server): first names in their
// order without duplicates, then the implied scopes in breadth-first
// order, each once. A name that is not in scopes is kept and implies
// nothing; whether it may be granted is for the caller to decide.
func ExpandScopes(scopes []Scope, names []string) []string {
	implies := make(map[string][]string, len(scopes))
	for _, sc := range scopes {
		implies[sc.Name] = sc.Implies
	}
	out := make([]string, 0, len(names))
	seen := make(map[string]bool, len(names))
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, n := range names {
		add(n)
	}
	// out is the breadth-first queue: everything after i is still to be
	// expanded.
	for i := 0; i < len(out); i++ {
		for _, m := range implies[out[i]] {
			add(m)
		}
	}
	return out
}

// checkImplies checks what sc implies: names of other scopes of its
// server (all, as stored; sc's own stored row is ignored), none twice, and
// no cycle in the server's implication graph with sc changed. It returns
// the list, never nil.
func checkImplies(all []Scope, sc Scope) ([]string, error) {
	graph := map[string][]string{}
	for _, o := range all {
		if o.ID != sc.ID {
			graph[o.Name] = o.Implies
		}
	}
	var errs []error
	for i, n := range sc.Implies {
		f := fmt.Sprintf("implies[%d]", i)
		_, known := graph[n]
		switch {
		case n == sc.Name:
			errs = append(errs, invalid.Field(f, "a scope must not imply itself"))
		case !known:
			errs = append(errs, invalid.Field(f, "%q is not a scope of this server", n))
		case slices.Index(sc.Implies, n) < i:
			errs = append(errs, invalid.Field(f, "%q appears twice", n))
		}
	}
	if sc.Implies == nil {
		sc.Implies = []string{}
	}
	if len(errs) > 0 {
		return sc.Implies, errors.Join(errs...)
	}
	graph[sc.Name] = sc.Implies
	if cycle := findCycle(graph, sc.Name); cycle != nil {
		return sc.Implies, invalid.Field("implies", "would make a cycle: %s", strings.Join(cycle, " → "))
	}
	return sc.Implies, nil
}

// findCycle returns a cycle of graph as the path of names that starts and
// ends with the same name, or nil when graph is acyclic. The search
// starts at start, then takes the other names in sorted order, so the
// path reported is stable. Edges to names that are not in graph lead
// nowhere.
func findCycle(graph map[string][]string, start string) []string {
	const (
		unseen = iota
		onPath
		done
	)
	state := make(map[string]int, len(graph))
	var path []string
	var visit func(n string) []string
	visit = func(n string) []string {
		state[n] = onPath
		path = append(path, n)
		for _, m := range graph[n] {
			switch state[m] {
			case onPath:
				i := slices.Index(path, m)
				return append(slices.Clone(path[i:]), m)
			case unseen:
				if c := visit(m); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[n] = done
		return nil
	}
	names := make([]string, 0, len(graph))
	for n := range graph {
		if n != start {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range append([]string{start}, names...) {
		if state[n] == unseen {
			if c := visit(n); c != nil {
				return c
			}
		}
	}
	return nil
}
