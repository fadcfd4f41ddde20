package core

import "strings"

// Attr is one attribute of an element. A boolean attribute (required,
// checked) has an empty value.
type Attr struct {
	Name, Value string
}

// Node is an element, or a text node when Tag is "". Attributes keep
// their order, so that markup is written the same way every time.
type Node struct {
	Tag      string
	Attrs    []Attr
	Children []*Node
	Text     string // a text node's text
}

// El returns an element with attributes given as name/value pairs.
func El(tag string, attrs ...string) *Node {
	n := &Node{Tag: tag}
	for i := 0; i+1 < len(attrs); i += 2 {
		n.Attrs = append(n.Attrs, Attr{attrs[i], attrs[i+1]})
	}
	return n
}

// TextNode returns a text node.
func TextNode(s string) *Node { return &Node{Text: s} }

// Set adds an attribute and returns n.
func (n *Node) Set(name, value string) *Node {
	n.Attrs = append(n.Attrs, Attr{name, value})
	return n
}

// Append adds children (nil ones are skipped) and returns n.
func (n *Node) Append(children ...*Node) *Node {
	for _, c := range children {
		if c != nil {
			n.Children = append(n.Children, c)
		}
	}
	return n
}

// Attr returns the value of the attribute name and whether n has it.
func (n *Node) Attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

// Find returns the first element, in document order from n itself, for
// which match is true, or nil.
func (n *Node) Find(match func(*Node) bool) *Node {
	if n.Tag != "" && match(n) {
		return n
	}
	for _, c := range n.Children {
		if f := c.Find(match); f != nil {
			return f
		}
	}
	return nil
}

// voidElements have no end tag.
var voidElements = map[string]bool{"input": true, "br": true, "img": true, "hr": true, "meta": true, "link": true, "path": true, "rect": true}

// HTML writes the tree as HTML, escaping text and attribute values as
// templ does (&, <, >, " and '). Boolean attributes are written with an
// empty value (checked=""), which HTML reads the same.
func (n *Node) HTML() string {
	var b strings.Builder
	n.write(&b)
	return b.String()
}

func (n *Node) write(b *strings.Builder) {
	if n.Tag == "" {
		b.WriteString(escape(n.Text))
		return
	}
	b.WriteString("<" + n.Tag)
	for _, a := range n.Attrs {
		b.WriteString(" " + a.Name + `="` + escape(a.Value) + `"`)
	}
	if voidElements[n.Tag] && len(n.Children) == 0 {
		if n.Tag == "path" || n.Tag == "rect" {
			b.WriteString("/>")
		} else {
			b.WriteString(">")
		}
		return
	}
	b.WriteString(">")
	for _, c := range n.Children {
		c.write(b)
	}
	b.WriteString("</" + n.Tag + ">")
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")

func escape(s string) string { return escaper.Replace(s) }
