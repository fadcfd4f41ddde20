package core

import (
	"strconv"
	"strings"

	"github.com/lintel-id/lintel/widget/core/qr"
)

// qrSVG draws an authenticator app's key URI as the hosted pages do
// (server/factor/totp's QR, as edge/pages shows it): the QR code at
// level M with a quiet zone of four modules, as an SVG element of a
// white square and one black path, each row's runs of dark modules one
// rectangle, hidden from assistive technology (the figure around it has
// the name). It returns nil when the URI is too long for a QR code.
func qrSVG(uri string) *Node {
	const quietZone = 4
	code, err := qr.Encode(uri, qr.M)
	if err != nil {
		return nil
	}
	size := code.Size()
	n := strconv.Itoa(size + 2*quietZone)
	var d strings.Builder
	for y := 0; y < size; y++ {
		for x := 0; x < size; {
			if !code.Black(x, y) {
				x++
				continue
			}
			start := x
			for x < size && code.Black(x, y) {
				x++
			}
			w := strconv.Itoa(x - start)
			d.WriteString("M" + strconv.Itoa(start+quietZone) + " " + strconv.Itoa(y+quietZone) + "h" + w + "v1h-" + w + "z")
		}
	}
	return El("svg", "xmlns", "http://www.w3.org/2000/svg", "viewBox", "0 0 "+n+" "+n,
		"aria-hidden", "true", "focusable", "false", "shape-rendering", "crispEdges").Append(
		El("rect", "width", n, "height", n, "fill", "#fff"),
		El("path", "fill", "#000", "d", d.String()))
}
