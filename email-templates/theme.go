package emailtemplates

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Theme is what an email shows of the brand's design tokens: plain
// values, already type-checked by package themes (colours "#rrggbb", a
// font family list, a radius "6px"). Templates see it as .Theme (see
// the package doc and README.md).
type Theme struct {
	// Background is the page behind the card, and the code box.
	Background string
	// Surface is the card.
	Surface string
	// Border is the card's border.
	Border string
	// Text is body text and headings.
	Text string
	// Muted is secondary text: the brand line, notes, the footer.
	Muted string
	// Accent is the button's background.
	Accent string
	// OnAccent is the button's text.
	OnAccent string
	// Link is the colour of the link shown as text to copy.
	Link string
	// Font is a CSS font-family list: `Arial, Helvetica, sans-serif`,
	// `"Helvetica Neue", Arial, sans-serif`.
	Font string
	// Radius is the corner radius of the card, the button and the code
	// box, a CSS length in px from "0px" to "32px".
	Radius string
	// Logo is the absolute https URL of the brand's logo (PNG or JPEG),
	// shown at the top of the card in place of the brand's name; ""
	// for none.
	Logo string
	// LogoAlt is the logo's alt text: the brand's name.
	LogoAlt string
	// LogoWidth and LogoHeight are the logo's size in pixels, both 0
	// when unknown. Emails show it at most 48 px high and 200 px wide,
	// keeping its proportions; without a size, 48 px high.
	LogoWidth, LogoHeight int
	// Dark marks a dark theme: the emails declare the dark colour
	// scheme (<meta name="color-scheme" content="dark"> and
	// "supported-color-schemes"), so that clients do not invert it.
	Dark bool
}

// ErrTheme is returned (wrapped) by Theme.Validate for a value that
// cannot be put in an email's styles as it is.
var ErrTheme = errors.New("bad email theme")

// Bounds of the logo as shown, in CSS pixels.
const (
	logoMaxHeight = 48
	logoMaxWidth  = 200
	// maxLogoSide bounds LogoWidth and LogoHeight: larger is no
	// logo a brand would send.
	maxLogoSide = 10000
	// maxLogoAltLen bounds LogoAlt, in bytes.
	maxLogoAltLen = 200
	// maxFontLen bounds Font, in bytes.
	maxFontLen = 200
	// maxRadius bounds Radius, in px.
	maxRadius = 32
)

// DefaultTheme returns the neutral theme of the built-in templates:
// zinc greys, near-black accent, Arial. It renders the goldens in
// testdata/ byte for byte as they were before themes.
func DefaultTheme() Theme {
	return Theme{
		Background: "#f4f4f5",
		Surface:    "#ffffff",
		Border:     "#e4e4e7",
		Text:       "#18181b",
		Muted:      "#52525b",
		Accent:     "#18181b",
		OnAccent:   "#ffffff",
		Link:       "#18181b",
		Font:       "Arial,Helvetica,sans-serif",
		Radius:     "6px",
	}
}

// Validate checks every value, defensively (package themes checks
// tokens first): colours must be "#rrggbb", Font a list of family names
// made of letters, digits, spaces and hyphens (quoted with " or ' when
// they hold spaces), Radius "0px" to "32px", Logo "" or an absolute
// https URL of URL-safe characters, LogoAlt one line of at most 200
// bytes, the logo's size both 0 or both from 1 to 10000. The error
// wraps ErrTheme and lists every bad field.
func (t Theme) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("emailtemplates: %w: %s %s", ErrTheme, field, fmt.Sprintf(format, args...)))
	}
	for _, c := range t.colours() {
		if !isColour(*c.v) {
			bad(c.name, "%q is not a #rrggbb colour", *c.v)
		}
	}
	if !isFontList(t.Font) {
		bad("Font", "%q is not a list of font family names", t.Font)
	}
	if !isRadius(t.Radius) {
		bad("Radius", "%q is not a length from 0px to %dpx", t.Radius, maxRadius)
	}
	if t.Logo != "" && !isLogoURL(t.Logo) {
		bad("Logo", "is not an absolute https URL of URL-safe characters")
	}
	if !isOneLine(t.LogoAlt) {
		bad("LogoAlt", "must be one line of valid UTF-8 of at most %d bytes", maxLogoAltLen)
	}
	if !isLogoSize(t.LogoWidth, t.LogoHeight) {
		bad("LogoWidth and LogoHeight", "must both be 0 or both from 1 to %d", maxLogoSide)
	}
	return errors.Join(errs...)
}

// namedColour is one colour field of a Theme, by name.
type namedColour struct {
	name string
	v    *string
}

// colours lists t's colour fields, in declaration order.
func (t *Theme) colours() []namedColour {
	return []namedColour{
		{"Background", &t.Background}, {"Surface", &t.Surface}, {"Border", &t.Border}, {"Text", &t.Text},
		{"Muted", &t.Muted}, {"Accent", &t.Accent}, {"OnAccent", &t.OnAccent}, {"Link", &t.Link},
	}
}

// themeData is what templates see as .Theme: a Theme whose values are
// valid (invalid ones replaced by DefaultTheme's), with the logo's size
// as shown and the font list typed as CSS, so that html/template keeps
// the quotes of a family name such as "Helvetica Neue".
type themeData struct {
	Background, Surface, Border, Text, Muted, Accent, OnAccent, Link string
	Font                                                             htmltemplate.CSS
	Radius                                                           string
	Logo, LogoAlt                                                    string
	// LogoWidth and LogoHeight are the size shown, in px: LogoWidth 0
	// when the logo's size is unknown (only the height is set).
	LogoWidth, LogoHeight int
	Dark                  bool
}

// data returns t as templates see it. A value Validate refuses is
// replaced by DefaultTheme's (a bad Logo by none), field by field, so
// that a bad token never reaches a style and never stops an email.
func (t Theme) data() themeData {
	def := DefaultTheme()
	for i, c := range t.colours() {
		if !isColour(*c.v) {
			*c.v = *def.colours()[i].v
		}
	}
	if !isFontList(t.Font) {
		t.Font = def.Font
	}
	if !isRadius(t.Radius) {
		t.Radius = def.Radius
	}
	if !isLogoURL(t.Logo) {
		t.Logo = ""
	}
	if !isOneLine(t.LogoAlt) {
		t.LogoAlt = cut(clean(t.LogoAlt), maxLogoAltLen)
	}
	w, h := logoSize(t.LogoWidth, t.LogoHeight)
	return themeData{
		Background: t.Background, Surface: t.Surface, Border: t.Border, Text: t.Text,
		Muted: t.Muted, Accent: t.Accent, OnAccent: t.OnAccent, Link: t.Link,
		Font:   htmltemplate.CSS(t.Font), // checked by isFontList: safe in a style attribute
		Radius: t.Radius, Logo: t.Logo, LogoAlt: t.LogoAlt,
		LogoWidth: w, LogoHeight: h, Dark: t.Dark,
	}
}

// logoSize returns the size a logo of w×h px is shown at: at most
// logoMaxHeight high and logoMaxWidth wide, proportions kept; an
// unknown (or invalid) size gives 0×logoMaxHeight.
func logoSize(w, h int) (int, int) {
	if !isLogoSize(w, h) || w == 0 {
		return 0, logoMaxHeight
	}
	if h > logoMaxHeight {
		w, h = max(1, (w*logoMaxHeight+h/2)/h), logoMaxHeight
	}
	if w > logoMaxWidth {
		w, h = logoMaxWidth, max(1, (h*logoMaxWidth+w/2)/w)
	}
	return w, h
}

func isColour(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	for i := 1; i < 7; i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// isFontList accepts a comma-separated list of family names, each
// either words of [A-Za-z0-9-] separated by single spaces, or such
// words between matching quotes. Nothing in it can end the style
// attribute or the declaration.
func isFontList(s string) bool {
	if s == "" || len(s) > maxFontLen {
		return false
	}
	for _, family := range strings.Split(s, ",") {
		family = strings.TrimSpace(family)
		if n := len(family); n >= 2 && (family[0] == '"' || family[0] == '\'') && family[n-1] == family[0] {
			family = family[1 : n-1]
		}
		words := strings.Split(family, " ")
		for _, w := range words {
			if w == "" || strings.ContainsFunc(w, func(r rune) bool {
				return !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-'))
			}) {
				return false
			}
		}
	}
	return true
}

// isRadius accepts "0px" to "32px", without leading zeros.
func isRadius(s string) bool {
	n, ok := strings.CutSuffix(s, "px")
	if !ok || n == "" || len(n) > 2 || (len(n) == 2 && n[0] == '0') || strings.ContainsFunc(n, func(r rune) bool { return r < '0' || r > '9' }) {
		return false
	}
	v, err := strconv.Atoi(n)
	return err == nil && v <= maxRadius
}

// isLogoURL accepts what checkLink accepts, https only.
func isLogoURL(s string) bool {
	if len(s) > 2048 || !strings.HasPrefix(s, "https://") || checkLink(s) != nil {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https"
}

// cut returns at most n bytes of s, cut at a character boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// isOneLine accepts a short text that clean leaves as it is.
func isOneLine(s string) bool {
	return len(s) <= maxLogoAltLen && utf8.ValidString(s) && clean(s) == s
}

func isLogoSize(w, h int) bool {
	return (w == 0 && h == 0) || (w >= 1 && w <= maxLogoSide && h >= 1 && h <= maxLogoSide)
}
