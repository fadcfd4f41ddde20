package logo

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

const (
	// maxElements bounds the elements of an SVG, dropped ones included,
	// and also the elements that use may instantiate (see limitUses).
	maxElements = 10000
	// maxDepth bounds the nesting of an SVG.
	maxDepth = 64

	svgNS   = "http://www.w3.org/2000/svg"
	xlinkNS = "http://www.w3.org/1999/xlink"
)

// node is one element of a sanitised SVG, or a run of character data when
// name is "".
type node struct {
	name     string
	attrs    []xml.Attr // unprefixed names only, as kept
	children []*node
	text     string
}

// SanitizeSVG returns a safe rewrite of an SVG document, or an error
// wrapping ErrUnsafe (a DOCTYPE or entity declaration), ErrTooLarge (more
// than MaxBytes, 10000 elements or a depth of 64) or ErrFormat (not
// well-formed XML with an svg root).
//
// Only whitelisted elements and attributes survive (see svgallow.go); a
// <style> element is not kept but its simple rules are inlined into style
// attributes first, so that logos exported with class-based CSS keep their
// colours. href survives only as a "#fragment" on use and gradients; use
// elements that could multiply rendering are dropped. Comments, processing
// instructions and whitespace between elements go. The output is canonical:
// sorting attributes and re-escaping everything makes SanitizeSVG of its
// own output return the same bytes.
func SanitizeSVG(data []byte) ([]byte, error) {
	root, err := parseSVG(data)
	if err != nil {
		return nil, err
	}
	return root.marshal(), nil
}

// frame is one open element while parsing: the node children attach to
// (the parent's for an unwrapped element, nil inside a dropped subtree).
type frame struct {
	n     *node
	style bool // inside <style>: collect the CSS text
}

// parseSVG decodes and sanitises an SVG into a tree, with its <style>
// rules already inlined.
func parseSVG(data []byte) (*node, error) {
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("SVG of %d bytes: %w", len(data), ErrTooLarge)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	// Strict, no Entity map and no CharsetReader: only the five XML
	// entities and character references expand, and only UTF-8 decodes.
	d.Strict = true
	var (
		root     *node
		stack    []frame
		css      bytes.Buffer
		elements int
	)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrFormat, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			// DOCTYPE and ENTITY declarations are how external entities
			// and entity expansion bombs get in: refuse the document.
			return nil, fmt.Errorf("SVG with a <!%.20s…> declaration: %w", t, ErrUnsafe)
		case xml.StartElement:
			elements++
			if elements > maxElements {
				return nil, fmt.Errorf("SVG with more than %d elements: %w", maxElements, ErrTooLarge)
			}
			if len(stack) >= maxDepth {
				return nil, fmt.Errorf("SVG nested deeper than %d: %w", maxDepth, ErrTooLarge)
			}
			if root == nil {
				if !inSVG(t.Name) || t.Name.Local != "svg" {
					return nil, fmt.Errorf("%w: root element is not svg", ErrFormat)
				}
				root = &node{name: "svg", attrs: cleanAttrs("svg", t.Attr)}
				stack = append(stack, frame{n: root})
				continue
			}
			stack = append(stack, child(stack[len(stack)-1].n, t))
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				// Whatever follows the root is never rendered.
				return finish(root, css.String()), nil
			}
		case xml.CharData:
			top := frame{}
			if len(stack) > 0 {
				top = stack[len(stack)-1]
			}
			switch {
			case top.style:
				if css.Len() < maxCSS {
					css.Write(t)
				}
			case top.n != nil && textElements[top.n.name]:
				top.n.addText(string(t))
			}
		}
		// Comments and processing instructions are dropped.
	}
	return nil, fmt.Errorf("%w: no svg element", ErrFormat)
}

// child returns the frame for element t opened inside parent (nil when the
// parent is dropped), attaching a sanitised node when t is kept.
func child(parent *node, t xml.StartElement) frame {
	if parent == nil || !inSVG(t.Name) {
		return frame{}
	}
	name := t.Name.Local
	switch {
	case name == "style":
		return frame{style: true}
	case unwrapped[name]:
		return frame{n: parent}
	case !svgElements[name]:
		return frame{}
	}
	n := &node{name: name, attrs: cleanAttrs(name, t.Attr)}
	if name == "use" && n.attr("href") == "" {
		return frame{}
	}
	parent.children = append(parent.children, n)
	return frame{n: n}
}

// inSVG reports whether a name is in the SVG namespace, or in none (an SVG
// without xmlns; the output always declares it).
func inSVG(n xml.Name) bool {
	return n.Space == svgNS || n.Space == ""
}

// addText appends character data, merging adjacent runs (text, CDATA, text
// around a dropped element) so the output is canonical.
func (n *node) addText(s string) {
	if s == "" {
		return
	}
	if k := len(n.children); k > 0 && n.children[k-1].name == "" {
		n.children[k-1].text += s
		return
	}
	n.children = append(n.children, &node{text: s})
}

// attr returns the value of a kept attribute, or "".
func (n *node) attr(name string) string {
	for _, a := range n.attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// setAttr replaces or adds a kept attribute; an empty value removes it.
func (n *node) setAttr(name, value string) {
	for i, a := range n.attrs {
		if a.Name.Local == name {
			if value == "" {
				n.attrs = append(n.attrs[:i], n.attrs[i+1:]...)
			} else {
				n.attrs[i].Value = value
			}
			return
		}
	}
	if value != "" {
		n.attrs = append(n.attrs, xml.Attr{Name: xml.Name{Local: name}, Value: value})
	}
}

// cleanAttrs keeps the whitelisted attributes of an element, first
// occurrence winning, href before xlink:href (as SVG 2 says).
func cleanAttrs(elem string, in []xml.Attr) []xml.Attr {
	n := &node{}
	var xlinkHref string
	for _, a := range in {
		name := a.Name.Local
		switch {
		case a.Name.Space == xlinkNS && name == "href":
			if xlinkHref == "" {
				xlinkHref = a.Value
			}
			continue
		case a.Name.Space != "" || n.attr(name) != "":
			continue
		case name == "href":
			if !hrefElements[elem] || !localRef(a.Value) {
				continue
			}
		case name == "style":
			a.Value = formatDecls(parseDecls(a.Value))
		case !attrAllowed(name) || !safeValue(a.Value):
			continue
		}
		n.setAttr(name, a.Value)
	}
	if hrefElements[elem] && n.attr("href") == "" && localRef(xlinkHref) {
		n.setAttr("href", xlinkHref)
	}
	return n.attrs
}
