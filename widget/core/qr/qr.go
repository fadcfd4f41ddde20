// Package qr encodes text as a QR code symbol (ISO/IEC 18004:2015), for
// the sign-in widget's WebAssembly, which cannot afford a QR library's
// dependencies (fmt, image, reflect).
//
// It chooses what github.com/boombuler/barcode/qr's Auto encoding does,
// with which the server draws the same codes, so that the widget and the
// hosted pages show identical symbols: one segment in numeric mode when
// the text is digits only, else alphanumeric mode when every character
// is in that mode's set, else byte mode holding the text's UTF-8 bytes
// (no ECI header, as most readers expect); the smallest version 1–40
// that holds it at the level asked for; the mask with the lowest penalty
// under the four rules of section 7.8.3, evaluated with the format
// information in place, the first mask winning ties. Rule 3 looks for
// finder-like patterns within the symbol only, as boombuler (and ZXing)
// do: counting the light quiet zone around it too, as the standard's
// text allows, picks another mask for about one text in seven, a code
// as valid but not the server's.
package qr

import "errors"

// Level is an error correction level.
type Level uint8

// The error correction levels, from least to most redundant.
const (
	L Level = iota // recovers about 7% of the codewords
	M              // recovers about 15% of the codewords
	Q              // recovers about 25% of the codewords
	H              // recovers about 30% of the codewords
)

// ErrTooLong is returned for text that even a version 40 symbol cannot
// hold at the level asked for.
var ErrTooLong = errors.New("qr: text too long for a QR code")

// ErrLevel is returned for a Level that is none of L, M, Q and H.
var ErrLevel = errors.New("qr: unknown error correction level")

// Code is a QR code symbol: a square of dark and light modules, without
// the quiet zone around it.
type Code struct {
	size int
	dark []bool // row by row
}

// Size returns the number of modules on a side, 17 + 4 × version.
func (c Code) Size() int { return c.size }

// Version returns the symbol's version, 1 to 40.
func (c Code) Version() int { return (c.size - 17) / 4 }

// Black reports whether the module in column x and row y (from the top
// left, 0-based) is dark; modules outside the symbol are light.
func (c Code) Black(x, y int) bool {
	if x < 0 || y < 0 || x >= c.size || y >= c.size {
		return false
	}
	return c.dark[y*c.size+x]
}

// Encode returns the QR code of text at error correction level level.
func Encode(text string, level Level) (Code, error) {
	if level > H {
		return Code{}, ErrLevel
	}
	m := modeOf(text)
	v := 1
	for ; v <= 40; v++ {
		if 4+m.countBits(v)+m.dataBits(len(text)) <= 8*dataCodewords(v, level) {
			break
		}
	}
	if v > 40 {
		return Code{}, ErrTooLong
	}
	data := m.encode(text, v, dataCodewords(v, level))
	return draw(v, level, interleave(data, v, level)), nil
}
