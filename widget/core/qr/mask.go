package qr

// mask inverts the data modules for which mask pattern m's condition
// holds, x being the column and y the row (table 10).
func (s *symbol) mask(m int) {
	for y := 0; y < s.size; y++ {
		for x := 0; x < s.size; x++ {
			var invert bool
			switch m {
			case 0:
				invert = (x+y)%2 == 0
			case 1:
				invert = y%2 == 0
			case 2:
				invert = x%3 == 0
			case 3:
				invert = (x+y)%3 == 0
			case 4:
				invert = (y/2+x/3)%2 == 0
			case 5:
				invert = x*y%2+x*y%3 == 0
			case 6:
				invert = (x*y%2+x*y%3)%2 == 0
			default:
				invert = ((x+y)%2+x*y%3)%2 == 0
			}
			if invert && !s.function[y*s.size+x] {
				s.dark[y*s.size+x] = !s.dark[y*s.size+x]
			}
		}
	}
}

// finderLike are the 1:1:3:1:1 dark:light:dark:light:dark pattern with
// four light modules after or before it, as rule 3 looks for them.
var finderLike = [2][11]bool{
	{true, false, true, true, true, false, true, false, false, false, false},
	{false, false, false, false, true, false, true, true, true, false, true},
}

// penalty scores the symbol by the rules of section 7.8.3 (lower is
// better): 3 + (n − 5) for each run of n ≥ 5 modules of one colour in a
// row or column; 3 for each 2×2 block of one colour, blocks overlapping;
// 40 for each finder-like pattern in a row or column (within the
// symbol); and 10 for each full 5% by which the dark modules' share
// differs from 50%.
func (s *symbol) penalty() int {
	n := s.size
	p := 0
	line := make([]bool, n)
	for _, column := range [2]bool{false, true} {
		for i := 0; i < n; i++ {
			if column {
				for y := range line {
					line[y] = s.dark[y*n+i]
				}
			} else {
				copy(line, s.dark[i*n:(i+1)*n])
			}
			p += linePenalty(line)
		}
	}
	dark := 0
	for i, d := range s.dark {
		if d {
			dark++
		}
		if i%n+1 < n && i+n+1 < len(s.dark) && s.dark[i+1] == d && s.dark[i+n] == d && s.dark[i+n+1] == d {
			p += 3
		}
	}
	return p + 10*(abs(20*dark-10*n*n)/(n*n))
}

// linePenalty scores a row or column by rules 1 and 3.
func linePenalty(line []bool) int {
	p, run := 0, 0
	for x, d := range line {
		if x > 0 && d == line[x-1] {
			run++
		} else {
			run = 1
		}
		if run == 5 {
			p += 3
		} else if run > 5 {
			p++
		}
	}
	for x := 0; x+11 <= len(line); x++ {
		if !line[x+4] || !line[x+6] { // dark in both patterns
			continue
		}
		for _, f := range finderLike {
			i := 0
			for i < 11 && line[x+i] == f[i] {
				i++
			}
			if i == 11 {
				p += 40
			}
		}
	}
	return p
}
