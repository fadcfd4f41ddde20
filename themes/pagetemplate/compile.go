package pagetemplate

import (
	"strings"

	"golang.org/x/net/html"
)

// Markers Compile leaves in the serialised page, where Render writes per
// request: a comment per slot (a comment stays where it is when parsed
// again, in <head> as in a table) and an attribute for the nonce and for
// lang/dir. They start with reserved, which no page can contain.
const (
	slotMarker    = reserved + "slot_" // + name + "__", in a comment
	nonceMarker   = reserved + "nonce"
	langDirMarker = reserved + "langdir"
)

// Compile validates src, a brand's page template, against the brand's
// style and script origins (https://host or https://*.host), and prepares
// it for rendering. Every problem with the page comes back at once,
// joined; errors.Is(err, ErrInvalid) holds and Problems lists them. A
// malformed origin is an error of its own, not ErrInvalid.
func Compile(src string, styleOrigins, scriptOrigins []string) (*Template, error) {
	style, err := newOrigins("style", styleOrigins)
	if err != nil {
		return nil, err
	}
	script, err := newOrigins("script", scriptOrigins)
	if err != nil {
		return nil, err
	}
	src = strings.TrimPrefix(src, "\uFEFF") // a byte-order mark would be read as text
	ps := &problems{}
	if checkSource(src, ps); !ps.empty() {
		return nil, ps.err()
	}
	doc, err := html.Parse(strings.NewReader(annotate(src)))
	if err != nil {
		// The reader cannot fail, so this is the parser's limit of 512
		// open elements, the page's to fix.
		return nil, &Problem{Msg: "the page nests elements more than 512 deep: close the tags it leaves open"}
	}
	c := &checker{ps: ps, style: style, script: script, listed: style.join(script)}
	root := c.structure(doc)
	c.walk(doc)
	if c.body != nil && !c.has(SlotForm) {
		ps.add(0, "the page has no form slot: add <lintel-slot name=\"form\"></lintel-slot> inside <body> where the sign-in form goes")
	}
	if !ps.empty() {
		return nil, ps.err()
	}
	t := &Template{}
	for _, s := range c.slots {
		t.slots = append(t.slots, s.name)
	}
	t.lang, t.dir = mark(doc, root, c)
	if err := t.split(doc); err != nil {
		return nil, err
	}
	return t, nil
}

// Check is Compile without keeping the result, for validating a page when
// it is saved.
func Check(src string, styleOrigins, scriptOrigins []string) error {
	_, err := Compile(src, styleOrigins, scriptOrigins)
	return err
}

// structure finds <html>, <head> and <body>, which the parser adds when
// the page leaves them out; it returns <html>.
func (c *checker) structure(doc *html.Node) *html.Node {
	var root *html.Node
	for n := doc.FirstChild; n != nil; n = n.NextSibling {
		if n.Type == html.ElementNode && n.Data == "html" {
			root = n
		}
	}
	if root == nil {
		c.ps.add(0, "the page has no <html> element")
		return nil
	}
	for n := root.FirstChild; n != nil; n = n.NextSibling {
		if n.Type == html.ElementNode && n.Data == "head" && c.head == nil {
			c.head = n
		}
		if n.Type == html.ElementNode && n.Data == "body" && c.body == nil {
			c.body = n
		}
	}
	if c.head == nil {
		c.ps.add(0, "the page has no <head>")
	}
	if c.body == nil {
		c.ps.add(0, "the page has no <body> to hold the sign-in form")
	}
	return root
}

// has reports whether the page has the named slot.
func (c *checker) has(name string) bool {
	for _, s := range c.slots {
		if s.name == name {
			return true
		}
	}
	return false
}

// mark turns a valid page into what Render needs: line attributes go,
// slots become comment markers (the head marker goes at the end of <head>
// when the page has no head slot), every <script> and <style> gets the
// nonce marker in place of any nonce of its own, <html> gets the lang/dir
// marker in place of its lang, dir and xml:lang, and the doctype becomes
// <!DOCTYPE html>. It returns the page's own lang and dir, HTML-escaped,
// which Render uses when Parts leaves them empty.
func mark(doc, root *html.Node, c *checker) (lang, dir string) {
	for _, s := range c.slots {
		s.node.Parent.InsertBefore(&html.Node{Type: html.CommentNode, Data: slotMarker + s.name + "__"}, s.node)
		s.node.Parent.RemoveChild(s.node)
	}
	if !c.has(SlotHead) {
		c.head.AppendChild(&html.Node{Type: html.CommentNode, Data: slotMarker + SlotHead + "__"})
	}
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.ElementNode {
			n.Attr = without(n.Attr, lineAttr)
			if n.Data == "script" || n.Data == "style" {
				n.Attr = append(without(n.Attr, "nonce"), html.Attribute{Key: nonceMarker})
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			visit(ch)
		}
	}
	visit(doc)
	if v, ok := attr(root, "lang"); ok {
		lang = html.EscapeString(v)
	}
	if v, ok := attr(root, "dir"); ok {
		dir = html.EscapeString(v)
	}
	root.Attr = append(without(root.Attr, "lang", "dir", "xml:lang"), html.Attribute{Key: langDirMarker})
	for n := doc.FirstChild; n != nil; {
		next := n.NextSibling
		if n.Type == html.DoctypeNode {
			doc.RemoveChild(n)
		}
		n = next
	}
	doc.InsertBefore(&html.Node{Type: html.DoctypeNode, Data: "html"}, doc.FirstChild)
	return lang, dir
}

// without returns attrs less those with one of keys, reusing its array.
func without(attrs []html.Attribute, keys ...string) []html.Attribute {
	out := attrs[:0]
	for _, a := range attrs {
		drop := false
		for _, k := range keys {
			drop = drop || a.Key == k
		}
		if !drop {
			out = append(out, a)
		}
	}
	return out
}
