package logo

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// shape reports whether a point (in pixels) is inside.
type shape func(x, y float64) bool

func rect(x0, y0, x1, y1 float64) shape {
	return func(x, y float64) bool { return x >= x0 && x < x1 && y >= y0 && y < y1 }
}

func disc(cx, cy, r float64) shape {
	return func(x, y float64) bool { return math.Hypot(x-cx, y-cy) < r }
}

func ring(cx, cy, r0, r1 float64) shape {
	return func(x, y float64) bool { d := math.Hypot(x-cx, y-cy); return d >= r0 && d < r1 }
}

// layer is a colour painted where any of its shapes is.
type layer struct {
	c      color.NRGBA
	shapes []shape
}

// draw renders layers over a background with 4×4 supersampling, so edges
// are anti-aliased like an exported logo's.
func draw(w, h int, bg color.NRGBA, layers ...layer) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var r, g, b, a float64
			for sy := 0; sy < 4; sy++ {
				for sx := 0; sx < 4; sx++ {
					px, py := float64(x)+(float64(sx)+0.5)/4, float64(y)+(float64(sy)+0.5)/4
					c := bg
					for _, l := range layers {
						for _, s := range l.shapes {
							if s(px, py) {
								c = l.c
							}
						}
					}
					fa := float64(c.A) / 255
					r, g, b, a = r+float64(c.R)*fa, g+float64(c.G)*fa, b+float64(c.B)*fa, a+fa
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(r/a + 0.5), uint8(g/a + 0.5), uint8(b/a + 0.5), uint8(a/16*255 + 0.5)})
		}
	}
	return img
}

// wordmark is five blocky letters, "LOGOS"-ish, at x from 10.
func wordmark(h float64) []shape {
	var s []shape
	for i := range 5 {
		x := 10 + float64(i)*38
		s = append(s, rect(x, 10, x+8, h-10), rect(x, h-18, x+28, h-10))
		if i%2 == 1 {
			s = append(s, rect(x+20, 10, x+28, h-10), rect(x, 10, x+28, 18))
		}
	}
	return s
}

func hex(v uint32, a uint8) color.NRGBA {
	return color.NRGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), a}
}

// samples draws the raster sample logos, by file name.
func samples() map[string]image.Image {
	white, clear := hex(0xffffff, 255), color.NRGBA{}
	gradient := image.NewNRGBA(image.Rect(0, 0, 160, 100))
	for y := range 100 {
		for x := range 160 {
			// A sunset: violet to orange, a darker band, deterministic
			// grain, the kind of photo a logo should not be but may.
			t := float64(x) / 159
			grain := float64((x*7919+y*104729)%23) - 11
			band := 1 - 0.35*math.Exp(-math.Pow(float64(y-70)/12, 2))
			gradient.SetNRGBA(x, y, color.NRGBA{
				uint8(min(255, max(0, (120+t*125)*band+grain))),
				uint8(min(255, max(0, (40+t*100)*band+grain))),
				uint8(min(255, max(0, (160-t*130)*band+grain))),
				255,
			})
		}
	}
	return map[string]image.Image{
		"blue-wordmark.png": draw(200, 60, white, layer{hex(0x1a56db, 255), wordmark(60)}),
		"orange-teal.png": draw(120, 120, clear,
			layer{hex(0xf58220, 255), []shape{disc(60, 60, 50)}},
			layer{hex(0x00897b, 255), []shape{ring(60, 60, 22, 34), rect(54, 10, 66, 110)}}),
		"yellow.png":     draw(100, 100, clear, layer{hex(0xffd400, 255), []shape{disc(50, 50, 45)}}, layer{hex(0x222222, 255), []shape{disc(35, 40, 6), disc(65, 40, 6), rect(30, 65, 70, 72)}}),
		"navy.png":       draw(200, 60, clear, layer{hex(0x1b2a4e, 255), wordmark(60)}),
		"mono-black.png": draw(100, 100, clear, layer{hex(0x000000, 255), []shape{ring(50, 50, 25, 45), rect(45, 5, 55, 95)}}),
		"gradient.jpg":   gradient,
	}
}

// TestSamplesAreGenerated (re)writes the raster sample logos under
// -update, and checks they stay small enough to commit.
func TestSamplesAreGenerated(t *testing.T) {
	for name, img := range samples() {
		path := filepath.Join("testdata", name)
		if *update {
			var b bytes.Buffer
			var err error
			if filepath.Ext(name) == ".jpg" {
				err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 85})
			} else {
				err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, img)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to generate it)", err)
		}
		if fi.Size() > 20<<10 {
			t.Errorf("%s is %d bytes, more than 20 KiB", name, fi.Size())
		}
	}
}
