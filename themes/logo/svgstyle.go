package logo

import (
	"slices"
	"strings"
)

const (
	// maxCSS bounds the <style> text read; the rest is ignored.
	maxCSS = 64 << 10
	// maxRules bounds the style rules inlined, and so the matching work
	// (rules × elements).
	maxRules = 500
)

// decl is one CSS declaration that passed the whitelist.
type decl struct{ prop, value string }

// parseDecls reads a CSS declaration list ("fill:#f00; stroke: red"),
// keeping whitelisted presentation properties with safe values; a later
// declaration of the same property replaces the earlier one. !important is
// ignored: nothing else is left to override it.
func parseDecls(s string) []decl {
	var out []decl
	for _, part := range strings.Split(s, ";") {
		prop, value, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		prop = strings.ToLower(strings.TrimSpace(prop))
		value = strings.Join(strings.Fields(value), " ")
		if v, ok := cutSuffixFold(value, "!important"); ok {
			value = strings.TrimSpace(v)
		}
		if value == "" || !presentationProps[prop] || !safeValue(value) || strings.ContainsAny(value, ";:!") {
			continue
		}
		out = setDecl(out, decl{prop, value})
	}
	return out
}

// setDecl replaces the declaration of the same property or appends d.
func setDecl(ds []decl, d decl) []decl {
	for i := range ds {
		if ds[i].prop == d.prop {
			ds[i].value = d.value
			return ds
		}
	}
	return append(ds, d)
}

// formatDecls writes declarations in the one form parseDecls reads back
// unchanged.
func formatDecls(ds []decl) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.prop + ":" + d.value
	}
	return strings.Join(parts, ";")
}

// cutSuffixFold is strings.CutSuffix ignoring ASCII case.
func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}

// selector is a compound selector of the supported form: an optional
// element name, then any number of .class and #id parts.
type selector struct {
	tag     string
	classes []string
	ids     []string
}

// specificity orders selectors as CSS does (ids, classes, types).
func (s selector) specificity() int {
	n := 100*len(s.ids) + 10*len(s.classes)
	if s.tag != "" {
		n++
	}
	return n
}

// matches reports whether the selector applies to n.
func (s selector) matches(n *node) bool {
	if s.tag != "" && s.tag != n.name {
		return false
	}
	for _, id := range s.ids {
		if n.attr("id") != id {
			return false
		}
	}
	classes := strings.Fields(n.attr("class"))
	for _, c := range s.classes {
		if !slices.Contains(classes, c) {
			return false
		}
	}
	return true
}

// parseSelector reads one compound selector; combinators, pseudo-classes,
// attribute selectors and * are not supported and return false, which
// drops that selector only.
func parseSelector(s string) (selector, bool) {
	var sel selector
	i := 0
	for i < len(s) && isIdent(s[i]) {
		i++
	}
	sel.tag = s[:i]
	for i < len(s) {
		kind := s[i]
		j := i + 1
		for j < len(s) && isIdent(s[j]) {
			j++
		}
		if j == i+1 || kind != '.' && kind != '#' {
			return selector{}, false
		}
		if kind == '.' {
			sel.classes = append(sel.classes, s[i+1:j])
		} else {
			sel.ids = append(sel.ids, s[i+1:j])
		}
		i = j
	}
	return sel, s != ""
}

// rule is one selector of a style rule with its declarations; rules keep
// source order.
type rule struct {
	sel   selector
	decls []decl
}

// parseCSS reads the rules of a <style> element that inlining supports.
// At-rules (@import, @font-face, @media…) are skipped whole; so is anything
// the declaration whitelist refuses, url(https://…) among it.
func parseCSS(css string) []rule {
	css = stripComments(css)
	var rules []rule
	for len(rules) < maxRules {
		css = strings.TrimSpace(css)
		if css == "" {
			break
		}
		if css[0] == '@' {
			css = skipAtRule(css)
			continue
		}
		open := strings.IndexByte(css, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(css[open:], '}')
		if end < 0 {
			end = len(css) - open
		}
		decls := parseDecls(css[open+1 : open+end])
		for _, s := range strings.Split(css[:open], ",") {
			if sel, ok := parseSelector(strings.TrimSpace(s)); ok && len(decls) > 0 {
				rules = append(rules, rule{sel, decls})
			}
		}
		css = css[min(open+end+1, len(css)):]
	}
	return rules
}

// stripComments removes /* … */ comments (an unterminated one runs to the
// end).
func stripComments(css string) string {
	var b strings.Builder
	for {
		before, after, ok := strings.Cut(css, "/*")
		b.WriteString(before)
		if !ok {
			return b.String()
		}
		_, css, ok = strings.Cut(after, "*/")
		if !ok {
			return b.String()
		}
		b.WriteByte(' ')
	}
}

// skipAtRule returns the CSS after the at-rule css starts with: up to its
// ";" or past its balanced { } block, whichever comes first.
func skipAtRule(css string) string {
	depth := 0
	for i := 0; i < len(css); i++ {
		switch css[i] {
		case ';':
			if depth == 0 {
				return css[i+1:]
			}
		case '{':
			depth++
		case '}':
			depth--
			if depth <= 0 {
				return css[i+1:]
			}
		}
	}
	return ""
}

// inline writes the declarations of the matching rules into each
// element's style attribute, by specificity then source order, under the
// element's own style declarations (which win, as in CSS).
func inline(n *node, rules []rule) {
	if n.name == "" {
		return
	}
	var matched []int
	for i, r := range rules {
		if r.sel.matches(n) {
			matched = append(matched, i)
		}
	}
	if len(matched) > 0 {
		slices.SortStableFunc(matched, func(a, b int) int {
			return rules[a].sel.specificity() - rules[b].sel.specificity()
		})
		var ds []decl
		for _, i := range matched {
			for _, d := range rules[i].decls {
				ds = setDecl(ds, d)
			}
		}
		for _, d := range parseDecls(n.attr("style")) {
			ds = setDecl(ds, d)
		}
		n.setAttr("style", formatDecls(ds))
	}
	for _, c := range n.children {
		inline(c, rules)
	}
}
