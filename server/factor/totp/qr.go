package totp

import (
	"image/color"
	"strconv"
	"strings"

	"github.com/boombuler/barcode/qr"
)

// quietZone is the light margin around a QR code, in modules, that
// scanners need to find it (ISO/IEC 18004 asks for four).
const quietZone = 4

// qrSVG returns the QR code of content (medium error correction: a
// smudged screen still scans, the code stays small) as a self-contained
// SVG document: a white square and one black path of the dark modules,
// each row's runs of dark modules merged into one rectangle. It has a
// viewBox and no width or height, so the page sizes it; crispEdges keeps
// scaled modules sharp; role="img" lets the page give it a name. It
// holds no script, style or reference to anything outside it.
func qrSVG(content string) (string, error) {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return "", err
	}
	bounds := code.Bounds()
	size := bounds.Dx() + 2*quietZone
	n := strconv.Itoa(size)
	var d strings.Builder
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; {
			if !dark(code.At(x, y)) {
				x++
				continue
			}
			start := x
			for x < bounds.Max.X && dark(code.At(x, y)) {
				x++
			}
			w := strconv.Itoa(x - start)
			d.WriteString("M" + strconv.Itoa(start-bounds.Min.X+quietZone) + " " + strconv.Itoa(y-bounds.Min.Y+quietZone))
			d.WriteString("h" + w + "v1h-" + w + "z")
		}
	}
	return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + n + ` ` + n + `" role="img" shape-rendering="crispEdges">` +
		`<rect width="` + n + `" height="` + n + `" fill="#fff"/>` +
		`<path fill="#000" d="` + d.String() + `"/></svg>`, nil
}

// dark reports whether a module's colour is dark.
func dark(c color.Color) bool {
	return color.GrayModel.Convert(c).(color.Gray).Y < 0x80
}

// QR returns the QR code of a key URI as the self-contained SVG document
// Enrollment.QR holds, for pages that show an enrollment again from its
// URI alone.
func QR(uri string) (string, error) { return qrSVG(uri) }
