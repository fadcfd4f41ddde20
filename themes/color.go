package themes

import (
	"fmt"
	"math"
)

// Color is an opaque sRGB colour. Themes have no alpha: a translucent
// colour's contrast depends on what lies beneath it, which the checks in
// this package cannot know.
type Color struct{ R, G, B uint8 }

// ParseColor parses "#rgb" or "#rrggbb", in either case. Nothing else is
// accepted (no colour names, no rgb()), so every accepted value has one
// canonical form and can be checked for contrast. The error wraps
// ErrValue.
func ParseColor(s string) (Color, error) {
	bad := fmt.Errorf("%w: colour %.40q must be #rrggbb or #rgb", ErrValue, s)
	if len(s) != 4 && len(s) != 7 || s[0] != '#' {
		return Color{}, bad
	}
	var d [6]uint8
	for i := 1; i < len(s); i++ {
		v, ok := hexDigit(s[i])
		if !ok {
			return Color{}, bad
		}
		d[i-1] = v
	}
	if len(s) == 4 {
		return Color{d[0] * 17, d[1] * 17, d[2] * 17}, nil
	}
	return Color{d[0]<<4 | d[1], d[2]<<4 | d[3], d[4]<<4 | d[5]}, nil
}

func hexDigit(c byte) (uint8, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// String returns the canonical form "#rrggbb" in lower case.
func (c Color) String() string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// linear converts one 8-bit sRGB channel to linear light, as WCAG 2.2
// defines it for relative luminance.
func linear(v uint8) float64 {
	c := float64(v) / 255
	if c <= 0.04045 {
		return c / 12.92
	}
	return math.Pow((c+0.055)/1.055, 2.4)
}

// encode converts linear light back to an 8-bit sRGB channel.
func encode(l float64) uint8 {
	l = math.Max(0, math.Min(1, l))
	var c float64
	if l <= 0.0031308 {
		c = l * 12.92
	} else {
		c = 1.055*math.Pow(l, 1/2.4) - 0.055
	}
	return uint8(math.Round(c * 255))
}

// Luminance returns the WCAG 2.2 relative luminance, 0 (black) to 1
// (white).
func (c Color) Luminance() float64 {
	return 0.2126*linear(c.R) + 0.7152*linear(c.G) + 0.0722*linear(c.B)
}

// Contrast returns the WCAG contrast ratio of a and b, from 1 (equal
// luminance) to 21 (black and white); the order of a and b is irrelevant.
func Contrast(a, b Color) float64 {
	la, lb := a.Luminance(), b.Luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// Mix blends a and b in linear-light sRGB, t=0 giving a and t=1 giving b
// (t is clamped to [0,1]). Mixing linear light rather than the encoded
// values keeps derived shades from turning muddy in the middle.
func Mix(a, b Color, t float64) Color {
	t = math.Max(0, math.Min(1, t))
	mix := func(x, y uint8) uint8 {
		return encode(linear(x)*(1-t) + linear(y)*t)
	}
	return Color{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B)}
}
