package qr

// mode is a segment's mode indicator (section 7.4.1).
type mode uint8

const (
	numeric      mode = 1
	alphanumeric mode = 2
	byteMode     mode = 4
)

// alphanumericSet is the alphanumeric mode's character set, in the order
// of its values (table 5).
const alphanumericSet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// alphanumericValue returns c's value in alphanumeric mode, or -1.
func alphanumericValue(c byte) int {
	for i := 0; i < len(alphanumericSet); i++ {
		if alphanumericSet[i] == c {
			return i
		}
	}
	return -1
}

// modeOf returns the mode that holds all of text most compactly, among
// numeric, alphanumeric and byte.
func modeOf(text string) mode {
	m := numeric
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case '0' <= c && c <= '9':
		case alphanumericValue(c) >= 0:
			m = alphanumeric
		default:
			return byteMode
		}
	}
	return m
}

// countBits returns the length of the character count indicator in
// version v (table 3).
func (m mode) countBits(v int) int {
	i := 0
	switch {
	case v >= 27:
		i = 2
	case v >= 10:
		i = 1
	}
	switch m {
	case numeric:
		return [3]int{10, 12, 14}[i]
	case alphanumeric:
		return [3]int{9, 11, 13}[i]
	}
	return [3]int{8, 16, 16}[i]
}

// dataBits returns the number of bits n characters take in mode m.
func (m mode) dataBits(n int) int {
	switch m {
	case numeric:
		return n/3*10 + [3]int{0, 4, 7}[n%3]
	case alphanumeric:
		return n/2*11 + n%2*6
	}
	return 8 * n
}

// bits is a bit stream written most significant bit first.
type bits struct {
	b []byte
	n int
}

func (w *bits) write(v, n int) {
	for i := n - 1; i >= 0; i-- {
		if w.n%8 == 0 {
			w.b = append(w.b, 0)
		}
		if v>>i&1 != 0 {
			w.b[w.n/8] |= 0x80 >> (w.n % 8)
		}
		w.n++
	}
}

// encode returns the data codewords of version v holding text as one
// segment in mode m: mode indicator, character count, data, terminator
// (up to four zero bits), zero bits to the byte, then pad codewords
// 11101100 and 00010001 alternately (section 7.4.10).
func (m mode) encode(text string, v, capacity int) []byte {
	w := bits{b: make([]byte, 0, capacity)}
	w.write(int(m), 4)
	w.write(len(text), m.countBits(v))
	switch m {
	case numeric:
		for i := 0; i < len(text); i += 3 {
			n, d := 0, 0
			for ; d < 3 && i+d < len(text); d++ {
				n = n*10 + int(text[i+d]-'0')
			}
			w.write(n, 3*d+1)
		}
	case alphanumeric:
		for i := 0; i < len(text); i += 2 {
			if i+1 < len(text) {
				w.write(alphanumericValue(text[i])*45+alphanumericValue(text[i+1]), 11)
			} else {
				w.write(alphanumericValue(text[i]), 6)
			}
		}
	default:
		for i := 0; i < len(text); i++ {
			w.write(int(text[i]), 8)
		}
	}
	w.write(0, min(4, 8*capacity-w.n)) // the terminator
	// Zero bits to the byte are the last byte's unwritten bits.
	for pad := byte(0xec); len(w.b) < capacity; pad ^= 0xec ^ 0x11 {
		w.b = append(w.b, pad)
	}
	return w.b
}
