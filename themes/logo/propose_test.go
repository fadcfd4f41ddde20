package logo

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/themes"
)

// checkProposals fails t unless Propose returned a passing light and
// dark proposal of colour overrides.
func checkProposals(t *testing.T, palette []themes.Color, ps []Proposal) {
	t.Helper()
	if len(ps) != 2 || ps[0].Name != "light" || ps[1].Name != "dark" {
		t.Fatalf("proposals %v, want light and dark", ps)
	}
	for _, p := range ps {
		base, _ := themes.Builtin(p.Name)
		merged := base.Merge(p.Tokens)
		if err := themes.AA(merged); err != nil {
			t.Errorf("palette %v, %s: %v", palette, p.Name, err)
		}
		if err := p.Tokens.Validate(); err != nil {
			t.Errorf("palette %v, %s: %v", palette, p.Name, err)
		}
		if len(p.Findings) == 0 || len(themes.Failures(p.Findings)) > 0 {
			t.Errorf("palette %v, %s: findings %v", palette, p.Name, p.Findings)
		}
		for k := range p.Tokens {
			if !strings.HasPrefix(k, "color-") {
				t.Errorf("%s overrides %s, not a colour", p.Name, k)
			}
		}
	}
}

func TestProposePassesAAForRandomPalettes(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 2026))
	for range 2000 {
		palette := make([]themes.Color, r.IntN(4))
		for i := range palette {
			palette[i] = themes.Color{R: uint8(r.UintN(256)), G: uint8(r.UintN(256)), B: uint8(r.UintN(256))}
		}
		checkProposals(t, palette, Propose(palette))
	}
}

func TestPropose(t *testing.T) {
	light, _ := themes.Builtin("light")
	dark, _ := themes.Builtin("dark")
	c := func(s string) themes.Color {
		v, err := themes.ParseColor(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name    string
		palette []themes.Color
		check   func(t *testing.T, light, dark themes.Tokens)
	}{
		{"proposes the built-in primary for a monochrome logo", nil, func(t *testing.T, l, d themes.Tokens) {
			if l["color-primary"] != light["color-primary"] || d["color-primary"] != dark["color-primary"] {
				t.Errorf("primary %s / %s", l["color-primary"], d["color-primary"])
			}
		}},
		{"keeps a brand colour that already passes in light", []themes.Color{c("#1a56db")}, func(t *testing.T, l, d themes.Tokens) {
			if l["color-primary"] != "#1a56db" || l["color-on-primary"] != "#ffffff" {
				t.Errorf("light %v", l)
			}
		}},
		{"darkens yellow for light and keeps its hue", []themes.Color{c("#ffd400")}, func(t *testing.T, l, d themes.Tokens) {
			p := c(l["color-primary"])
			if p.Luminance() >= c("#ffd400").Luminance() {
				t.Errorf("light primary %s is not darker", p)
			}
			if h, _, _ := p.HSL(); h < 45 || h > 55 {
				t.Errorf("light primary %s has hue %.0f, yellow's is 50", p, h)
			}
			if d["color-primary"] != "#ffd400" || d["color-on-primary"] != nearBlack.String() {
				t.Errorf("dark %v: yellow passes on dark as it is, under near-black text", d)
			}
		}},
		{"lightens navy for dark", []themes.Color{c("#1b2a4e")}, func(t *testing.T, l, d themes.Tokens) {
			if l["color-primary"] != "#1b2a4e" {
				t.Errorf("light primary %s", l["color-primary"])
			}
			if p := c(d["color-primary"]); p.Luminance() <= c("#1b2a4e").Luminance() {
				t.Errorf("dark primary %s is not lighter", p)
			}
		}},
		{"uses only the first colour of the palette", []themes.Color{c("#00897b"), c("#f58220")}, func(t *testing.T, l, d themes.Tokens) {
			if h, _, _ := c(l["color-primary"]).HSL(); h < 170 || h > 180 {
				t.Errorf("light primary %s is not teal", l["color-primary"])
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := Propose(tt.palette)
			checkProposals(t, tt.palette, ps)
			tt.check(t, ps[0].Tokens, ps[1].Tokens)
		})
	}
}

// report is the golden text of one sample logo: what Read found and both
// proposals with every contrast pair.
func report(img Image) string {
	var b strings.Builder
	fmt.Fprintf(&b, "type: %s\nsize: %d×%d\ntone: %s\npalette: %s\n", img.ContentType, img.Width, img.Height, img.Tone, hexes(img.Palette))
	for _, p := range Propose(img.Palette) {
		fmt.Fprintf(&b, "\n%s:\n", p.Name)
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range p.Tokens {
				if !yield(k) {
					return
				}
			}
		}) {
			fmt.Fprintf(&b, "  %-17s %s\n", k, p.Tokens[k])
		}
		for _, f := range p.Findings {
			fmt.Fprintf(&b, "  %5.2f:1 ≥ %g  %s on %s\n", f.Ratio, f.Min, f.Foreground, f.Background)
		}
	}
	return b.String()
}

func TestPaletteGolden(t *testing.T) {
	for _, name := range logos(t) {
		t.Run(name, func(t *testing.T) {
			img, err := Read(sample(t, name))
			if err != nil {
				t.Fatal(err)
			}
			checkProposals(t, img.Palette, Propose(img.Palette))
			checkGolden(t, filepath.Join("testdata", name+".palette.golden"), []byte(report(img)))
		})
	}
}
