package logo

import (
	"fmt"

	"github.com/lintel-id/lintel/themes"
)

// Proposal is a set of token overrides derived from a logo for one
// built-in theme.
type Proposal struct {
	// Name is the built-in theme the overrides apply to: "light", "dark".
	Name string
	// Tokens are colour overrides on top of themes.Builtin(Name):
	// color-primary, color-on-primary, color-link and color-focus.
	Tokens themes.Tokens
	// Findings are themes.Check of the built-in merged with Tokens;
	// every one passes.
	Findings []themes.Finding
}

// Minimum contrast ratios of WCAG 2.2 AA (1.4.3 text, 1.4.11 UI).
const (
	minText = 4.5
	minUI   = 3
)

// nearBlack is the dark text colour on a light primary: softer than pure
// black, still 4.5:1 on anything at least as light as #767676.
var nearBlack = themes.Color{R: 0x11, G: 0x11, B: 0x11}

// Propose derives light and dark token overrides from a palette (as Read
// returns it), in that order. The brand colour, the palette's first, is
// moved in lightness only (hue and saturation kept, so it stays
// recognisable) by the least amount that meets WCAG 2.2 AA:
//
//   - color-primary: 4.5:1 on the theme's surface (so also 3:1 as a
//     component boundary);
//   - color-on-primary: white or near-black, whichever contrasts more
//     and passes 4.5:1 on it;
//   - color-link: the primary, adjusted further if needed to reach 4.5:1
//     on the page background too;
//   - color-focus: 3:1 on both surface and background.
//
// An empty palette (a monochrome logo) proposes the built-in's own
// colours. Every proposal passes themes.AA; should a derivation ever
// fail, that theme falls back to its built-in colours rather than
// propose an inaccessible one.
func Propose(palette []themes.Color) []Proposal {
	return []Proposal{propose("light", palette), propose("dark", palette)}
}

// propose derives the overrides for one built-in theme.
func propose(name string, palette []themes.Color) Proposal {
	base, ok := themes.Builtin(name)
	if !ok {
		panic(fmt.Sprintf("logo: no built-in theme %q", name)) // a build defect: the names are constants of this file
	}
	fallback := overrides(base, nil)
	tokens := fallback
	if len(palette) > 0 {
		if t, ok := derive(base, palette[0]); ok {
			tokens = t
		}
	}
	merged := base.Merge(tokens)
	if themes.AA(merged) != nil {
		tokens, merged = fallback, base.Merge(fallback)
	}
	return Proposal{Name: name, Tokens: tokens, Findings: themes.Check(merged)}
}

// overrides returns the proposal's tokens with their built-in values,
// replaced by the entries of with.
func overrides(base, with themes.Tokens) themes.Tokens {
	t := themes.Tokens{}
	for _, k := range []string{"color-primary", "color-on-primary", "color-link", "color-focus"} {
		t[k] = base[k]
	}
	return t.Merge(with)
}

// derive computes the overrides from the brand colour; false when a
// colour cannot reach its minimum (or the built-in is unreadable).
func derive(base themes.Tokens, brand themes.Color) (themes.Tokens, bool) {
	surface, err1 := themes.ParseColor(base["color-surface"])
	background, err2 := themes.ParseColor(base["color-background"])
	if err1 != nil || err2 != nil {
		return nil, false
	}
	primary, ok1 := fit(brand, minText, surface)
	link, ok2 := fit(primary, minText, surface, background)
	focus, ok3 := fit(brand, minUI, surface, background)
	if !ok1 || !ok2 || !ok3 {
		return nil, false
	}
	return overrides(base, themes.Tokens{
		"color-primary":    primary.String(),
		"color-on-primary": onColor(primary).String(),
		"color-link":       link.String(),
		"color-focus":      focus.String(),
	}), true
}

// fit returns c, its lightness adjusted until it has at least min
// contrast on every backdrop, adjusting against the worst one each time.
// Both built-ins have surface and background on the same side of the
// text, so one or two rounds suffice; false if no lightness fits.
func fit(c themes.Color, min float64, backdrops ...themes.Color) (themes.Color, bool) {
	for round := 0; ; round++ {
		worst := backdrops[0]
		for _, b := range backdrops[1:] {
			if themes.Contrast(c, b) < themes.Contrast(c, worst) {
				worst = b
			}
		}
		if themes.Contrast(c, worst) >= min {
			return c, true
		}
		var ok bool
		if c, ok = themes.Adjust(c, worst, min); !ok || round == 4 {
			return c, false
		}
	}
}

// onColor returns white or near-black for text on bg: the one of higher
// contrast if it reaches 4.5:1, else the other if it does, else black
// (which always does where both fail).
func onColor(bg themes.Color) themes.Color {
	white := themes.Color{R: 0xff, G: 0xff, B: 0xff}
	first, second := white, nearBlack
	if themes.Contrast(nearBlack, bg) > themes.Contrast(white, bg) {
		first, second = nearBlack, white
	}
	for _, c := range []themes.Color{first, second} {
		if themes.Contrast(c, bg) >= minText {
			return c
		}
	}
	return themes.Color{}
}
