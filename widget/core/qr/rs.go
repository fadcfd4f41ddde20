package qr

// gfExp and gfLog are powers and logarithms of α = 2 in GF(256) with the
// field's prime polynomial x⁸ + x⁴ + x³ + x² + 1 (section 7.5.2).
var gfExp, gfLog [256]byte

func init() {
	x := 1
	for i := 0; i < 255; i++ {
		gfExp[i] = byte(x)
		gfLog[x] = byte(i)
		x <<= 1
		if x&0x100 != 0 {
			x ^= 0x11d
		}
	}
}

func gfMul(a, b byte) byte {
	if a == 0 || b == 0 {
		return 0
	}
	return gfExp[(int(gfLog[a])+int(gfLog[b]))%255]
}

// generator returns the generator polynomial of n error correction
// codewords, (x − α⁰)(x − α¹)…(x − αⁿ⁻¹), highest power first, without
// its leading coefficient 1 (annex A).
func generator(n int) []byte {
	g := make([]byte, n+1)
	g[0] = 1
	for i := 0; i < n; i++ {
		for j := i + 1; j > 0; j-- {
			g[j] ^= gfMul(g[j-1], gfExp[i])
		}
	}
	return g[1:]
}

// ecc returns the error correction codewords of data: the remainder of
// data·xⁿ divided by the generator g of degree n.
func ecc(data, g []byte) []byte {
	r := make([]byte, len(g))
	for _, d := range data {
		f := d ^ r[0]
		copy(r, r[1:])
		r[len(r)-1] = 0
		for i, c := range g {
			r[i] ^= gfMul(c, f)
		}
	}
	return r
}

// interleave splits version v's data codewords into level l's blocks,
// adds each block's error correction codewords and returns the final
// sequence: the data codewords a column of blocks at a time, then the
// error correction codewords the same way (section 7.6).
func interleave(data []byte, v int, l Level) []byte {
	total := codewords(v)
	nb, ne := int(blocks[l][v]), int(eccPerBlock[l][v])
	short := nb - total%nb     // blocks with one data codeword fewer
	shortData := total/nb - ne // data codewords in them
	g := generator(ne)
	dataBlocks := make([][]byte, nb)
	eccBlocks := make([][]byte, nb)
	for i, off := 0, 0; i < nb; i++ {
		n := shortData
		if i >= short {
			n++
		}
		dataBlocks[i] = data[off : off+n]
		eccBlocks[i] = ecc(dataBlocks[i], g)
		off += n
	}
	out := make([]byte, 0, total)
	for i := 0; i <= shortData; i++ {
		for _, b := range dataBlocks {
			if i < len(b) {
				out = append(out, b[i])
			}
		}
	}
	for i := 0; i < ne; i++ {
		for _, b := range eccBlocks {
			out = append(out, b[i])
		}
	}
	return out
}
