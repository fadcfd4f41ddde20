package logo

import (
	"math"

	"github.com/lintel-id/lintel/themes"
)

// lab is a colour in OKLab (Björn Ottosson, 2020): perceptually uniform
// enough that Euclidean distance is a fair colour difference, which is what
// clustering and merging need; L runs from 0 (black) to 1 (white).
type lab struct{ L, A, B float64 }

// toLinear converts an 8-bit sRGB channel to linear light.
func toLinear(u uint8) float64 {
	c := float64(u) / 255
	if c <= 0.04045 {
		return c / 12.92
	}
	return math.Pow((c+0.055)/1.055, 2.4)
}

// toLab converts sRGB to OKLab.
func toLab(c themes.Color) lab {
	r, g, b := toLinear(c.R), toLinear(c.G), toLinear(c.B)
	l := math.Cbrt(0.4122214708*r + 0.5363325363*g + 0.0514459929*b)
	m := math.Cbrt(0.2119034982*r + 0.6806995451*g + 0.1073969566*b)
	s := math.Cbrt(0.0883024619*r + 0.2817188376*g + 0.6299787005*b)
	return lab{
		L: 0.2104542553*l + 0.7936177850*m - 0.0040720468*s,
		A: 1.9779984951*l - 2.4285922050*m + 0.4505937099*s,
		B: 0.0259040371*l + 0.7827717662*m - 0.8086757660*s,
	}
}

// chroma is the colourfulness of c: 0 for greys, about 0.3 for the most
// saturated sRGB colours.
func (c lab) chroma() float64 { return math.Hypot(c.A, c.B) }

// dist is the OKLab colour difference; about 0.02 is just noticeable.
func dist(a, b lab) float64 {
	return math.Sqrt((a.L-b.L)*(a.L-b.L) + (a.A-b.A)*(a.A-b.A) + (a.B-b.B)*(a.B-b.B))
}

// Thresholds of a brand colour: greys, near-white and near-black are the
// logo's ink and paper, not its brand.
const (
	minChroma = 0.04 // below: grey
	maxL      = 0.96 // above: near-white
	minL      = 0.20 // below: near-black
)

// neutral reports whether c is a grey, near-white or near-black colour.
func neutral(c lab) bool {
	return c.chroma() < minChroma || c.L > maxL || c.L < minL
}
