package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The scimType values of RFC 7644 §3.12.
const (
	ScimInvalidFilter = "invalidFilter"
	ScimInvalidPath   = "invalidPath"
	ScimNoTarget      = "noTarget"
	ScimInvalidValue  = "invalidValue"
	ScimTooMany       = "tooMany"
	ScimMutability    = "mutability"
	ScimInvalidSyntax = "invalidSyntax"
	ScimUniqueness    = "uniqueness"
)

// Error is a SCIM error response (RFC 7644 §3.12): the HTTP status, the
// scimType (empty when none applies) and a detail for the client.
type Error struct {
	Status   int
	ScimType string
	Detail   string
}

func (e *Error) Error() string {
	if e.ScimType == "" {
		return fmt.Sprintf("scim: %d: %s", e.Status, e.Detail)
	}
	return fmt.Sprintf("scim: %s: %s", e.ScimType, e.Detail)
}

func invalidFilter(detail string) *Error {
	return &Error{Status: http.StatusBadRequest, ScimType: ScimInvalidFilter, Detail: detail}
}

func invalidPath(detail string) *Error {
	return &Error{Status: http.StatusBadRequest, ScimType: ScimInvalidPath, Detail: detail}
}

// Bounds on a filter, so that a request cannot make the parser or the
// matcher work without limit.
const (
	maxFilterLen   = 4 << 10
	maxFilterDepth = 32
)

// Filter is a parsed SCIM filter. Resources are JSON-like maps (string,
// float64 or json.Number, bool, nil, []any, map[string]any).
//
// Attribute names match case-insensitively. An attribute with a schema
// URN ("urn:…:User:employeeNumber") is looked up in the resource's member
// named by the URN, and at the top level when there is none (the core
// schema's attributes). A multi-valued attribute matches when any of its
// values does; a complex value compared without a sub-attribute compares
// its "value" sub-attribute. Strings compare case-insensitively unless
// the caseExact function of MatchWith says otherwise; two strings that
// are both RFC 3339 timestamps (meta.created, meta.lastModified) compare
// chronologically. A value of another type than the literal's never
// matches, except that "ne" matches whatever "eq" does not.
type Filter interface {
	// Match reports whether r matches, comparing all strings
	// case-insensitively.
	Match(r map[string]any) bool
	// MatchWith reports whether r matches; caseExact, when not nil, says
	// which attributes compare case-sensitively. It gets the attribute's
	// path without schema, lowercased: "username", "emails.value".
	MatchWith(r map[string]any, caseExact func(path string) bool) bool
	// String returns the filter in canonical form, which ParseFilter reads
	// back to the same filter.
	String() string
	eval(r map[string]any, caseExact func(string) bool) bool
}

// attrPath is an attribute reference: [schema ":"] attr ["." sub].
type attrPath struct {
	schema, attr, sub string
}

func (a attrPath) String() string {
	s := a.attr
	if a.sub != "" {
		s += "." + a.sub
	}
	if a.schema != "" {
		s = a.schema + ":" + s
	}
	return s
}

// compare is "attrPath op value" or "attrPath pr" (value unused).
type compare struct {
	path  attrPath
	op    string
	value any    // string, float64, bool or nil
	exact string // the lowercased path caseExact is asked about
}

type logical struct {
	and         bool
	left, right Filter
}

type not struct{ f Filter }

// valuePath is attr[filter]: the inner filter applies to each value.
type valuePath struct {
	path attrPath
	f    Filter
}

func (c *compare) Match(r map[string]any) bool   { return c.eval(r, nil) }
func (l *logical) Match(r map[string]any) bool   { return l.eval(r, nil) }
func (n *not) Match(r map[string]any) bool       { return n.eval(r, nil) }
func (v *valuePath) Match(r map[string]any) bool { return v.eval(r, nil) }

func (c *compare) MatchWith(r map[string]any, ce func(string) bool) bool   { return c.eval(r, ce) }
func (l *logical) MatchWith(r map[string]any, ce func(string) bool) bool   { return l.eval(r, ce) }
func (n *not) MatchWith(r map[string]any, ce func(string) bool) bool       { return n.eval(r, ce) }
func (v *valuePath) MatchWith(r map[string]any, ce func(string) bool) bool { return v.eval(r, ce) }

func (l *logical) eval(r map[string]any, ce func(string) bool) bool {
	if l.and {
		return l.left.eval(r, ce) && l.right.eval(r, ce)
	}
	return l.left.eval(r, ce) || l.right.eval(r, ce)
}

func (n *not) eval(r map[string]any, ce func(string) bool) bool { return !n.f.eval(r, ce) }

func (v *valuePath) eval(r map[string]any, ce func(string) bool) bool {
	for _, x := range values(r, v.path) {
		if m, ok := x.(map[string]any); ok && v.f.eval(m, ce) {
			return true
		}
	}
	return false
}

func (c *compare) eval(r map[string]any, ce func(string) bool) bool {
	vals := values(r, c.path)
	switch c.op {
	case "pr":
		for _, x := range vals {
			if present(x) {
				return true
			}
		}
		return false
	case "ne":
		return !c.any(vals, "eq", ce)
	}
	return c.any(vals, c.op, ce)
}

// any reports whether one of vals satisfies op against c.value.
func (c *compare) any(vals []any, op string, ce func(string) bool) bool {
	exact := ce != nil && ce(c.exact)
	if c.value == nil && op == "eq" && len(vals) == 0 {
		return true // an absent attribute equals null
	}
	for _, x := range vals {
		if m, ok := x.(map[string]any); ok {
			x = lookup(m, "value")
		}
		if op != "co" && op != "sw" && op != "ew" {
			if cmp, ok := order(x, c.value, exact); ok && opHolds(op, cmp) {
				return true
			}
			continue
		}
		a, ok1 := x.(string)
		b, ok2 := c.value.(string)
		if !ok1 || !ok2 {
			continue
		}
		if !exact {
			a, b = strings.ToLower(a), strings.ToLower(b)
		}
		switch op {
		case "co":
			ok1 = strings.Contains(a, b)
		case "sw":
			ok1 = strings.HasPrefix(a, b)
		default:
			ok1 = strings.HasSuffix(a, b)
		}
		if ok1 {
			return true
		}
	}
	return false
}

func opHolds(op string, cmp int) bool {
	switch op {
	case "eq":
		return cmp == 0
	case "gt":
		return cmp > 0
	case "ge":
		return cmp >= 0
	case "lt":
		return cmp < 0
	case "le":
		return cmp <= 0
	}
	return false
}

// order compares a with b when both are of one ordered kind (numbers,
// timestamps, strings, booleans and nulls for equality only). Booleans
// and nulls order as equal or not; the parser refuses gt/lt on them.
func order(a, b any, exact bool) (int, bool) {
	if fa, ok := toFloat(a); ok {
		if fb, ok := toFloat(b); ok {
			switch {
			case fa < fb:
				return -1, true
			case fa > fb:
				return 1, true
			}
			return 0, true
		}
		return 0, false
	}
	switch a := a.(type) {
	case string:
		b, ok := b.(string)
		if !ok {
			return 0, false
		}
		if ta, err := time.Parse(time.RFC3339Nano, a); err == nil {
			if tb, err := time.Parse(time.RFC3339Nano, b); err == nil {
				return ta.Compare(tb), true
			}
		}
		if !exact {
			a, b = strings.ToLower(a), strings.ToLower(b)
		}
		return strings.Compare(a, b), true
	case bool:
		if b, ok := b.(bool); ok {
			switch {
			case a == b:
				return 0, true
			case b:
				return -1, true // false before true, for sorting
			}
			return 1, true
		}
	case nil:
		if b == nil {
			return 0, true
		}
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}

// present reports whether x is a value for "pr": not null, not an empty
// string, array or object.
func present(x any) bool {
	switch x := x.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// lookup returns the member of m named name, case-insensitively.
func lookup(m map[string]any, name string) any {
	if v, ok := m[name]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// values returns the values of p in r, multi-valued attributes flattened
// (a sub-attribute of a multi-valued complex attribute yields one value
// per element).
func values(r map[string]any, p attrPath) []any {
	if p.schema != "" {
		if ext, ok := lookup(r, p.schema).(map[string]any); ok {
			r = ext
		}
	}
	vals := flatten(lookup(r, p.attr))
	if p.sub == "" {
		return vals
	}
	var out []any
	for _, v := range vals {
		if m, ok := v.(map[string]any); ok {
			out = append(out, flatten(lookup(m, p.sub))...)
		}
	}
	return out
}

// flatten returns the values of a (possibly multi-valued) attribute. A
// resource built in Go rather than decoded holds []map[string]any.
func flatten(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	case []map[string]any:
		out := make([]any, len(v))
		for i, m := range v {
			out[i] = m
		}
		return out
	}
	return []any{v}
}

// String forms. A logical operand is parenthesized only where precedence
// needs it, so that String is stable under ParseFilter.

func (c *compare) String() string {
	if c.op == "pr" {
		return c.path.String() + " pr"
	}
	return c.path.String() + " " + c.op + " " + literal(c.value)
}

func (l *logical) String() string {
	op, left, right := " or ", l.left.String(), l.right.String()
	if l.and {
		op = " and "
		if r, ok := l.left.(*logical); ok && !r.and {
			left = "(" + left + ")"
		}
		if r, ok := l.right.(*logical); ok && !r.and {
			right = "(" + right + ")"
		}
	}
	// Parsing is left-associative: a right operand of the same operator
	// keeps its parentheses.
	if r, ok := l.right.(*logical); ok && r.and == l.and {
		right = "(" + right + ")"
	}
	return left + op + right
}

func (n *not) String() string { return "not (" + n.f.String() + ")" }

func (v *valuePath) String() string { return v.path.String() + "[" + v.f.String() + "]" }

func literal(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// ParseFilter parses a SCIM filter (RFC 7644 §3.4.2.2): comparisons
// (eq ne co sw ew gt ge lt le, pr), "and", "or", "not (…)", parentheses
// and value paths ("emails[type eq \"work\"]"). Operators, keywords and
// attribute names are case-insensitive; "not" binds tighter than "and",
// which binds tighter than "or". Values are JSON strings, numbers, true,
// false or null. A filter is at most 4 KiB long and nests at most 32
// levels. Every failure is an *Error with scimType invalidFilter.
func ParseFilter(s string) (Filter, error) {
	if len(s) > maxFilterLen {
		return nil, invalidFilter("the filter is longer than 4 KiB")
	}
	p := &parser{s: s, fail: invalidFilter}
	f, err := p.or(nil)
	if err != nil {
		return nil, err
	}
	if p.space(); p.pos < len(p.s) {
		return nil, p.errorf("unexpected %q", p.next())
	}
	return f, nil
}

// parser is a recursive-descent parser over s; fail makes its errors
// (invalidFilter, or invalidPath for ParsePath).
type parser struct {
	s     string
	pos   int
	depth int
	fail  func(string) *Error
}

func (p *parser) errorf(format string, args ...any) error {
	return p.fail(fmt.Sprintf("at offset %d: ", p.pos) + fmt.Sprintf(format, args...))
}

// next returns a short view of the input left, for error details.
func (p *parser) next() string {
	rest := p.s[p.pos:]
	if len(rest) > 20 {
		rest = rest[:20] + "…"
	}
	return rest
}

func (p *parser) space() {
	for p.pos < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.pos]) >= 0 {
		p.pos++
	}
}

// peek skips space and reports whether the next byte is c.
func (p *parser) peek(c byte) bool {
	p.space()
	return p.pos < len(p.s) && p.s[p.pos] == c
}

func (p *parser) expect(c byte) error {
	if !p.peek(c) {
		return p.errorf("expected %q", c)
	}
	p.pos++
	return nil
}

// enter counts one level of nesting and refuses too many.
func (p *parser) enter() error {
	if p.depth++; p.depth > maxFilterDepth {
		return p.errorf("the filter nests more than %d levels", maxFilterDepth)
	}
	return nil
}

func isNameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '-' || c == '.' || c == ':' || c == '$'
}

// word reads a run of name characters: an attribute path, an operator or
// a keyword.
func (p *parser) word() string {
	p.space()
	start := p.pos
	for p.pos < len(p.s) && isNameChar(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos]
}

// keyword reads the keyword kw if it comes next.
func (p *parser) keyword(kw string) bool {
	save := p.pos
	if strings.EqualFold(p.word(), kw) {
		return true
	}
	p.pos = save
	return false
}

// or parses "and"-expressions joined by "or"; parent is the attribute of
// an enclosing value path, nil at the top.
func (p *parser) or(parent *attrPath) (Filter, error) {
	left, err := p.and(parent)
	for err == nil && p.keyword("or") {
		var right Filter
		if right, err = p.and(parent); err == nil {
			left = &logical{left: left, right: right}
		}
	}
	return left, err
}

func (p *parser) and(parent *attrPath) (Filter, error) {
	left, err := p.unary(parent)
	for err == nil && p.keyword("and") {
		var right Filter
		if right, err = p.unary(parent); err == nil {
			left = &logical{and: true, left: left, right: right}
		}
	}
	return left, err
}

func (p *parser) unary(parent *attrPath) (Filter, error) {
	save := p.pos
	// "not" is a keyword only before "(": otherwise it names an attribute.
	if p.keyword("not") && p.peek('(') {
		f, err := p.group(parent)
		if err != nil {
			return nil, err
		}
		return &not{f}, nil
	}
	p.pos = save
	if p.peek('(') {
		return p.group(parent)
	}
	return p.attrExp(parent)
}

// group parses "(" filter ")".
func (p *parser) group(parent *attrPath) (Filter, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.pos++ // the "(" peeked
	f, err := p.or(parent)
	if err == nil {
		err = p.expect(')')
	}
	p.depth--
	return f, err
}

// attrExp parses "attrPath pr", "attrPath op value" or a value path.
func (p *parser) attrExp(parent *attrPath) (Filter, error) {
	start := p.pos
	path, perr := parseAttrPath(p.word())
	if perr != nil {
		p.pos = start
		return nil, p.errorf("%s", perr.Detail)
	}
	if parent != nil && (path.schema != "" || path.sub != "") {
		p.pos = start
		return nil, p.errorf("a value filter names only sub-attributes of %s", parent.attr)
	}
	if p.peek('[') {
		f, err := p.valuePath(path, parent)
		if err != nil || p.pos == len(p.s) || p.s[p.pos] != '.' {
			return f, err
		}
		return p.valuePathSub(f.(*valuePath))
	}
	exact := strings.ToLower(path.attr)
	if parent != nil {
		exact = strings.ToLower(parent.attr) + "." + exact
	} else if path.sub != "" {
		exact += "." + strings.ToLower(path.sub)
	}
	return p.comparison(path, exact)
}

// valuePathSub parses ".sub op value" right after a value path v:
// "emails[type eq \"work\"].value eq \"x\"", which Microsoft Entra ID
// sends though RFC 7644's grammar lacks it. It reads as the value filter
// "emails[type eq \"work\" and value eq \"x\"]": one value must satisfy
// both.
func (p *parser) valuePathSub(v *valuePath) (Filter, error) {
	p.pos++ // the "."
	start := p.pos
	sub := p.word()
	if !validName(sub) || p.pos > start+len(sub) {
		p.pos = start
		return nil, p.errorf("expected a sub-attribute of %s", v.path)
	}
	c, err := p.comparison(attrPath{attr: sub}, strings.ToLower(v.path.attr)+"."+strings.ToLower(sub))
	if err != nil {
		return nil, err
	}
	return &valuePath{path: v.path, f: &logical{and: true, left: v.f, right: c}}, nil
}

// comparison parses "pr" or "op value" after the attribute path; exact is
// the path caseExact is asked about.
func (p *parser) comparison(path attrPath, exact string) (Filter, error) {
	op := strings.ToLower(p.word())
	switch op {
	case "pr":
		return &compare{path: path, op: op, exact: exact}, nil
	case "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le":
	case "":
		return nil, p.errorf("expected an operator after %s", path)
	default:
		return nil, p.errorf("unknown operator %q", op)
	}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	switch op {
	case "co", "sw", "ew":
		if _, ok := v.(string); !ok {
			return nil, p.errorf("%s needs a string", op)
		}
	case "gt", "ge", "lt", "le":
		switch v.(type) {
		case bool, nil:
			return nil, p.errorf("%s needs a string, number or date", op)
		}
	}
	return &compare{path: path, op: op, value: v, exact: exact}, nil
}

// valuePath parses "[" valFilter "]" after path.
func (p *parser) valuePath(path attrPath, parent *attrPath) (Filter, error) {
	if parent != nil {
		return nil, p.errorf("value filters do not nest")
	}
	if path.sub != "" {
		return nil, p.errorf("a value filter applies to an attribute, not to %s", path)
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.pos++ // the "[" peeked
	f, err := p.or(&path)
	if err == nil {
		err = p.expect(']')
	}
	p.depth--
	if err != nil {
		return nil, err
	}
	return &valuePath{path: path, f: f}, nil
}

// value parses a comparison value: a JSON string or number, true, false
// or null.
func (p *parser) value() (any, error) {
	p.space()
	start := p.pos
	if p.pos == len(p.s) {
		return nil, p.errorf("expected a value")
	}
	switch c := p.s[p.pos]; {
	case c == '"':
		for p.pos++; p.pos < len(p.s) && p.s[p.pos] != '"'; p.pos++ {
			if p.s[p.pos] == '\\' {
				p.pos++
			}
		}
		if p.pos >= len(p.s) {
			p.pos = start
			return nil, p.errorf("unterminated string")
		}
		p.pos++
		var v string
		if err := json.Unmarshal([]byte(p.s[start:p.pos]), &v); err != nil {
			p.pos = start
			return nil, p.errorf("invalid string")
		}
		return v, nil
	case c == '-' || '0' <= c && c <= '9':
		for p.pos < len(p.s) && strings.IndexByte("0123456789+-.eE", p.s[p.pos]) >= 0 {
			p.pos++
		}
		var v float64
		if err := json.Unmarshal([]byte(p.s[start:p.pos]), &v); err != nil {
			p.pos = start
			return nil, p.errorf("invalid number")
		}
		return v, nil
	}
	switch w := strings.ToLower(p.word()); w {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	p.pos = start
	return nil, p.errorf("expected a value")
}

// parseAttrPath splits [schema ":"] attr ["." sub]; its error is a detail.
func parseAttrPath(s string) (attrPath, *Error) {
	var a attrPath
	rest := s
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		a.schema, rest = s[:i], s[i+1:]
		if len(a.schema) < 5 || !strings.EqualFold(a.schema[:4], "urn:") {
			return a, invalidFilter(fmt.Sprintf("%q is not a schema URN", a.schema))
		}
	}
	a.attr, a.sub, _ = strings.Cut(rest, ".")
	if !validName(a.attr) || strings.Contains(rest, ".") && !validName(a.sub) {
		if s == "" {
			return a, invalidFilter("expected an attribute")
		}
		return a, invalidFilter(fmt.Sprintf("%q is not an attribute", s))
	}
	return a, nil
}

// validName reports whether s is an ATTRNAME of RFC 7644 ("$ref" too).
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		switch {
		case letter, i == 0 && c == '$':
		case i > 0 && ('0' <= c && c <= '9' || c == '-' || c == '_'):
		default:
			return false
		}
	}
	return true
}
