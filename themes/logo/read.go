package logo

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image/jpeg"
	"image/png"
	"mime"

	"github.com/lintel-id/lintel/themes"
)

// Errors Read and SanitizeSVG wrap; callers branch on them with errors.Is
// to pick the message they show.
var (
	// ErrFormat is returned for bytes that are not a PNG, JPEG or SVG
	// (or that are, but do not decode).
	ErrFormat = errors.New("not a PNG, JPEG or SVG image")
	// ErrTooLarge is returned past MaxBytes, MaxPixels, or the element
	// count and depth bounds of an SVG.
	ErrTooLarge = errors.New("image too large")
	// ErrUnsafe is returned for an SVG the sanitiser refuses rather than
	// rewrites (a DOCTYPE or entity declaration).
	ErrUnsafe = errors.New("SVG could not be made safe")
)

const (
	// MaxBytes bounds an upload.
	MaxBytes = 1 << 20
	// MaxPixels bounds the decoded area of a raster, checked from the
	// header before any pixel is decoded: a 1 MiB PNG can claim gigapixels.
	MaxPixels = 4096 * 4096
)

// The content types Sniff returns and Image.ContentType holds.
const (
	PNG  = "image/png"
	JPEG = "image/jpeg"
	SVG  = "image/svg+xml"
)

// Image is a checked logo, ready to store, with its palette.
type Image struct {
	// ContentType is PNG, JPEG or SVG, sniffed from the bytes.
	ContentType string
	// Data is what to store and serve: a PNG or JPEG as uploaded (the
	// caller's slice, metadata included), an SVG as sanitised.
	Data []byte
	// Width and Height are in pixels; for an SVG from its width and
	// height or viewBox, 0 when unknown.
	Width, Height int
	// Palette holds up to 6 brand colours, most prominent first. Greys,
	// near-white, near-black and transparent pixels are left out; a
	// monochrome logo has none.
	Palette []themes.Color
	// Tone says whether the logo's visible ink is mostly dark or light,
	// which Palette leaves out.
	Tone Tone
}

// Read checks an uploaded logo and extracts its palette. The format is
// sniffed from the bytes, never taken from a declared type (see
// MatchesDeclared). Errors wrap ErrFormat, ErrTooLarge or ErrUnsafe.
func Read(data []byte) (Image, error) {
	if len(data) > MaxBytes {
		return Image{}, fmt.Errorf("logo of %d bytes, more than %d: %w", len(data), MaxBytes, ErrTooLarge)
	}
	switch ct := Sniff(data); ct {
	case PNG, JPEG:
		return readRaster(ct, data)
	case SVG:
		root, err := parseSVG(data)
		if err != nil {
			return Image{}, err
		}
		img := Image{ContentType: SVG, Data: root.marshal()}
		img.Width, img.Height = svgSize(root)
		img.Palette, img.Tone = svgPalette(root)
		return img, nil
	}
	return Image{}, ErrFormat
}

// readRaster bounds the area from the header, then decodes.
func readRaster(ct string, data []byte) (Image, error) {
	decodeConfig, decode := png.DecodeConfig, png.Decode
	if ct == JPEG {
		decodeConfig, decode = jpeg.DecodeConfig, jpeg.Decode
	}
	cfg, err := decodeConfig(bytes.NewReader(data))
	if err != nil {
		return Image{}, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return Image{}, fmt.Errorf("logo of %d×%d pixels, more than %d: %w", cfg.Width, cfg.Height, MaxPixels, ErrTooLarge)
	}
	m, err := decode(bytes.NewReader(data))
	if err != nil {
		return Image{}, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	img := Image{ContentType: ct, Data: data, Width: cfg.Width, Height: cfg.Height}
	img.Palette, img.Tone = rasterPalette(m)
	return img, nil
}

// Sniff returns the content type of a logo from its first bytes, PNG, JPEG
// or SVG, or "" for anything else. An SVG is XML whose first element is
// svg, after an optional byte-order mark, XML declaration, comments and
// DOCTYPE (so that a DOCTYPE is refused as unsafe, not as unknown).
func Sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return JPEG
	}
	// The XML tokenizer reads a DOCTYPE's internal subset whole, which a
	// string scan would get wrong; it stops at sniffLen bytes.
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data[:min(len(data), sniffLen)], []byte("\ufeff"))))
	d.Strict = true
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if inSVG(t.Name) && t.Name.Local == "svg" {
				return SVG
			}
			return ""
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return ""
			}
		}
	}
}

// sniffLen bounds how far Sniff looks for the svg element.
const sniffLen = 4096

// MatchesDeclared reports whether a declared content type (a form part's
// or request's Content-Type) agrees with the sniffed one. Callers refuse
// an upload that does not: a file claiming to be a PNG must be one.
// image/jpg and image/pjpeg are taken for image/jpeg.
func MatchesDeclared(declared string, data []byte) bool {
	mt, _, err := mime.ParseMediaType(declared)
	if err != nil {
		return false
	}
	switch mt {
	case "image/jpg", "image/pjpeg":
		mt = JPEG
	}
	sniffed := Sniff(data)
	return sniffed != "" && mt == sniffed
}
