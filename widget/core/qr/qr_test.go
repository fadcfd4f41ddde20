package qr

import (
	"errors"
	"image/color"
	"strconv"
	"strings"
	"testing"

	bqr "github.com/boombuler/barcode/qr"
)

// sameAsBoombuler encodes text with Encode and with boombuler's qr.Encode
// (Auto), as server/factor/totp draws QR codes, and reports the first
// module where they differ.
func sameAsBoombuler(t testing.TB, text string, l Level) Code {
	t.Helper()
	got, err := Encode(text, l)
	want, werr := bqr.Encode(text, bqr.ErrorCorrectionLevel(l), bqr.Auto)
	if (err == nil) != (werr == nil) {
		t.Fatalf("Encode(%q, %d): error %v, boombuler's %v", text, l, err, werr)
	}
	if err != nil {
		return got
	}
	b := want.Bounds()
	if b.Min.X != 0 || b.Min.Y != 0 || b.Dx() != b.Dy() {
		t.Fatalf("boombuler's bounds %v", b)
	}
	if got.Size() != b.Dx() {
		t.Fatalf("Encode(%q, %d): size %d (version %d), boombuler's %d", text, l, got.Size(), got.Version(), b.Dx())
	}
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			dark := color.GrayModel.Convert(want.At(x, y)).(color.Gray).Y < 0x80
			if got.Black(x, y) != dark {
				t.Fatalf("Encode(%q, %d), version %d: module (%d, %d) is dark %v, boombuler's %v", text, l, got.Version(), x, y, got.Black(x, y), dark)
			}
		}
	}
	return got
}

func TestEncodeMatchesBoombuler(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		version    int // at level M
	}{
		{"empty text", "", 1},
		{"short text", "Lintel", 1},
		{"digits in numeric mode", "0123456789012345678901234567890123", 1},
		{"upper case in alphanumeric mode", "HTTPS://LINTEL.EXAMPLE/$%*+-./: 42", 2},
		{"short otpauth URI", "otpauth://totp/X:a@b.io?secret=JBSWY3DPEHPK3PXP&issuer=X", 4},
		{"otpauth URI as totp writes it", "otpauth://totp/Acme:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme&algorithm=SHA1&digits=6&period=30", 8},
		{"otpauth URI in the conformance test", "otpauth://totp/Acme:ada%40example.com?algorithm=SHA1&digits=6&issuer=Acme&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", 8},
		{"otpauth URI with an escaped issuer", "otpauth://totp/Acme%20%26%20Co:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20%26%20Co&algorithm=SHA256&digits=8&period=60", 8},
		{"long otpauth URI", "otpauth://totp/Example%20Corporation%20Identity:firstname.lastname%2Bsignin@subsidiary.example.co.uk?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Corporation%20Identity&algorithm=SHA512&digits=8&period=30", 11},
		{"UTF-8 text in byte mode", "Grüße aus Zürich, 東京, مرحبا 🙂", 4},
		{"UTF-8 otpauth URI", "otpauth://totp/Bäckerei Müller:jürgen@bäckerei.de?secret=JBSWY3DPEHPK3PXP&issuer=Bäckerei Müller", 6},
		{"text at version 7, with version information", strings.Repeat("version seven ", 8), 7},
		{"text across several block groups", strings.Repeat("lintel-", 60), 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sameAsBoombuler(t, tc.text, M)
			if c.Version() != tc.version {
				t.Errorf("version %d, want %d", c.Version(), tc.version)
			}
			for _, l := range []Level{L, Q, H} {
				sameAsBoombuler(t, tc.text, l)
			}
		})
	}
}

// text returns n bytes of varied printable text, so that the masks'
// penalties differ from one version to the next.
func text(n, seed int) string {
	b := make([]byte, n)
	x := uint32(seed*2654435761 + 1)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = 'a' + byte(x%26)
	}
	return string(b)
}

// TestEveryVersionAndLevel fills every version at every level to the
// byte: the largest text it holds, and one byte more, which needs the
// next version (or is too long after version 40). It checks the tables,
// the alignment patterns, the blocks and the version information of all
// forty versions.
func TestEveryVersionAndLevel(t *testing.T) {
	for _, l := range []Level{L, M, Q, H} {
		for v := 1; v <= 40; v++ {
			t.Run("level "+strconv.Itoa(int(l))+" version "+strconv.Itoa(v), func(t *testing.T) {
				n := (8*dataCodewords(v, l) - 4 - byteMode.countBits(v)) / 8
				if c := sameAsBoombuler(t, text(n, v), l); c.Version() != v {
					t.Errorf("%d bytes: version %d, want %d", n, c.Version(), v)
				}
				c, err := Encode(text(n+1, v), l)
				switch {
				case v == 40 && !errors.Is(err, ErrTooLong):
					t.Errorf("%d bytes: error %v, want ErrTooLong", n+1, err)
				case v < 40 && c.Version() != v+1:
					t.Errorf("%d bytes: version %d, want %d", n+1, c.Version(), v+1)
				}
			})
		}
	}
}

func TestNumericAndAlphanumericVersions(t *testing.T) {
	for _, v := range []int{1, 9, 10, 26, 27, 40} {
		d := (8*dataCodewords(v, M) - 4 - numeric.countBits(v)) / 10 * 3
		sameAsBoombuler(t, strings.Repeat("31415926535897932384626", 400)[:d], M)
		a := (8*dataCodewords(v, M) - 4 - alphanumeric.countBits(v)) / 11 * 2
		sameAsBoombuler(t, strings.Repeat("LINTEL ID: $%*+-./", 400)[:a], M)
	}
}

func TestRefusesTextTooLong(t *testing.T) {
	if _, err := Encode(strings.Repeat("x", 2332), M); !errors.Is(err, ErrTooLong) {
		t.Errorf("2332 bytes at M: %v, want ErrTooLong", err)
	}
	if _, err := Encode("x", H+1); !errors.Is(err, ErrLevel) {
		t.Errorf("level H+1: %v, want ErrLevel", err)
	}
}

// TestInformationBits checks the BCH codes against examples of the
// standard: format information for level M, mask 5 (annex C), and the
// version information of version 7 (annex D).
func TestInformationBits(t *testing.T) {
	if got := formatBits(M, 5); got != 0b100000011001110 {
		t.Errorf("format M/5: %015b", got)
	}
	if got := bch(7, 6, 0x1f25); got != 0b000111110010010100 {
		t.Errorf("version 7: %018b", got)
	}
}

func BenchmarkEncodeOtpauthURI(b *testing.B) {
	uri := "otpauth://totp/Acme:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme&algorithm=SHA1&digits=6&period=30"
	for b.Loop() {
		if _, err := Encode(uri, M); err != nil {
			b.Fatal(err)
		}
	}
}
