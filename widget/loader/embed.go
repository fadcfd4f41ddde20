// Package loader holds the widget's JavaScript loader (lintel.js, typed
// by lintel.d.ts), the small script a host page includes to mount the
// sign-in widget, and the stylesheet of the widget's frame in its shadow
// root (widget.css). The edge serves both (see edge/widget.go): lintel.js
// with the asset manifest filled in at ManifestPlaceholder, widget.css
// joined with the components the hosted pages use.
package loader

import _ "embed"

//go:embed lintel.js
var script []byte

//go:embed widget.css
var stylesheet []byte

// ManifestPlaceholder is the text in lintel.js that the server replaces
// with the asset manifest, a JSON object: {"css": URL, "runtime": URL,
// "wasm": URL}, each a path on the widget's origin; a missing "wasm" or
// "runtime" keeps the widget server-rendered.
const ManifestPlaceholder = "/*@lintel-manifest*/ null"

// Script returns lintel.js as written, with the placeholder.
func Script() []byte { return script }

// Stylesheet returns widget.css, the frame of the widget's shadow root.
func Stylesheet() []byte { return stylesheet }
