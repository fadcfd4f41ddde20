//go:build js && wasm

package dom

import (
	"syscall/js"

	"github.com/lintel-id/lintel/widget/core"
)

const svgNS = "http://www.w3.org/2000/svg"

// build makes DOM nodes of n in doc: elements by createElement (SVG ones
// by createElementNS), attributes by setAttribute, text by text nodes.
// Nothing is ever parsed as HTML.
func build(doc js.Value, n *core.Node, svg bool) js.Value {
	if n.Tag == "" {
		return doc.Call("createTextNode", n.Text)
	}
	svg = svg || n.Tag == "svg"
	var el js.Value
	if svg {
		el = doc.Call("createElementNS", svgNS, n.Tag)
	} else {
		el = doc.Call("createElement", n.Tag)
	}
	for _, a := range n.Attrs {
		el.Call("setAttribute", a.Name, a.Value)
	}
	for _, c := range n.Children {
		el.Call("appendChild", build(doc, c, svg))
	}
	return el
}
