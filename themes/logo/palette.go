package logo

import (
	"image"
	"image/color"
	"math"
	"slices"

	"github.com/lintel-id/lintel/themes"
)

const (
	// sampleSide bounds the grid a raster is sampled on.
	sampleSide = 128
	// minAlpha is the opacity under which a pixel is background.
	minAlpha = 128
	// binStep is the OKLab size of the bins pixels are counted in before
	// clustering: about one just-noticeable difference.
	binStep = 0.02
	// minRasterShare drops clusters of anti-aliasing and JPEG noise.
	minRasterShare = 0.03
	// minBrandShare is the share of visible pixels that must be colourful
	// before a raster logo has brand colours at all: a black logo saved as
	// JPEG has a few tinted pixels, and they are not its brand.
	minBrandShare = 0.005
)

// rasterPalette extracts the brand colours and tone of a decoded image.
// It samples at most sampleSide × sampleSide pixels at cell centres (point
// sampling, not averaging, keeps flat colours exact), skips transparent
// ones, and clusters the colourful rest in OKLab.
func rasterPalette(img image.Image) ([]themes.Color, Tone) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	sw, sh := min(w, sampleSide), min(h, sampleSide)
	type bin struct {
		lab     lab
		r, g, b float64
		n       float64
	}
	bins := map[[3]int]*bin{}
	var keys [][3]int
	var tally toneTally
	var colourful float64
	for j := 0; j < sh; j++ {
		y := b.Min.Y + (2*j+1)*h/(2*sh)
		for i := 0; i < sw; i++ {
			x := b.Min.X + (2*i+1)*w/(2*sw)
			p := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if p.A < minAlpha {
				continue
			}
			c := themes.Color{R: p.R, G: p.G, B: p.B}
			tally.add(c, 1)
			l := toLab(c)
			if neutral(l) {
				continue
			}
			colourful++
			k := [3]int{quantize(l.L), quantize(l.A), quantize(l.B)}
			e := bins[k]
			if e == nil {
				e = &bin{}
				bins[k] = e
				keys = append(keys, k)
			}
			e.lab.L += l.L
			e.lab.A += l.A
			e.lab.B += l.B
			e.r += float64(p.R)
			e.g += float64(p.G)
			e.b += float64(p.B)
			e.n++
		}
	}
	if colourful == 0 || colourful < minBrandShare*tally.total {
		return nil, tally.tone()
	}
	// Sorted bins, so the clustering never depends on map order.
	slices.SortFunc(keys, func(a, b [3]int) int {
		for i := range a {
			if a[i] != b[i] {
				return a[i] - b[i]
			}
		}
		return 0
	})
	points := make([]point, 0, len(keys))
	for _, k := range keys {
		e := bins[k]
		points = append(points, point{
			c:     lab{e.lab.L / e.n, e.lab.A / e.n, e.lab.B / e.n},
			color: themes.Color{R: round8(e.r / e.n), G: round8(e.g / e.n), B: round8(e.b / e.n)},
			w:     e.n,
		})
	}
	return dominant(points, minRasterShare), tally.tone()
}

// quantize maps an OKLab coordinate to its bin index.
func quantize(v float64) int { return int(math.Floor(v / binStep)) }

// round8 rounds a mean channel value back to 8 bits.
func round8(v float64) uint8 { return uint8(math.Round(min(255, max(0, v)))) }
