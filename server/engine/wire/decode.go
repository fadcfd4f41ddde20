package wire

import "strconv"

// decoder reads one JSON document. Its readers (object, array, string,
// boolean, integer, time, skip) each consume one value at pos, which is
// never whitespace when they are called, and validate everything they
// consume, so a document is accepted only if all of it is JSON.
type decoder struct {
	data  []byte
	pos   int
	depth int // objects and arrays open at pos
}

// decode runs read on the single value that data holds, and refuses
// documents that are too large or have anything after that value.
func decode(data []byte, read func(d *decoder) error) error {
	if len(data) > MaxSize {
		return errAt(ErrTooLarge, MaxSize, strconv.Itoa(len(data))+" bytes")
	}
	d := &decoder{data: data}
	d.space()
	if err := read(d); err != nil {
		return err
	}
	d.space()
	if d.pos < len(d.data) {
		return errAt(ErrSyntax, d.pos, "data after the value")
	}
	return nil
}

func (d *decoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the byte at pos, or 0 at the end.
func (d *decoder) peek() byte {
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

// unexpected reports the byte at pos (or the end) as a syntax error.
func (d *decoder) unexpected() error {
	if d.pos >= len(d.data) {
		return errAt(ErrSyntax, d.pos, "unexpected end of input")
	}
	c := d.data[d.pos]
	if c < 0x20 || c >= 0x7F {
		return errAt(ErrSyntax, d.pos, "unexpected byte 0x"+string([]byte{hexDigits[c>>4], hexDigits[c&0xF]}))
	}
	return errAt(ErrSyntax, d.pos, "unexpected "+strconv.QuoteRune(rune(c)))
}

// mismatch skips a value of the wrong type, so that broken JSON is still
// reported as ErrSyntax, and reports well-formed JSON as ErrType.
func (d *decoder) mismatch(want string) error {
	start := d.pos
	if err := d.skip(); err != nil {
		return err
	}
	found := "number"
	switch d.data[start] {
	case '{':
		found = "object"
	case '[':
		found = "array"
	case '"':
		found = "string"
	case 't', 'f':
		found = "boolean"
	case 'n':
		found = "null"
	}
	return errAt(ErrType, start, "want "+want+", found "+found)
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > MaxDepth {
		return errAt(ErrTooDeep, d.pos, "more than "+strconv.Itoa(MaxDepth)+" levels")
	}
	d.pos++ // past '{' or '['
	d.space()
	return nil
}

// object reads an object, calling member with each key, decoded, when the
// value (at pos) is not null; member must consume the value. A key
// repeated in the object is refused.
func (d *decoder) object(member func(key string) error) error {
	if d.peek() != '{' {
		return d.mismatch("object")
	}
	if err := d.enter(); err != nil {
		return err
	}
	if d.peek() == '}' {
		d.pos++
		d.depth--
		return nil
	}
	var seen map[string]bool
	for {
		if d.peek() != '"' {
			return d.unexpected()
		}
		at := d.pos
		key, err := d.str()
		if err != nil {
			return err
		}
		if seen == nil {
			seen = make(map[string]bool)
		}
		if seen[key] {
			return errAt(ErrDuplicateKey, at, quote(key))
		}
		seen[key] = true
		d.space()
		if d.peek() != ':' {
			return d.unexpected()
		}
		d.pos++
		d.space()
		if d.literal("null") {
			d.pos += len("null")
		} else if err := member(key); err != nil {
			return inKey(err, key)
		}
		d.space()
		switch d.peek() {
		case ',':
			d.pos++
			d.space()
		case '}':
			d.pos++
			d.depth--
			return nil
		default:
			return d.unexpected()
		}
	}
}

// array reads an array, calling elem for each element; elem must consume
// the element at pos.
func (d *decoder) array(elem func(i int) error) error {
	if d.peek() != '[' {
		return d.mismatch("array")
	}
	if err := d.enter(); err != nil {
		return err
	}
	if d.peek() == ']' {
		d.pos++
		d.depth--
		return nil
	}
	for i := 0; ; i++ {
		if err := elem(i); err != nil {
			return inIndex(err, i)
		}
		d.space()
		switch d.peek() {
		case ',':
			d.pos++
			d.space()
		case ']':
			d.pos++
			d.depth--
			return nil
		default:
			return d.unexpected()
		}
	}
}

// list reads an array into *dst, each element read by elem. An empty
// array leaves *dst nil.
func list[T any](d *decoder, dst *[]T, elem func(*T, *decoder) error) error {
	return d.array(func(int) error {
		var x T
		if err := elem(&x, d); err != nil {
			return err
		}
		*dst = append(*dst, x)
		return nil
	})
}

// skip reads any value and drops it.
func (d *decoder) skip() error {
	switch c := d.peek(); {
	case c == '{':
		return d.object(func(string) error { return d.skip() })
	case c == '[':
		return d.array(func(int) error { return d.skip() })
	case c == '"':
		_, err := d.str()
		return err
	case c == '-' || '0' <= c && c <= '9':
		return d.number()
	}
	for _, word := range [...]string{"true", "false", "null"} {
		if d.literal(word) {
			d.pos += len(word)
			return nil
		}
	}
	return d.unexpected()
}
