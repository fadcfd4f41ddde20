package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/store"
)

// claimAttributes tells the authorization servers' claims what the
// directory's user types say of custom attributes: which ones people may
// edit, and how large a value may be. The directory does not know
// authserver, so the adapter lives here.
type claimAttributes struct{ dir *directory.Directory }

// Editable returns the custom attributes any user type of the tenant
// flags user_editable.
func (c claimAttributes) Editable(ctx context.Context, tx store.Tx, tenantID string) (map[string]bool, error) {
	types, err := c.dir.UserTypes(ctx, tx, tenantID)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, t := range types {
		for name, a := range t.Attributes {
			if a.UserEditable {
				out[name] = true
			}
		}
	}
	return out, nil
}

// Bound returns the most JSON bytes a value of attr may take: the worst
// case over the user types of the tenant that can hold it. ok is false
// when no type can, or one allows it unbounded.
func (c claimAttributes) Bound(ctx context.Context, tx store.Tx, tenantID, attr string) (maxBytes int, ok bool, err error) {
	types, err := c.dir.UserTypes(ctx, tx, tenantID)
	if err != nil {
		return 0, false, err
	}
	found := false
	for _, t := range types {
		var root map[string]any
		if err := json.Unmarshal(t.Schema, &root); err != nil {
			return 0, false, fmt.Errorf("user type %s: schema: %w", t.ID, err)
		}
		s, holds := attributeSchema(root, attr)
		if !holds {
			continue
		}
		n, bounded := schemaBound(root, s, 0)
		if !bounded {
			return 0, false, nil
		}
		found, maxBytes = true, max(maxBytes, n)
	}
	return maxBytes, found, nil
}

// attributeSchema returns the schema a root object schema gives property
// name: its own (every value satisfies it), else the tightest matching
// pattern's, else additionalProperties. holds is false when the type
// cannot hold the property.
func attributeSchema(root map[string]any, name string) (s any, holds bool) {
	if props, _ := root["properties"].(map[string]any); props != nil {
		if s, ok := props[name]; ok {
			return s, true
		}
	}
	if pats, _ := root["patternProperties"].(map[string]any); len(pats) > 0 {
		var keys []string
		for p := range pats {
			if re, err := regexp.Compile(p); err == nil && re.MatchString(name) {
				keys = append(keys, p)
			}
		}
		slices.Sort(keys)
		if len(keys) > 0 {
			// The value satisfies every matching pattern; any one bounds it.
			best, bestN, bounded := pats[keys[0]], 0, false
			for _, k := range keys {
				if n, ok := schemaBound(root, pats[k], 0); ok && (!bounded || n < bestN) {
					best, bestN, bounded = pats[k], n, true
				}
			}
			return best, true
		}
	}
	switch ap := root["additionalProperties"].(type) {
	case bool:
		return true, ap
	case map[string]any:
		return ap, true
	}
	return true, true // absent: anything (the directory refuses such a schema)
}

// maxSchemaDepth bounds the nesting schemaBound follows (and $ref loops).
const maxSchemaDepth = 32

// Bytes of JSON scalars at most.
const (
	numberBytes = 24 // -1.7976931348623157e+308
	boolBytes   = 5  // false
	nullBytes   = 4  // null
)

// schemaBound returns the most JSON bytes a value valid against s takes
// (a string of n characters at most 6n+2, escapes included), and false
// when s does not bound it: a string without maxLength, an array without
// maxItems or items, an object open to more properties, a remote $ref.
func schemaBound(root map[string]any, s any, depth int) (int, bool) {
	if depth > maxSchemaDepth {
		return 0, false
	}
	m, isMap := s.(map[string]any)
	if !isMap {
		return 0, s == false // false admits no value; true admits any
	}
	if c, ok := m["const"]; ok {
		return jsonLen(c), true
	}
	if list, ok := m["enum"].([]any); ok {
		n := 0
		for _, v := range list {
			n = max(n, jsonLen(v))
		}
		return n, true
	}
	if ref, ok := m["$ref"].(string); ok {
		target, found := pointer(root, ref)
		if !found {
			return 0, false
		}
		return schemaBound(root, target, depth+1)
	}
	if t, ok := m["type"]; ok {
		kinds := []any{t}
		if list, ok := t.([]any); ok {
			kinds = list
		}
		n := 0
		for _, k := range kinds {
			kn, ok := typeBound(root, m, k, depth)
			if !ok {
				return 0, false
			}
			n = max(n, kn)
		}
		return n, true
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		if list, ok := m[key].([]any); ok && len(list) > 0 {
			n := 0
			for _, b := range list {
				bn, ok := schemaBound(root, b, depth+1)
				if !ok {
					return 0, false
				}
				n = max(n, bn)
			}
			return n, true
		}
	}
	return 0, false
}

// typeBound bounds the values of one JSON type kind under schema m.
func typeBound(root, m map[string]any, kind any, depth int) (int, bool) {
	switch kind {
	case "string":
		n, ok := m["maxLength"].(float64)
		return 6*int(n) + 2, ok && n >= 0
	case "integer", "number":
		return numberBytes, true
	case "boolean":
		return boolBytes, true
	case "null":
		return nullBytes, true
	case "array":
		n, ok := m["maxItems"].(float64)
		if !ok || n < 0 {
			return 0, false
		}
		items, ok := m["items"]
		if !ok {
			return 0, false
		}
		each, ok := schemaBound(root, items, depth+1)
		prefix, _ := m["prefixItems"].([]any)
		for _, p := range prefix {
			pn, pok := schemaBound(root, p, depth+1)
			ok = ok && pok
			each = max(each, pn)
		}
		if !ok {
			return 0, false
		}
		return 2 + int(n)*each + max(int(n)-1, 0), true
	case "object":
		if m["additionalProperties"] != false || m["patternProperties"] != nil {
			return 0, false
		}
		props, _ := m["properties"].(map[string]any)
		n := 2 + max(len(props)-1, 0)
		for k, p := range props {
			pn, ok := schemaBound(root, p, depth+1)
			if !ok {
				return 0, false
			}
			n += jsonLen(k) + 1 + pn
		}
		return n, true
	}
	return 0, false
}

// pointer resolves a local reference ("#/$defs/name") in root.
func pointer(root map[string]any, ref string) (any, bool) {
	path, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, false
	}
	var cur any = root
	for _, tok := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		if tok == "" {
			continue
		}
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// jsonLen is the length of v's JSON encoding.
func jsonLen(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return 0
	}
	return len(b)
}

var _ authserver.Attributes = claimAttributes{}
