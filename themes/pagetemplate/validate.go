package pagetemplate

import (
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// checker walks a parsed page once, recording every problem and the slots.
type checker struct {
	ps                    *problems
	style, script, listed *origins // listed: both, for preconnect
	head, body            *html.Node
	slots                 []slot
}

// slot is a <lintel-slot> found in the page.
type slot struct {
	name string
	line int
	node *html.Node
}

// line returns the source line of element n, 0 when the parser made n.
func line(n *html.Node) int {
	for _, a := range n.Attr {
		if a.Key == lineAttr || a.Key == slotAttr {
			l, _ := strconv.Atoi(a.Val)
			return l
		}
	}
	return 0
}

// attr returns the value of n's attribute key and whether n has it.
func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// elementLine returns the line of n if it is an element, else of its
// nearest element ancestor: a text node's problem is shown at its parent.
func elementLine(n *html.Node) int {
	for ; n != nil; n = n.Parent {
		if n.Type == html.ElementNode {
			return line(n)
		}
	}
	return 0
}

// walk checks n and, unless n is refused as a whole, its descendants.
func (c *checker) walk(n *html.Node) {
	switch n.Type {
	case html.ElementNode:
		if !c.element(n) {
			return
		}
	case html.TextNode, html.CommentNode:
		// The source has no reserved text, but character references
		// (&#95;) can still spell it once decoded.
		if strings.Contains(asciiLower(n.Data), reserved) {
			c.ps.add(elementLine(n), "the text __LINTEL_ is reserved for Lintel's own markers and cannot appear in a page")
		}
	}
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		c.walk(ch)
	}
}

// element checks one element and its attributes, and reports whether its
// children are to be checked too (not for an element refused whole).
func (c *checker) element(n *html.Node) bool {
	l := line(n)
	if n.Namespace != "" {
		c.ps.add(l, "<%s> is not allowed: browsers read its content by other rules; put the drawing in an image file and show it with <img>", n.Data)
		return false
	}
	if _, ok := attr(n, slotAttr); ok && (n.Data == "template" || n.Data == "lintel-slot") {
		c.slot(n)
		return false
	}
	if why := refused(n.Data); why != "" {
		c.ps.add(l, "<%s> is not allowed: %s", n.Data, why)
		return false
	}
	for _, a := range n.Attr {
		c.attribute(n, a, l)
	}
	switch n.Data {
	case "script":
		c.scriptElement(n, l)
	case "link":
		c.link(n, l)
	case "meta":
		if _, ok := attr(n, "http-equiv"); ok {
			c.ps.add(l, "<meta http-equiv> is not allowed: it could redirect or re-head the page; Lintel sets the page's headers itself")
		}
		if cs, ok := attr(n, "charset"); ok && !strings.EqualFold(strings.TrimSpace(cs), "utf-8") {
			c.ps.add(l, "<meta charset=%s>: the page is served as UTF-8; write <meta charset=\"utf-8\"> or leave it out", short(cs))
		}
	}
	return true
}

// refused says why an element is refused whatever its attributes, or "".
func refused(name string) string {
	switch name {
	case "lintel-slot":
		return "Lintel cannot read a slot here; put the head slot directly in <head> and the others in <body>"
	case "base":
		return "it would change where every link and resource of the page points"
	case "iframe", "frame", "frameset", "object", "embed", "applet", "portal", "fencedframe":
		return "a page cannot embed other pages or plugins around the sign-in form"
	case "form", "input", "button", "textarea", "select", "keygen":
		return "Lintel owns every form on the page (put <lintel-slot name=\"form\"></lintel-slot> where the sign-in form goes)"
	case "noscript":
		return "Lintel's page works without JavaScript, and what a <noscript> holds would show unchecked to people who turn it off"
	case "noembed", "noframes", "xmp", "plaintext":
		return "it is obsolete and browsers read its content in more than one way"
	}
	return ""
}

// attribute checks one attribute of n.
func (c *checker) attribute(n *html.Node, a html.Attribute, l int) {
	switch {
	case a.Key == lineAttr:
		return
	case strings.HasPrefix(a.Key, "on"):
		c.ps.add(l, "<%s %s> is not allowed: event-handler attributes do not run under the page's security policy; load a script from one of the brand's script origins instead", n.Data, a.Key)
		return
	case a.Key == "style":
		c.ps.add(l, "<%s style> is not allowed: style attributes do not apply under the page's security policy; use a class and a <style> element", n.Data)
		return
	case strings.Contains(asciiLower(a.Val), reserved):
		c.ps.add(l, "<%s %s>: the text __LINTEL_ is reserved for Lintel's own markers", n.Data, a.Key)
		return
	}
	if urlAttribute(a.Key) {
		c.url(n, a, l)
	}
}

// urlAttribute reports whether an attribute holds one or more URLs a
// browser follows or loads.
func urlAttribute(key string) bool {
	switch key {
	case "href", "src", "srcset", "imagesrcset", "action", "formaction", "xlink:href",
		"poster", "background", "ping", "cite", "longdesc", "manifest", "lowsrc", "dynsrc", "icon", "profile":
		return true
	}
	return false
}

// scriptElement checks a <script>: it must load from a script origin and
// hold nothing, since only its src runs under the nonce.
func (c *checker) scriptElement(n *html.Node, l int) {
	_, hasSrc := attr(n, "src")
	content := false
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if ch.Type != html.TextNode || strings.TrimSpace(ch.Data) != "" {
			content = true
		}
	}
	switch {
	case !hasSrc:
		c.ps.add(l, "an inline <script> is not allowed: it would not run under the page's security policy; load it with src from one of the brand's script origins (%s)", c.script)
	case content:
		c.ps.add(l, "<script src> must be empty between its tags: inline code would not run")
	}
}

// link checks a <link>: a stylesheet from a style origin, an icon, or a
// preconnect to one of the brand's origins.
func (c *checker) link(n *html.Node, l int) {
	rel, _ := attr(n, "rel")
	kinds := strings.Fields(strings.ToLower(rel))
	kind := strings.Join(kinds, " ")
	href, hasHref := attr(n, "href")
	switch kind {
	case "stylesheet", "icon", "shortcut icon", "preconnect":
	default:
		c.ps.add(l, "<link rel=%s> is not allowed: only stylesheet, icon and preconnect are", short(rel))
		return
	}
	if !hasHref {
		c.ps.add(l, "<link rel=%q> needs an href", kind)
		return
	}
	switch kind {
	case "stylesheet":
		c.onOrigin(n, "href", href, l, c.style, "style")
	case "preconnect":
		c.onOrigin(n, "href", href, l, c.listed, "style or script")
	default:
		c.image(n, "href", href, l)
	}
}
