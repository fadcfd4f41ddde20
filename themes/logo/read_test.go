package logo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sample reads a file of testdata.
func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pngHeader is a PNG that ends after an IHDR claiming w×h pixels: all
// image.DecodeConfig reads.
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 4+13)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12], ihdr[13] = 8, 6 // 8-bit RGBA
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

// jpegClaiming is a small JPEG whose frame header is patched to claim
// w×h pixels.
func jpegClaiming(t *testing.T, w, h uint16) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	sof := bytes.Index(data, []byte{0xff, 0xc0})
	if sof < 0 {
		t.Fatal("no SOF0 marker")
	}
	binary.BigEndian.PutUint16(data[sof+5:], h)
	binary.BigEndian.PutUint16(data[sof+7:], w)
	return data
}

func TestRead(t *testing.T) {
	wordmark := sample(t, "blue-wordmark.png")
	tests := []struct {
		name       string
		data       []byte
		wantType   string
		wantW      int
		wantH      int
		wantErr    error
		wantStored []byte // nil: as uploaded
	}{
		{name: "reads a PNG", data: wordmark, wantType: PNG, wantW: 200, wantH: 60},
		{name: "reads a JPEG", data: sample(t, "gradient.jpg"), wantType: JPEG, wantW: 160, wantH: 100},
		{name: "reads an SVG and stores it sanitised", data: []byte(`<svg width="30px" viewBox="0 0 3 2" onload="x()"><rect fill="red"/></svg>`), wantType: SVG, wantW: 30, wantH: 20,
			wantStored: []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 3 2" width="30px"><rect fill="red"/></svg>`)},
		{name: "reads an SVG's size from its viewBox", data: []byte(`<svg viewBox="0,0,120.4,40"/>`), wantType: SVG, wantW: 120, wantH: 40},
		{name: "leaves an SVG's size in percent unknown", data: []byte(`<svg width="100%" height="100%"/>`), wantType: SVG},
		{name: "refuses more than MaxBytes", data: append(bytes.Clone(wordmark), make([]byte, MaxBytes)...), wantErr: ErrTooLarge},
		{name: "refuses a PNG header claiming 100000×100000 pixels", data: pngHeader(100000, 100000), wantErr: ErrTooLarge},
		{name: "refuses a PNG header claiming 4097×4096 pixels", data: pngHeader(4097, 4096), wantErr: ErrTooLarge},
		{name: "refuses a JPEG header claiming 65000×65000 pixels", data: jpegClaiming(t, 65000, 65000), wantErr: ErrTooLarge},
		{name: "refuses a PNG header with nothing after it", data: pngHeader(10, 10), wantErr: ErrFormat},
		{name: "refuses a truncated PNG", data: wordmark[:len(wordmark)/2], wantErr: ErrFormat},
		{name: "refuses a PNG signature alone", data: []byte("\x89PNG\r\n\x1a\n"), wantErr: ErrFormat},
		{name: "refuses a GIF", data: []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), wantErr: ErrFormat},
		{name: "refuses HTML", data: []byte("<!doctype html><html><body><svg></svg>"), wantErr: ErrFormat},
		{name: "refuses nothing", data: nil, wantErr: ErrFormat},
		{name: "refuses an SVG with an entity declaration", data: sample(t, "hostile/billion-laughs.svg"), wantErr: ErrUnsafe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			img, err := Read(tt.data)
			if elapsed := time.Since(start); elapsed > time.Second {
				t.Errorf("took %v", elapsed)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if img.ContentType != tt.wantType || img.Width != tt.wantW || img.Height != tt.wantH {
				t.Errorf("got %s %d×%d, want %s %d×%d", img.ContentType, img.Width, img.Height, tt.wantType, tt.wantW, tt.wantH)
			}
			want := tt.wantStored
			if want == nil && img.ContentType != SVG {
				want = tt.data
			}
			if want != nil && !bytes.Equal(img.Data, want) {
				t.Errorf("stores\n%s\nwant\n%s", img.Data, want)
			}
		})
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{"finds a PNG by its signature", "\x89PNG\r\n\x1a\n....", PNG},
		{"finds a JPEG by its start of image", "\xff\xd8\xff\xe0....", JPEG},
		{"finds an SVG", `<svg xmlns="http://www.w3.org/2000/svg"/>`, SVG},
		{"finds an SVG after a BOM, declaration, comment and whitespace", "\ufeff<?xml version=\"1.0\"?>\n<!-- Illustrator -->\n\t<svg>", SVG},
		{"finds an SVG after a DOCTYPE with an internal subset", `<!DOCTYPE svg [<!ENTITY a "<svg>">]><svg>`, SVG},
		{"finds an SVG with a prefixed root", `<s:svg xmlns:s="http://www.w3.org/2000/svg">`, SVG},
		{"refuses an svg root of another namespace", `<svg xmlns="http://www.w3.org/1999/xhtml">`, ""},
		{"refuses HTML", "<html><svg></svg></html>", ""},
		{"refuses an element merely starting with svg", "<svgx/>", ""},
		{"refuses text before the root", "hello <svg/>", ""},
		{"refuses an SVG declared past 4 KiB", "<!--" + strings.Repeat("x", sniffLen) + "--><svg/>", ""},
		{"refuses a GIF", "GIF89a", ""},
		{"refuses a PNG signature cut short", "\x89PNG\r\n", ""},
		{"refuses nothing", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sniff([]byte(tt.data)); got != tt.want {
				t.Errorf("Sniff = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMatchesDeclared(t *testing.T) {
	png, jpg, svg := sample(t, "navy.png"), sample(t, "gradient.jpg"), sample(t, "gradient.svg")
	tests := []struct {
		name     string
		declared string
		data     []byte
		want     bool
	}{
		{"accepts a PNG declared as one", "image/png", png, true},
		{"accepts a declared type in any case", "IMAGE/PNG", png, true},
		{"accepts a JPEG declared as image/jpg", "image/jpg", jpg, true},
		{"accepts an SVG with a charset parameter", "image/svg+xml; charset=utf-8", svg, true},
		{"refuses an SVG declared as a PNG", "image/png", svg, false},
		{"refuses a PNG declared as an SVG", "image/svg+xml", png, false},
		{"refuses an SVG declared as HTML", "text/html", svg, false},
		{"refuses a missing declaration", "", png, false},
		{"refuses a malformed declaration", "image/png;;=", png, false},
		{"refuses unknown bytes whatever the declaration", "application/octet-stream", []byte("MZ"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MatchesDeclared(tt.declared, tt.data); got != tt.want {
				t.Errorf("MatchesDeclared(%q) = %v, want %v", tt.declared, got, tt.want)
			}
		})
	}
}
