package logo

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/themes"
)

// seedFiles adds every sample and hostile file to a fuzz corpus.
func seedFiles(f *testing.F, patterns ...string) {
	for _, pattern := range patterns {
		files, _ := filepath.Glob(filepath.Join("testdata", pattern))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// checkSafeSVG fails t when a sanitised SVG holds an element or attribute
// the whitelist does not allow, an event handler, a script element or an
// href that leaves the document. It parses the output rather than
// searching it: text such as "turn on" is harmless.
func checkSafeSVG(t *testing.T, out []byte) {
	t.Helper()
	if bytes.Contains(bytes.ToLower(out), []byte("<script")) {
		t.Fatalf("output has a script element: %s", out)
	}
	d := xml.NewDecoder(bytes.NewReader(out))
	d.Strict = true
	for {
		tok, err := d.Token()
		if err != nil {
			return // EOF; a syntax error shows as a failed fixed point
		}
		switch t0 := tok.(type) {
		case xml.StartElement:
			if !svgElements[t0.Name.Local] || t0.Name.Space != svgNS {
				t.Fatalf("output keeps element %v: %s", t0.Name, out)
			}
			for _, a := range t0.Attr {
				name := a.Name.Local
				switch {
				case a.Name.Space == "" && name == "xmlns":
				case a.Name.Space != "" || strings.HasPrefix(strings.ToLower(name), "on"):
					t.Fatalf("output keeps attribute %v: %s", a.Name, out)
				case name == "href" && !localRef(a.Value):
					t.Fatalf("output keeps href %q: %s", a.Value, out)
				case name != "href" && name != "style" && (!attrAllowed(name) || !safeValue(a.Value)):
					t.Fatalf("output keeps %s=%q: %s", name, a.Value, out)
				}
			}
		case xml.Directive, xml.ProcInst, xml.Comment:
			t.Fatalf("output keeps %T: %s", tok, out)
		}
	}
}

func FuzzSanitizeSVG(f *testing.F) {
	seedFiles(f, "*.svg", "hostile/*.svg")
	f.Add([]byte(`<svg><text>turn on &amp; off</text><rect style="fill:url(#a)"/></svg>`))
	f.Add([]byte(`<svg><style>.a{fill:red}</style><g class="a"><use href="#b"/></g><g id="b"/></svg>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := SanitizeSVG(in)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrUnsafe) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		checkSafeSVG(t, out)
		again, err := SanitizeSVG(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not a fixed point (%v):\n%s\n%s", err, out, again)
		}
	})
}

func FuzzRead(f *testing.F) {
	seedFiles(f, "*.png", "*.jpg", "*.svg", "hostile/*.svg")
	f.Add(pngHeader(1, 1))
	f.Add(pngHeader(100000, 100000))
	f.Fuzz(func(t *testing.T, in []byte) {
		img, err := Read(in)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrUnsafe) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if img.ContentType != Sniff(in) {
			t.Fatalf("content type %q, sniffed %q", img.ContentType, Sniff(in))
		}
		if len(img.Palette) > maxPalette {
			t.Fatalf("palette of %d colours", len(img.Palette))
		}
		if img.ContentType == SVG {
			checkSafeSVG(t, img.Data)
		}
		for _, p := range Propose(img.Palette) {
			if len(p.Findings) == 0 {
				t.Fatalf("%s proposal without findings", p.Name)
			}
		}
	})
}

func FuzzPropose(f *testing.F) {
	f.Add([]byte{0xff, 0xd4, 0x00})
	f.Add([]byte{0x1b, 0x2a, 0x4e, 0xf5, 0x82, 0x20})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var palette []themes.Color
		for i := 0; i+2 < len(b) && len(palette) < maxPalette; i += 3 {
			palette = append(palette, themes.Color{R: b[i], G: b[i+1], B: b[i+2]})
		}
		checkProposals(t, palette, Propose(palette))
	})
}
