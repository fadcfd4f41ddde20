package wire

import (
	"strconv"
	"strings"
)

// object writes a JSON object member by member, putting in the commas.
// Create it with beginObject and finish with end.
type object struct {
	b []byte
	n int // members written
}

func beginObject(b []byte) object { return object{b: append(b, '{')} }

func (o *object) end() []byte { return append(o.b, '}') }

// key writes the key of the next member.
func (o *object) key(k string) {
	if o.n > 0 {
		o.b = append(o.b, ',')
	}
	o.n++
	o.b = appendString(o.b, k)
	o.b = append(o.b, ':')
}

// str writes a string member, even when empty (for required members).
func (o *object) str(k, v string) {
	o.key(k)
	o.b = appendString(o.b, v)
}

// optStr writes a string member unless it is empty.
func (o *object) optStr(k, v string) {
	if v != "" {
		o.str(k, v)
	}
}

// optBool writes a boolean member if it is true.
func (o *object) optBool(k string, v bool) {
	if v {
		o.key(k)
		o.b = append(o.b, "true"...)
	}
}

// optInt writes an integer member unless it is zero.
func (o *object) optInt(k string, v int) {
	if v != 0 {
		o.key(k)
		o.b = strconv.AppendInt(o.b, int64(v), 10)
	}
}

// appendList appends xs as a JSON array, each element written by each.
func appendList[T any](b []byte, xs []T, each func(T, []byte) []byte) []byte {
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = each(x, b)
	}
	return append(b, ']')
}

// appendParams appends ps as a JSON object {"name": "value", …} in order.
// A name repeated after its first occurrence (as written: names that are
// not UTF-8 are scrubbed first) is left out, so that the output always
// decodes, the decoder refusing duplicate keys, to the values Value sees.
func appendParams(b []byte, ps []Param) []byte {
	o := beginObject(b)
	seen := make(map[string]bool, len(ps))
	for _, p := range ps {
		name := scrub(p.Name)
		if seen[name] {
			continue
		}
		seen[name] = true
		o.str(name, p.Value)
	}
	return o.end()
}

// notUTF8 reports whether r, found at s[i:] by a range loop, stands for a
// byte that is not UTF-8: range yields U+FFFD for those, one byte wide.
func notUTF8(s string, i int, r rune) bool {
	return r == '\uFFFD' && !strings.HasPrefix(s[i:], "\uFFFD")
}

// scrub returns s with every byte that is not UTF-8 replaced by U+FFFD, as
// appendString writes it.
func scrub(s string) string {
	for i, r := range s {
		if notUTF8(s, i, r) {
			b := make([]byte, 0, len(s)+8)
			for i, r := range s {
				if notUTF8(s, i, r) {
					r = '\uFFFD'
				}
				b = appendRune(b, r)
			}
			return string(b)
		}
	}
	return s
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Besides what JSON requires (the
// quote, the backslash, control characters) it escapes <, >, &, U+2028
// and U+2029, so the output is safe inside HTML <script> and attributes.
// Bytes that are not valid UTF-8 become U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	lit := 0 // start of the run of s not yet copied
	for i, r := range s {
		width := 1
		var esc string
		switch {
		case r == '"':
			esc = `\"`
		case r == '\\':
			esc = `\\`
		case r == '\n':
			esc = `\n`
		case r == '\r':
			esc = `\r`
		case r == '\t':
			esc = `\t`
		case r == '\b':
			esc = `\b`
		case r == '\f':
			esc = `\f`
		case r < 0x20, r == '<', r == '>', r == '&':
			// written as \u00XX below
		case r == '\u2028', r == '\u2029':
			width = 3 // written as \u2028, \u2029 below
		case notUTF8(s, i, r):
			esc = `\ufffd`
		default:
			continue
		}
		b = append(b, s[lit:i]...)
		if esc != "" {
			b = append(b, esc...)
		} else {
			b = append(b, '\\', 'u', hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
		}
		lit = i + width
	}
	b = append(b, s[lit:]...)
	return append(b, '"')
}
