package recoverycode

// alphabet is Crockford's base32 in lowercase: digits and letters without
// i, l, o (read as 1, 1, 0) and u (left out so that codes spell fewer
// words).
const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// maxInput bounds a code as typed, checked before looking at it.
const maxInput = 64

// normalize returns the form of a code that is hashed: the codeLen
// symbols of the alphabet, lowercase, without separators. Case is
// ignored, spaces and hyphens are dropped anywhere, and Crockford's
// confusables are read as what they stand for (o→0, i→1, l→1). It reports
// false for anything else: other characters (u included), another number
// of symbols, or input longer than maxInput bytes.
// normalize(normalize(x)) == normalize(x) whenever it reports true.
func normalize(code string) (string, bool) {
	if len(code) > maxInput {
		return "", false
	}
	out := make([]byte, 0, codeLen)
	for i := 0; i < len(code); i++ {
		c := code[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		switch c {
		case ' ', '-':
			continue
		case 'o':
			c = '0'
		case 'i', 'l':
			c = '1'
		}
		if !isSymbol(c) || len(out) == codeLen {
			return "", false
		}
		out = append(out, c)
	}
	if len(out) != codeLen {
		return "", false
	}
	return string(out), true
}

// isSymbol reports whether c is in alphabet.
func isSymbol(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'z' && c != 'i' && c != 'l' && c != 'o' && c != 'u')
}
