package logo

import (
	"math"
	"strconv"
	"strings"

	"github.com/lintel-id/lintel/themes"
)

// paintProps are the properties whose colours make an SVG's palette.
var paintProps = []string{"fill", "stroke", "stop-color"}

// svgPalette extracts the brand colours and tone of a sanitised SVG from
// its paints, each colour weighted by how many elements use it. Shapes
// are not measured: a colour used on many elements counts more, whatever
// their area. An SVG without any colour paints in the default black.
func svgPalette(root *node) ([]themes.Color, Tone) {
	weight := map[themes.Color]float64{}
	var order []themes.Color
	var tally toneTally
	var walk func(n *node)
	walk = func(n *node) {
		if n.name == "" {
			return
		}
		style := parseDecls(n.attr("style"))
		for _, prop := range paintProps {
			v := n.attr(prop)
			for _, d := range style {
				if d.prop == prop {
					v = d.value
				}
			}
			c, ok := parseColor(v)
			if !ok {
				continue
			}
			if weight[c] == 0 {
				order = append(order, c)
			}
			weight[c]++
			tally.add(c, 1)
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(root)
	if tally.total == 0 {
		tally.add(themes.Color{}, 1)
	}
	var points []point
	for _, c := range order {
		if l := toLab(c); !neutral(l) {
			points = append(points, point{c: l, color: c, w: weight[c]})
		}
	}
	return dominant(points, 0), tally.tone()
}

// parseColor reads an opaque enough CSS colour: #rgb, #rgba, #rrggbb,
// #rrggbbaa, rgb()/rgba() with numbers or percentages, or a common named
// colour. Paint servers (url(#…)), none, currentColor and colours less
// than half opaque are not colours of the palette.
func parseColor(s string) (themes.Color, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if hex, ok := strings.CutPrefix(s, "#"); ok {
		return parseHex(hex)
	}
	if args, ok := strings.CutPrefix(s, "rgba("); ok {
		return parseRGB(args)
	}
	if args, ok := strings.CutPrefix(s, "rgb("); ok {
		return parseRGB(args)
	}
	if v, ok := namedColors()[s]; ok {
		return themes.Color{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v)}, true
	}
	return themes.Color{}, false
}

// parseHex reads the digits of a hex colour.
func parseHex(h string) (themes.Color, bool) {
	if len(h) == 3 || len(h) == 4 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]}) + strings.Repeat(h[3:], 2)
	}
	if len(h) != 6 && len(h) != 8 {
		return themes.Color{}, false
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return themes.Color{}, false
	}
	if len(h) == 8 {
		if v&0xff < 128 {
			return themes.Color{}, false
		}
		v >>= 8
	}
	return themes.Color{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v)}, true
}

// parseRGB reads the arguments of rgb() or rgba() after the parenthesis,
// comma- or space-separated, with an optional alpha after "," or "/".
func parseRGB(args string) (themes.Color, bool) {
	args, ok := strings.CutSuffix(strings.TrimSpace(args), ")")
	if !ok {
		return themes.Color{}, false
	}
	f := strings.FieldsFunc(args, func(r rune) bool { return r == ',' || r == '/' || r == ' ' })
	if len(f) != 3 && len(f) != 4 {
		return themes.Color{}, false
	}
	var ch [4]float64
	ch[3] = 1
	for i, a := range f {
		scale := 255.0
		if i == 3 {
			scale = 1
		}
		if p, ok := strings.CutSuffix(a, "%"); ok {
			a, scale = p, scale/100
		} else if i < 3 {
			scale = 1
		}
		v, err := strconv.ParseFloat(a, 64)
		if err != nil || math.IsNaN(v) {
			return themes.Color{}, false
		}
		ch[i] = v * scale
	}
	if ch[3] < 0.5 {
		return themes.Color{}, false
	}
	return themes.Color{R: round8(ch[0]), G: round8(ch[1]), B: round8(ch[2])}, true
}

// namedColors returns the CSS named colours logos commonly use, as
// 0xRRGGBB.
func namedColors() map[string]uint32 {
	return map[string]uint32{
		"black": 0x000000, "white": 0xffffff, "gray": 0x808080, "grey": 0x808080,
		"silver": 0xc0c0c0, "red": 0xff0000, "maroon": 0x800000, "darkred": 0x8b0000,
		"crimson": 0xdc143c, "firebrick": 0xb22222, "tomato": 0xff6347, "coral": 0xff7f50,
		"orangered": 0xff4500, "orange": 0xffa500, "darkorange": 0xff8c00, "gold": 0xffd700,
		"yellow": 0xffff00, "olive": 0x808000, "lime": 0x00ff00, "green": 0x008000,
		"darkgreen": 0x006400, "forestgreen": 0x228b22, "seagreen": 0x2e8b57, "teal": 0x008080,
		"aqua": 0x00ffff, "cyan": 0x00ffff, "turquoise": 0x40e0d0, "skyblue": 0x87ceeb,
		"dodgerblue": 0x1e90ff, "royalblue": 0x4169e1, "steelblue": 0x4682b4, "blue": 0x0000ff,
		"darkblue": 0x00008b, "navy": 0x000080, "indigo": 0x4b0082, "purple": 0x800080,
		"violet": 0xee82ee, "magenta": 0xff00ff, "fuchsia": 0xff00ff, "pink": 0xffc0cb,
		"hotpink": 0xff69b4, "deeppink": 0xff1493, "brown": 0xa52a2a, "chocolate": 0xd2691e,
		"salmon": 0xfa8072, "tan": 0xd2b48c, "khaki": 0xf0e68c, "beige": 0xf5f5dc,
	}
}

// svgSize returns an SVG's size in pixels from its width and height
// (unitless or px), completed from the viewBox's aspect, or the viewBox
// alone; 0 for what stays unknown (percentages, physical units).
func svgSize(root *node) (int, int) {
	w, h := pixels(root.attr("width")), pixels(root.attr("height"))
	vb := strings.FieldsFunc(root.attr("viewBox"), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	if len(vb) == 4 && (w == 0 || h == 0) {
		vw, _ := strconv.ParseFloat(vb[2], 64)
		vh, _ := strconv.ParseFloat(vb[3], 64)
		if vw > 0 && vh > 0 && vw <= maxSide && vh <= maxSide {
			switch {
			case w == 0 && h == 0:
				w, h = vw, vh
			case w == 0:
				w = h * vw / vh
			default:
				h = w * vh / vw
			}
		}
	}
	return sideInt(w), sideInt(h)
}

// maxSide bounds a believable SVG side; beyond it the size is unknown.
const maxSide = 1 << 20

// pixels parses a unitless or px length, 0 if it is anything else.
func pixels(s string) float64 {
	s = strings.TrimSuffix(strings.TrimSpace(s), "px")
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 || v > maxSide {
		return 0
	}
	return v
}

// sideInt rounds a side to whole pixels, 0 when out of bounds.
func sideInt(v float64) int {
	if v <= 0 || v > maxSide || math.IsNaN(v) {
		return 0
	}
	return int(math.Round(v))
}
