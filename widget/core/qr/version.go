package qr

// eccPerBlock is the number of error correction codewords in each block,
// by level and version (table 9).
var eccPerBlock = [4][41]uint8{
	L: {0, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
	M: {0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28},
	Q: {0, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
	H: {0, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
}

// blocks is the number of error correction blocks, by level and version
// (table 9). Where the codewords do not divide evenly, the last blocks
// hold one data codeword more.
var blocks = [4][41]uint8{
	L: {0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25},
	M: {0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49},
	Q: {0, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68},
	H: {0, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81},
}

// codewords returns the number of codewords version v holds: its modules
// less the function patterns and the format and version information,
// in bytes (table 1; the rest are remainder bits).
func codewords(v int) int {
	size := 4*v + 17
	n := size*size - 3*64 - 2*(size-16) - 31
	if v >= 2 {
		a := v/7 + 2 // alignment pattern centres on a side
		n -= 25*(a*a-3) - 10*(a-2)
	}
	if v >= 7 {
		n -= 36
	}
	return n / 8
}

// dataCodewords returns the number of data codewords of version v at
// level l.
func dataCodewords(v int, l Level) int {
	return codewords(v) - int(blocks[l][v])*int(eccPerBlock[l][v])
}

// alignmentCentres returns the rows (and columns) of the alignment
// patterns' centres in version v (annex E): 6, then evenly spaced by an
// even step down from size−7; version 32 spaces them by 26.
func alignmentCentres(v int) []int {
	if v == 1 {
		return nil
	}
	n := v/7 + 2
	last := 4*v + 10
	step := 26
	if v != 32 {
		step = (last - 6 + n - 2) / (n - 1) // rounded up
		step += step & 1
	}
	c := make([]int, n)
	c[0] = 6
	for i := 1; i < n; i++ {
		c[i] = last - (n-1-i)*step
	}
	return c
}
