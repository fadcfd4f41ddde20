package main

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// keyChecker collects the unknown keys and wrong shapes of a policy test
// file, with their positions, before it is decoded.
type keyChecker struct {
	file string
	errs []error
}

func (ck *keyChecker) errorf(n *yaml.Node, format string, args ...any) {
	ck.errs = append(ck.errs, fmt.Errorf("%s:%d:%d: "+format, append([]any{ck.file, n.Line, n.Column}, args...)...))
}

// mapping checks that n, at path, is a mapping whose keys are yaml tags of
// struct type t, following merge keys (<<).
func (ck *keyChecker) mapping(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		ck.errorf(n, "%s: want a mapping of %s", strings.TrimSuffix(path, ".")+orRoot(path), strings.Join(yamlKeys(t), ", "))
		return
	}
	known := yamlKeys(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolveNode(n.Content[i+1])
		if k.Value == "<<" && k.Tag == "!!merge" {
			merged := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				merged = v.Content
			}
			for _, m := range merged {
				ck.mapping(resolveNode(m), t, path)
			}
			continue
		}
		if !slices.Contains(known, k.Value) {
			hint := ""
			if s := closest(k.Value, known); s != "" {
				hint = fmt.Sprintf(" (did you mean %s?)", s)
			}
			ck.errorf(k, "unknown key %q%s; known keys: %s", path+k.Value, hint, strings.Join(known, ", "))
		}
	}
}

// orRoot names the top of the file in messages about it.
func orRoot(path string) string {
	if path == "" {
		return "the file"
	}
	return ""
}

// yamlKeys lists the yaml tags of struct type t's exported fields.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for sf := range t.Fields() {
		if name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ","); sf.IsExported() && name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}

// resolveNode follows aliases to the node they name.
func resolveNode(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// closest returns the candidate within two edits of s, or "".
func closest(s string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
