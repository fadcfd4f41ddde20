package logo

import "strings"

// svgElements are the SVG elements a logo may keep. Everything else is
// dropped with its subtree: script, foreignObject, image, a (unwrapped, see
// unwrapped), animation elements, filters, pattern, style (inlined first,
// see svgstyle.go). The list is what a static vector logo needs and nothing
// that loads, runs or animates.
var svgElements = set(
	"svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline",
	"polygon", "text", "tspan", "defs", "linearGradient", "radialGradient",
	"stop", "clipPath", "mask", "title", "desc", "use", "symbol",
)

// unwrapped elements are removed but their children kept: logos exported
// from web tools are often wrapped whole in a link, and dropping the subtree
// would drop the logo.
var unwrapped = set("a")

// textElements keep their character data; whitespace between other
// elements is dropped, so the output is canonical.
var textElements = set("text", "tspan", "title", "desc")

// hrefElements may carry href (or xlink:href, rewritten to href), and only
// to a fragment of the same document ("#id").
var hrefElements = set("use", "linearGradient", "radialGradient")

// geometryAttrs are the structural and geometry attributes kept as they are
// (their values still pass safeValue).
var geometryAttrs = set(
	"id", "class", "lang", "version", "viewBox", "preserveAspectRatio",
	"x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry",
	"fx", "fy", "fr", "width", "height", "d", "points", "pathLength",
	"transform", "gradientTransform", "gradientUnits", "spreadMethod",
	"offset", "clipPathUnits", "maskUnits", "maskContentUnits",
	"dx", "dy", "rotate", "textLength", "lengthAdjust",
)

// presentationProps are the presentation attributes kept, and the only
// properties a style attribute or an inlined style rule may set.
var presentationProps = set(
	"fill", "fill-opacity", "fill-rule", "stroke", "stroke-width",
	"stroke-opacity", "stroke-linecap", "stroke-linejoin",
	"stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset",
	"opacity", "color", "stop-color", "stop-opacity", "clip-path",
	"clip-rule", "mask", "display", "visibility", "overflow",
	"font-family", "font-size", "font-weight", "font-style",
	"font-variant", "font-stretch", "text-anchor", "dominant-baseline",
	"alignment-baseline", "baseline-shift", "letter-spacing",
	"word-spacing", "text-decoration", "writing-mode", "direction",
	"unicode-bidi", "vector-effect", "shape-rendering", "text-rendering",
	"color-interpolation", "color-interpolation-filters", "paint-order",
	"isolation", "mix-blend-mode",
)

// cssFunctions are the only functions a kept value may call: colours,
// transforms and url() (which must point into the document). Any other
// function, image-set() or element() for instance, could load or leak.
var cssFunctions = set(
	"url", "rgb", "rgba", "hsl", "hsla", "matrix", "translate",
	"translatex", "translatey", "scale", "scalex", "scaley", "rotate",
	"skewx", "skewy",
)

// attrAllowed reports whether an unprefixed attribute may stay on a kept
// element (href and style are handled apart).
func attrAllowed(name string) bool {
	return geometryAttrs[name] || presentationProps[name]
}

// safeValue reports whether an attribute or CSS value may be kept. The
// attribute names are whitelisted already; this is the second wall for the
// values: no scheme, no escape, no function but cssFunctions, and url() only
// to a "#fragment" of the document.
func safeValue(v string) bool {
	// Browsers ignore whitespace and control characters inside schemes
	// ("java\tscript:"), so look at the value without them.
	compact := strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToLower(v))
	for _, bad := range []string{"script:", "data:", "://", "\\", "@", "<", ">", "{", "}", "expression", "binding", "behavior"} {
		if strings.Contains(compact, bad) {
			return false
		}
	}
	for i := 0; i < len(compact); i++ {
		if compact[i] != '(' {
			continue
		}
		start := i
		for start > 0 && isIdent(compact[start-1]) {
			start--
		}
		fn := compact[start:i]
		if !cssFunctions[fn] {
			return false
		}
		if fn == "url" && !localURL(compact[i+1:]) {
			return false
		}
	}
	return true
}

// localURL reports whether the argument of url(, already lower-cased and
// without whitespace, is a quoted or bare "#fragment" closed by ")".
func localURL(rest string) bool {
	quote := byte(0)
	if rest != "" && (rest[0] == '"' || rest[0] == '\'') {
		quote, rest = rest[0], rest[1:]
	}
	end := strings.IndexByte(rest, ')')
	if end < 0 {
		return false
	}
	arg := rest[:end]
	if quote != 0 {
		if !strings.HasSuffix(arg, string(quote)) {
			return false
		}
		arg = arg[:len(arg)-1]
	}
	return localRef(arg)
}

// localRef reports whether an href names a fragment of this document:
// "#" followed by an XML name, nothing that could resolve elsewhere.
func localRef(v string) bool {
	id, ok := strings.CutPrefix(v, "#")
	if !ok || id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !isIdent(id[i]) && id[i] != '.' && id[i] != ':' {
			return false
		}
	}
	return true
}

// isIdent reports whether c may appear in a CSS identifier or an id as far
// as this package cares (ASCII only: stricter than CSS, which is fine).
func isIdent(c byte) bool {
	return c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// set builds a membership map from a list of names.
func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
