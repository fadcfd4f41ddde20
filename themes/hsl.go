package themes

import "math"

// HSL returns hue (degrees, [0,360)), saturation and lightness ([0,1]).
func (c Color) HSL() (h, s, l float64) {
	r, g, b := float64(c.R)/255, float64(c.G)/255, float64(c.B)/255
	hi, lo := math.Max(r, math.Max(g, b)), math.Min(r, math.Min(g, b))
	l = (hi + lo) / 2
	d := hi - lo
	if d == 0 {
		return 0, 0, l
	}
	s = d / (1 - math.Abs(2*l-1))
	switch hi {
	case r:
		h = math.Mod((g-b)/d, 6)
	case g:
		h = (b-r)/d + 2
	default:
		h = (r-g)/d + 4
	}
	h *= 60
	if h < 0 {
		h += 360
	}
	return h, math.Min(s, 1), l
}

// FromHSL returns the colour of hue h (degrees), saturation s and
// lightness l (both clamped to [0,1]).
func FromHSL(h, s, l float64) Color {
	s = math.Max(0, math.Min(1, s))
	l = math.Max(0, math.Min(1, l))
	h = math.Mod(h, 360)
	if h < 0 {
		h += 360
	}
	c := (1 - math.Abs(2*l-1)) * s
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	m := l - c/2
	var r, g, b float64
	switch {
	case h < 60:
		r, g = c, x
	case h < 120:
		r, g = x, c
	case h < 180:
		g, b = c, x
	case h < 240:
		g, b = x, c
	case h < 300:
		r, b = x, c
	default:
		r, b = c, x
	}
	to := func(v float64) uint8 { return uint8(math.Round((v + m) * 255)) }
	return Color{to(r), to(g), to(b)}
}

// Adjust changes fg's lightness, keeping its hue and saturation, by the
// least amount that gives Contrast(fg, bg) >= min, so a brand colour
// stays recognisable. It returns fg unchanged when it already passes,
// and false (with the best colour it found) when no lightness passes.
func Adjust(fg, bg Color, min float64) (Color, bool) {
	if Contrast(fg, bg) >= min {
		return fg, true
	}
	h, s, l := fg.HSL()
	passes := func(x float64) bool { return Contrast(FromHSL(h, s, x), bg) >= min }
	// Luminance grows with lightness at a fixed hue and saturation, so
	// in each direction the passing lightnesses form one interval that
	// ends at 0 or 1; a bisection finds the edge nearest to l.
	search := func(end float64) (float64, bool) {
		if !passes(end) {
			return 0, false
		}
		near, far := l, end
		for range 40 {
			mid := (near + far) / 2
			if passes(mid) {
				far = mid
			} else {
				near = mid
			}
		}
		return far, true
	}
	up, okUp := search(1)
	down, okDown := search(0)
	switch {
	case okUp && okDown:
		if up-l <= l-down {
			return FromHSL(h, s, up), true
		}
		return FromHSL(h, s, down), true
	case okUp:
		return FromHSL(h, s, up), true
	case okDown:
		return FromHSL(h, s, down), true
	}
	white, black := FromHSL(h, s, 1), FromHSL(h, s, 0)
	if Contrast(white, bg) >= Contrast(black, bg) {
		return white, false
	}
	return black, false
}
