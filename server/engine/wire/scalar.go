package wire

import "strconv"

// The readers of scalar values: literals, numbers, strings, booleans,
// integers and times. String contents are read by str (string.go).

// literal reports whether word is at pos.
func (d *decoder) literal(word string) bool {
	return len(d.data)-d.pos >= len(word) && string(d.data[d.pos:d.pos+len(word)]) == word
}

// number reads a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *decoder) number() error {
	if d.peek() == '-' {
		d.pos++
	}
	switch c := d.peek(); {
	case c == '0':
		d.pos++
	case '1' <= c && c <= '9':
		d.digits()
	default:
		return d.unexpected()
	}
	if d.peek() == '.' {
		d.pos++
		if !isDigit(d.peek()) {
			return d.unexpected()
		}
		d.digits()
	}
	if c := d.peek(); c == 'e' || c == 'E' {
		d.pos++
		if c := d.peek(); c == '+' || c == '-' {
			d.pos++
		}
		if !isDigit(d.peek()) {
			return d.unexpected()
		}
		d.digits()
	}
	return nil
}

func (d *decoder) digits() {
	for isDigit(d.peek()) {
		d.pos++
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// string reads a string into *dst.
func (d *decoder) string(dst *string) error {
	if d.peek() != '"' {
		return d.mismatch("string")
	}
	s, err := d.str()
	if err != nil {
		return err
	}
	*dst = s
	return nil
}

// boolean reads true or false into *dst.
func (d *decoder) boolean(dst *bool) error {
	switch {
	case d.literal("true"):
		*dst = true
		d.pos += len("true")
	case d.literal("false"):
		*dst = false
		d.pos += len("false")
	default:
		return d.mismatch("boolean")
	}
	return nil
}

// integer reads a number without fraction or exponent into *dst.
func (d *decoder) integer(dst *int) error {
	if c := d.peek(); c != '-' && !isDigit(c) {
		return d.mismatch("integer")
	}
	start := d.pos
	if err := d.number(); err != nil {
		return err
	}
	n, err := strconv.Atoi(string(d.data[start:d.pos]))
	if err != nil {
		return errAt(ErrType, start, "want integer, found "+quote(string(d.data[start:d.pos])))
	}
	*dst = n
	return nil
}

// time reads an RFC 3339 time string into *dst as Unix seconds (see
// parseTime).
func (d *decoder) time(dst *int64) error {
	if d.peek() != '"' {
		return d.mismatch("time")
	}
	start := d.pos
	s, err := d.str()
	if err != nil {
		return err
	}
	t, ok := parseTime(s)
	if !ok {
		return errAt(ErrType, start, "want RFC 3339 time, found "+quote(s))
	}
	*dst = t
	return nil
}
