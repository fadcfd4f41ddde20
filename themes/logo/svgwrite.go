package logo

import (
	"bytes"
	"encoding/xml"
	"slices"
	"strings"
)

// finish completes a parsed tree: inlines the <style> rules and drops the
// use elements that could multiply the rendering work.
func finish(root *node, css string) *node {
	if rules := parseCSS(css); len(rules) > 0 {
		inline(root, rules)
	}
	limitUses(root)
	return root
}

// limitUses drops every use whose target is missing, contains a use itself
// (a chain of uses renders exponentially many copies: the SVG "billion
// laughs"), or would bring the instantiated elements past maxElements.
// Decisions are taken on the tree as parsed and only ever remove uses, so a
// second pass keeps everything the first one kept.
func limitUses(root *node) {
	ids := map[string]*node{}
	var index func(n *node)
	index = func(n *node) {
		if id := n.attr("id"); id != "" && ids[id] == nil {
			ids[id] = n
		}
		for _, c := range n.children {
			index(c)
		}
	}
	index(root)
	drop := map[*node]bool{}
	budget := maxElements
	var visit func(n *node)
	visit = func(n *node) {
		if n.name == "use" {
			target := ids[strings.TrimPrefix(n.attr("href"), "#")]
			size, nested := subtree(target)
			if target == nil || nested || size > budget {
				drop[n] = true
			} else {
				budget -= size
			}
		}
		for _, c := range n.children {
			visit(c)
		}
	}
	visit(root)
	if len(drop) == 0 {
		return
	}
	var prune func(n *node)
	prune = func(n *node) {
		n.children = slices.DeleteFunc(n.children, func(c *node) bool { return drop[c] })
		for _, c := range n.children {
			prune(c)
		}
	}
	prune(root)
}

// subtree counts the elements of n's subtree and reports whether one of
// them is a use.
func subtree(n *node) (size int, hasUse bool) {
	if n == nil || n.name == "" {
		return 0, false
	}
	size, hasUse = 1, n.name == "use"
	for _, c := range n.children {
		s, u := subtree(c)
		size += s
		hasUse = hasUse || u
	}
	return size, hasUse
}

// marshal serialises the tree canonically: the SVG namespace on the root,
// attributes sorted by name, every value escaped, empty elements closed
// with "/>".
func (n *node) marshal() []byte {
	var b bytes.Buffer
	n.write(&b, true)
	return b.Bytes()
}

func (n *node) write(b *bytes.Buffer, root bool) {
	if n.name == "" {
		escape(b, n.text, false)
		return
	}
	b.WriteString("<" + n.name)
	if root {
		b.WriteString(` xmlns="` + svgNS + `"`)
	}
	attrs := slices.Clone(n.attrs)
	slices.SortFunc(attrs, func(x, y xml.Attr) int { return strings.Compare(x.Name.Local, y.Name.Local) })
	for _, a := range attrs {
		b.WriteString(" " + a.Name.Local + `="`)
		escape(b, a.Value, true)
		b.WriteByte('"')
	}
	if len(n.children) == 0 {
		b.WriteString("/>")
		return
	}
	b.WriteByte('>')
	for _, c := range n.children {
		c.write(b, false)
	}
	b.WriteString("</" + n.name + ">")
}

// escape writes s as XML character data or as a double-quoted attribute
// value. Whitespace other than a space is written as a character reference
// in attributes, and \r everywhere, so parsing gives back exactly s.
func escape(b *bytes.Buffer, s string, attr bool) {
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"' && attr:
			b.WriteString("&quot;")
		case r == '\r':
			b.WriteString("&#xD;")
		case r == '\n' && attr:
			b.WriteString("&#xA;")
		case r == '\t' && attr:
			b.WriteString("&#x9;")
		default:
			b.WriteRune(r)
		}
	}
}
