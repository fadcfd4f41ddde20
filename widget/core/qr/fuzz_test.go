package qr

import (
	"errors"
	"strings"
	"testing"
)

// FuzzEncode checks that Encode never panics, that a code's size is
// 17 + 4 × its version with the three finder patterns and their
// separators and the timing patterns in place, that it errs only on text
// too long for a QR code, and that short texts draw as boombuler draws
// them.
func FuzzEncode(f *testing.F) {
	f.Add("", uint8(M))
	f.Add("otpauth://totp/Acme:ada%40example.com?algorithm=SHA1&digits=6&issuer=Acme&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", uint8(M))
	f.Add("0123456789", uint8(L))
	f.Add("HELLO WORLD", uint8(Q))
	f.Add("Grüße 東京 🙂", uint8(H))
	f.Add(strings.Repeat("\xff", 300), uint8(M))
	f.Fuzz(func(t *testing.T, text string, level uint8) {
		l := Level(level % 4)
		c, err := Encode(text, l)
		if err != nil {
			// Byte mode at level H holds the least: 1273 bytes.
			if !errors.Is(err, ErrTooLong) || len(text) <= 1273 {
				t.Fatalf("Encode(%d bytes, %d): %v", len(text), l, err)
			}
			return
		}
		v := c.Version()
		if v < 1 || v > 40 || c.Size() != 17+4*v {
			t.Fatalf("size %d, version %d", c.Size(), v)
		}
		n := c.Size()
		for _, corner := range [3][2]int{{0, 0}, {n - 7, 0}, {0, n - 7}} {
			for dy := -1; dy <= 7; dy++ {
				for dx := -1; dx <= 7; dx++ {
					x, y := corner[0]+dx, corner[1]+dy
					if x < 0 || y < 0 || x >= n || y >= n {
						continue
					}
					d := max(abs(dx-3), abs(dy-3))
					if c.Black(x, y) != (d != 2 && d != 4) {
						t.Fatalf("finder pattern at %v: module (%d, %d)", corner, x, y)
					}
				}
			}
		}
		for i := 8; i < n-8; i++ {
			if c.Black(i, 6) != (i%2 == 0) || c.Black(6, i) != (i%2 == 0) {
				t.Fatalf("timing pattern at %d", i)
			}
		}
		if c.Black(-1, 0) || c.Black(0, n) {
			t.Fatal("a module outside the symbol is dark")
		}
		// boombuler reads +123 and -0 as numbers in numeric mode (it
		// parses digits with strconv.Atoi): it encodes such texts wrongly.
		if len(text) <= 400 && !(strings.Trim(text, "0123456789+-") == "" && strings.ContainsAny(text, "+-")) {
			sameAsBoombuler(t, text, l)
		}
	})
}
