package logo

import "github.com/lintel-id/lintel/themes"

// Tone says how a logo reads against a backdrop, so a page can tell when
// the dark theme needs a light plate behind the logo (or the light theme a
// dark one).
type Tone int

const (
	// ToneMixed is a logo with neither dark nor light ink dominating.
	ToneMixed Tone = iota
	// ToneDark is a mostly dark logo: it vanishes on a dark surface.
	ToneDark
	// ToneLight is a mostly light logo: it vanishes on a light surface.
	ToneLight
)

// String returns "mixed", "dark" or "light".
func (t Tone) String() string {
	switch t {
	case ToneDark:
		return "dark"
	case ToneLight:
		return "light"
	}
	return "mixed"
}

// Luminance bounds of dark and light ink: below darkY a colour has less
// than 3:1 against black, above lightY less than 3:1 against white.
const (
	darkY  = 0.10
	lightY = 0.30
	// toneShare is the share of the visible weight one kind of ink needs
	// to set the tone.
	toneShare = 0.6
)

// toneTally accumulates weighted visible colours into a Tone.
type toneTally struct{ dark, light, total float64 }

// add counts a visible colour with weight w.
func (t *toneTally) add(c themes.Color, w float64) {
	y := c.Luminance()
	switch {
	case y < darkY:
		t.dark += w
	case y > lightY:
		t.light += w
	}
	t.total += w
}

// tone returns the Tone of what was counted; nothing counted is ToneMixed.
func (t *toneTally) tone() Tone {
	switch {
	case t.total == 0:
		return ToneMixed
	case t.dark >= toneShare*t.total:
		return ToneDark
	case t.light >= toneShare*t.total:
		return ToneLight
	}
	return ToneMixed
}
