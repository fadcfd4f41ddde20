package pagetemplate

import (
	"strings"

	"golang.org/x/net/html"
)

// Slot names, in the order Lintel documents them.
const (
	SlotHead   = "head"
	SlotForm   = "form"
	SlotFooter = "footer"
	SlotLogo   = "logo"
)

// knownSlot reports whether name is a slot Lintel fills.
func knownSlot(name string) bool {
	switch name {
	case SlotHead, SlotForm, SlotFooter, SlotLogo:
		return true
	}
	return false
}

// slot checks one <lintel-slot> (a marked <template> in the tree) and
// records it when it is sound.
func (c *checker) slot(n *html.Node) {
	l := line(n)
	name, named := attr(n, "name")
	for _, a := range n.Attr {
		if a.Key != slotAttr && a.Key != "name" {
			c.ps.add(l, "<lintel-slot %s>: a slot takes only a name; put %s on an element around it", a.Key, a.Key)
		}
	}
	switch {
	case !named || name == "":
		c.ps.add(l, "<lintel-slot> needs a name: head, form, footer or logo")
		return
	case !knownSlot(name) && knownSlot(strings.TrimSuffix(name, "/")):
		// name=form/> reads the slash into an unquoted value.
		c.ps.add(l, "<lintel-slot name=%s/>: quote the name, as name=%q, or leave a space before />", strings.TrimSuffix(name, "/"), strings.TrimSuffix(name, "/"))
		return
	case !knownSlot(name):
		c.ps.add(l, "<lintel-slot name=%s> is not a slot Lintel fills: use head, form, footer or logo", short(name))
		return
	}
	for _, s := range c.slots {
		if s.name == name {
			c.ps.add(l, "the %q slot appears again (first on line %d); each slot may appear once", name, s.line)
			return
		}
	}
	if !emptySlot(n) {
		c.ps.add(l, "the %q slot must be empty, as <lintel-slot name=%q></lintel-slot> or <lintel-slot name=%q/>: Lintel fills it", name, name, name)
	}
	if why := c.placement(n, name); why != "" {
		c.ps.add(l, "the %q slot %s", name, why)
	}
	c.slots = append(c.slots, slot{name: name, line: l, node: n})
}

// emptySlot reports whether a slot holds nothing but white space.
func emptySlot(n *html.Node) bool {
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if ch.Type != html.TextNode || strings.TrimSpace(ch.Data) != "" {
			return false
		}
	}
	return true
}

// placement says why slot n may not be where it is, or "". The head slot
// belongs directly in <head>; the others in <body>, and not inside an
// element a browser would close or move when Lintel's markup arrives
// (a <main> closes an open <p>, a link cannot hold links), so that the
// page a browser builds is the one Lintel checked. (A slot written
// between table rows is moved before the table by the parser, as a
// browser would move it.) The logo, an <img>, may also sit in a link, a paragraph
// or a heading.
func (c *checker) placement(n *html.Node, name string) string {
	if name == SlotHead {
		if c.head == nil || n.Parent != c.head {
			return "must be directly inside <head>"
		}
		return ""
	}
	for p := n.Parent; p != nil; p = p.Parent {
		if p == c.body {
			return ""
		}
		if p.Type != html.ElementNode {
			continue
		}
		switch p.Data {
		case "head":
			return "must be inside <body>"
		case "option", "optgroup", "datalist", "ruby", "rt", "rp", "template":
			return "cannot be inside <" + p.Data + ">"
		}
		if name == SlotLogo {
			// The logo is an <img>, at home in a link or a heading.
			continue
		}
		switch p.Data {
		case "p":
			return "cannot be inside <p>: the browser would end the paragraph before it; use a <div>"
		case "a":
			return "cannot be inside <a>: a link cannot hold Lintel's own links"
		case "h1", "h2", "h3", "h4", "h5", "h6", "label":
			return "cannot be inside <" + p.Data + ">; use a <div>"
		}
	}
	return "must be inside <body>"
}
