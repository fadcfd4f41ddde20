package wire

// str reads the string at pos (which is '"') and returns its value. It
// refuses control characters, bad escapes, lone surrogates (\ud800 alone)
// and bytes that are not UTF-8.
func (d *decoder) str() (string, error) {
	d.pos++ // opening quote
	start := d.pos
	var buf []byte   // the value so far, once an escape has been seen
	escaped := false // whether buf is in use
	lit := d.pos     // start of the run not yet copied to buf
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			end := d.pos
			d.pos++
			if !escaped {
				return string(d.data[start:end]), nil
			}
			return string(append(buf, d.data[lit:end]...)), nil
		case c == '\\':
			buf = append(buf, d.data[lit:d.pos]...)
			escaped = true
			var err error
			if buf, err = d.escape(buf); err != nil {
				return "", err
			}
			lit = d.pos
		case c < 0x20:
			return "", errAt(ErrSyntax, d.pos, "control character in string")
		case c < 0x80:
			d.pos++
		default:
			n := utf8Len(d.data[d.pos:])
			if n == 0 {
				return "", errAt(ErrSyntax, d.pos, "invalid UTF-8 in string")
			}
			d.pos += n
		}
	}
	return "", errAt(ErrSyntax, d.pos, "unterminated string")
}

// escape reads the escape sequence at pos (which is '\\') and appends
// what it stands for to buf.
func (d *decoder) escape(buf []byte) ([]byte, error) {
	at := d.pos
	if d.pos+1 >= len(d.data) {
		return buf, errAt(ErrSyntax, d.pos, "unterminated string")
	}
	c := d.data[d.pos+1]
	d.pos += 2
	switch c {
	case '"', '\\', '/':
		return append(buf, c), nil
	case 'b':
		return append(buf, '\b'), nil
	case 'f':
		return append(buf, '\f'), nil
	case 'n':
		return append(buf, '\n'), nil
	case 'r':
		return append(buf, '\r'), nil
	case 't':
		return append(buf, '\t'), nil
	case 'u':
		r, ok := d.hex4()
		if !ok {
			return buf, errAt(ErrSyntax, at, `invalid \u escape`)
		}
		if 0xDC00 <= r && r <= 0xDFFF {
			return buf, errAt(ErrSyntax, at, "lone surrogate in string")
		}
		if 0xD800 <= r && r <= 0xDBFF {
			// A high surrogate must be followed by an escaped low one.
			if !d.literal(`\u`) {
				return buf, errAt(ErrSyntax, at, "lone surrogate in string")
			}
			d.pos += 2
			lo, ok := d.hex4()
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return buf, errAt(ErrSyntax, at, "lone surrogate in string")
			}
			r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
		}
		return appendRune(buf, r), nil
	}
	return buf, errAt(ErrSyntax, at, "invalid escape in string")
}

// hex4 reads four hexadecimal digits.
func (d *decoder) hex4() (rune, bool) {
	if len(d.data)-d.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.data[d.pos : d.pos+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.pos += 4
	return r, true
}

// appendRune appends the UTF-8 encoding of r, which is a scalar value
// (not a surrogate, at most U+10FFFF).
func appendRune(b []byte, r rune) []byte {
	switch {
	case r < 0x80:
		return append(b, byte(r))
	case r < 0x800:
		return append(b, 0xC0|byte(r>>6), 0x80|byte(r)&0x3F)
	case r < 0x10000:
		return append(b, 0xE0|byte(r>>12), 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
	}
	return append(b, 0xF0|byte(r>>18), 0x80|byte(r>>12)&0x3F, 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
}

// utf8Len returns the length of the UTF-8 sequence b starts with, whose
// first byte is at least 0x80, or 0 if it is not valid UTF-8 (overlong
// forms, surrogates and values above U+10FFFF are not).
func utf8Len(b []byte) int {
	n, lo, hi := 0, byte(0x80), byte(0xBF) // length; range of the second byte
	switch c := b[0]; {
	case 0xC2 <= c && c <= 0xDF:
		n = 2
	case c == 0xE0:
		n, lo = 3, 0xA0
	case c == 0xED:
		n, hi = 3, 0x9F
	case 0xE1 <= c && c <= 0xEF:
		n = 3
	case c == 0xF0:
		n, lo = 4, 0x90
	case 0xF1 <= c && c <= 0xF3:
		n = 4
	case c == 0xF4:
		n, hi = 4, 0x8F
	default:
		return 0
	}
	if len(b) < n || b[1] < lo || b[1] > hi {
		return 0
	}
	for _, c := range b[2:n] {
		if c < 0x80 || c > 0xBF {
			return 0
		}
	}
	return n
}
