package qr

// symbol is a symbol being drawn: its modules and which of them belong
// to function patterns (finder, separator, timing and alignment
// patterns, format and version information), which hold no data and
// are not masked.
type symbol struct {
	size     int
	dark     []bool
	function []bool
}

// set draws a function module.
func (s *symbol) set(x, y int, dark bool) {
	s.dark[y*s.size+x] = dark
	s.function[y*s.size+x] = true
}

// draw returns version v's symbol holding codewords (at level l), under
// the mask with the lowest penalty.
func draw(v int, l Level, codewords []byte) Code {
	size := 4*v + 17
	s := &symbol{size: size, dark: make([]bool, size*size), function: make([]bool, size*size)}
	s.finder(0, 0)
	s.finder(size-7, 0)
	s.finder(0, size-7)
	c := alignmentCentres(v)
	for _, cy := range c {
		for _, cx := range c {
			if cx == 6 && cy == 6 || cx == 6 && cy == size-7 || cx == size-7 && cy == 6 {
				continue // the finder patterns' corners
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					s.set(cx+dx, cy+dy, max(abs(dx), abs(dy)) != 1)
				}
			}
		}
	}
	for i := 8; i < size-8; i++ {
		if !s.function[6*size+i] {
			s.set(i, 6, i%2 == 0)
			s.set(6, i, i%2 == 0)
		}
	}
	s.format(0) // reserves the format information's modules
	s.set(8, size-8, true)
	if v >= 7 {
		info := bch(v, 6, 0x1f25)
		for i := 0; i < 18; i++ {
			dark := info>>i&1 != 0
			s.set(size-11+i%3, i/3, dark)
			s.set(i/3, size-11+i%3, dark)
		}
	}
	s.place(codewords)

	best, bestPenalty := Code{}, -1
	for m := 0; m < 8; m++ {
		t := &symbol{size: size, dark: make([]bool, len(s.dark)), function: s.function}
		copy(t.dark, s.dark)
		t.mask(m)
		t.format(formatBits(l, m))
		if p := t.penalty(); bestPenalty < 0 || p < bestPenalty {
			best, bestPenalty = Code{size: size, dark: t.dark}, p
		}
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// finder draws a finder pattern with its top left corner at x, y and
// the light separator around it, inside the symbol.
func (s *symbol) finder(x, y int) {
	for dy := -1; dy <= 7; dy++ {
		for dx := -1; dx <= 7; dx++ {
			if x+dx < 0 || x+dx >= s.size || y+dy < 0 || y+dy >= s.size {
				continue
			}
			d := max(abs(dx-3), abs(dy-3)) // rings around the centre
			s.set(x+dx, y+dy, d != 2 && d != 4)
		}
	}
}

// bch returns data (of n bits) followed by the remainder of its division
// by the generator polynomial g (section 7.9 and 7.10).
func bch(data, n, g int) int {
	deg := 0
	for g>>(deg+1) != 0 {
		deg++
	}
	r := data << deg
	for i := n - 1; i >= 0; i-- {
		if r>>(deg+i)&1 != 0 {
			r ^= g << i
		}
	}
	return data<<deg | r
}

// formatBits returns the 15 bits of format information for level l and
// mask m, masked with 101010000010010.
func formatBits(l Level, m int) int {
	levelBits := [4]int{L: 1, M: 0, Q: 3, H: 2}[l]
	return bch(levelBits<<3|m, 5, 0x537) ^ 0x5412
}

// format draws the two copies of the format information, bit 0 being
// the least significant (figure 25).
func (s *symbol) format(f int) {
	n := s.size
	for i := 0; i < 15; i++ {
		dark := f>>i&1 != 0
		switch {
		case i < 6:
			s.set(8, i, dark)
		case i < 8:
			s.set(8, i+1, dark)
		case i == 8:
			s.set(7, 8, dark)
		default:
			s.set(14-i, 8, dark)
		}
		if i < 8 {
			s.set(n-1-i, 8, dark)
		} else {
			s.set(8, n-15+i, dark)
		}
	}
}

// place writes the codewords' bits, most significant first, into the
// modules that are not function modules, in two-module-wide columns
// from the right, upwards then downwards in turn, skipping the vertical
// timing pattern; the remainder bits are light (section 7.7.3).
func (s *symbol) place(codewords []byte) {
	n := s.size
	bit, up := 0, true
	for right := n - 1; right > 0; right -= 2 {
		if right == 6 {
			right--
		}
		for k := 0; k < n; k++ {
			y := k
			if up {
				y = n - 1 - k
			}
			for x := right; x >= right-1; x-- {
				if s.function[y*n+x] {
					continue
				}
				if bit < 8*len(codewords) && codewords[bit/8]>>(7-bit%8)&1 != 0 {
					s.dark[y*n+x] = true
				}
				bit++
			}
		}
		up = !up
	}
}
