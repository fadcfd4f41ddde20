package scim

import "slices"

// Path is the target of a PATCH operation (RFC 7644 §3.5.2):
// [Schema ":"] Attr ["." Sub], or [Schema ":"] Attr "[" Filter "]" ["." Sub].
type Path struct {
	// Schema is the schema URN the path starts with, "" when none.
	Schema string
	// Attr is the attribute, as written (match it case-insensitively).
	Attr string
	// Sub is the sub-attribute, "" when none.
	Sub string
	// Filter, when not nil, selects the values of a multi-valued Attr the
	// operation applies to: call its Match on each value (a map). Its
	// MatchWith asks caseExact about "attr.sub" paths.
	Filter Filter
}

// String returns p as ParsePath reads it.
func (p Path) String() string {
	s := attrPath{schema: p.Schema, attr: p.Attr}.String()
	if p.Filter != nil {
		s += "[" + p.Filter.String() + "]"
	}
	if p.Sub != "" {
		s += "." + p.Sub
	}
	return s
}

// ParsePath parses the path of a PATCH operation: "members",
// "name.familyName", "urn:…:User:employeeNumber", "addresses[type eq
// \"work\"]" or "members[value eq \"2819c223\"].displayName". Every
// failure is an *Error with scimType invalidPath.
func ParsePath(s string) (Path, error) {
	if len(s) > maxFilterLen {
		return Path{}, invalidPath("the path is longer than 4 KiB")
	}
	p := &parser{s: s, fail: invalidPath}
	a, perr := parseAttrPath(p.word())
	if perr != nil {
		return Path{}, invalidPath(perr.Detail)
	}
	path := Path{Schema: a.schema, Attr: a.attr, Sub: a.sub}
	if p.peek('[') {
		f, err := p.valuePath(a, nil)
		if err != nil {
			return Path{}, err
		}
		path.Filter = f.(*valuePath).f
		if p.peek('.') {
			p.pos++
			path.Sub = p.word()
			if !validName(path.Sub) {
				return Path{}, p.errorf("expected a sub-attribute after %q", s[:p.pos])
			}
		}
	}
	if p.space(); p.pos < len(p.s) {
		return Path{}, p.errorf("unexpected %q", p.next())
	}
	return path, nil
}

// SortBy sorts items by the attribute attr (an attribute path, as
// "userName" or "name.familyName"), stably, as RFC 7644 §3.4.2.3 says:
// strings case-insensitively (RFC 3339 timestamps chronologically),
// numbers numerically, false before true; a multi-valued attribute by its
// primary value, or else its first; items without a value come last in
// either order. An attr that is not an attribute path leaves items as
// they are.
func SortBy(items []map[string]any, attr string, descending bool) {
	path, err := parseAttrPath(attr)
	if err != nil {
		return
	}
	type keyed struct {
		item map[string]any
		key  any
	}
	ks := make([]keyed, len(items))
	for i, it := range items {
		ks[i] = keyed{it, sortKey(it, path)}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		switch {
		case a.key == nil && b.key == nil:
			return 0
		case a.key == nil:
			return 1
		case b.key == nil:
			return -1
		}
		c, ok := order(a.key, b.key, false)
		if !ok {
			c = kindRank(a.key) - kindRank(b.key)
		}
		if descending {
			return -c
		}
		return c
	})
	for i := range ks {
		items[i] = ks[i].item
	}
}

// sortKey returns the value r sorts by, nil when it has none.
func sortKey(r map[string]any, p attrPath) any {
	vals := values(r, attrPath{schema: p.schema, attr: p.attr})
	var v any
	for _, x := range vals {
		if m, ok := x.(map[string]any); ok {
			if b, _ := lookup(m, "primary").(bool); b {
				v = x
				break
			}
		}
	}
	if v == nil && len(vals) > 0 {
		v = vals[0]
	}
	m, complex := v.(map[string]any)
	switch {
	case complex && p.sub != "":
		v = lookup(m, p.sub)
	case complex:
		v = lookup(m, "value")
	case p.sub != "":
		v = nil
	}
	if !present(v) {
		return nil
	}
	return v
}

// kindRank orders values of different kinds: numbers, strings, booleans,
// then the rest.
func kindRank(v any) int {
	if _, ok := toFloat(v); ok {
		return 0
	}
	switch v.(type) {
	case string:
		return 1
	case bool:
		return 2
	}
	return 3
}
