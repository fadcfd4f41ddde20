package themes

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Finding is the contrast of one pair of colour tokens as the hosted
// pages and the widget use them (edge/assets/components.css, page.css).
type Finding struct {
	// Foreground and Background are token names: "color-text",
	// "color-surface".
	Foreground, Background string
	// Ratio is the WCAG contrast ratio, rounded down to 2 decimals so
	// that a pair below Min never shows as reaching it.
	Ratio float64
	// Min is what WCAG 2.2 AA asks: 4.5 for text, 3 for user interface
	// components and focus indicators.
	Min float64
	// Use is "text" or "ui".
	Use string
	// Why says where the pair appears: "body text on cards".
	Why string
	// Locale is "" for the base tokens, else the locale whose overrides
	// give this pair.
	Locale string
}

// Pass reports whether the pair reaches its minimum.
func (f Finding) Pass() bool { return f.Ratio >= f.Min }

// pair is one foreground/background combination the stylesheets use.
type pair struct {
	fg, bg, use, why string
	min              float64
}

// Minimum contrast ratios of WCAG 2.2 AA: 1.4.3 for text, 1.4.11 for
// component boundaries and focus indicators.
const (
	minText = 4.5
	minUI   = 3
)

// pairs are the combinations in edge/assets/components.css and page.css.
var pairs = []pair{
	{"color-text", "color-surface", "text", "body text on cards and inputs", minText},
	{"color-text", "color-background", "text", "text on the page background", minText},
	{"color-text-muted", "color-surface", "text", "help and secondary text on cards", minText},
	{"color-text-muted", "color-background", "text", "the footer and brand name on the page background", minText},
	{"color-on-primary", "color-primary", "text", "labels of primary buttons", minText},
	{"color-primary", "color-surface", "text", "secondary buttons and links in the primary colour", minText},
	{"color-link", "color-surface", "text", "links on cards", minText},
	{"color-error", "color-surface", "text", "error messages", minText},
	{"color-warning", "color-surface", "text", "warnings", minText},
	{"color-info", "color-surface", "text", "information messages", minText},
	{"color-success", "color-surface", "text", "success messages", minText},
	{"color-border", "color-surface", "ui", "input boundaries", minUI},
	{"color-focus", "color-background", "ui", "the focus ring on the page background", minUI},
	{"color-focus", "color-surface", "ui", "the focus ring on cards", minUI},
	{"color-primary", "color-surface", "ui", "the primary button's boundary", minUI},
}

// Check returns every pair's contrast, passing or not, in a stable
// order. A pair is left out when t lacks one of its colours or holds an
// invalid one (Validate reports those).
func Check(t Tokens) []Finding { return check(t, "", nil) }

// check computes the pairs of t, labelled with locale; when only is
// non-nil, just the pairs that involve a token in only.
func check(t Tokens, locale string, only map[string]bool) []Finding {
	var out []Finding
	for _, p := range pairs {
		if only != nil && !only[p.fg] && !only[p.bg] {
			continue
		}
		fg, err1 := ParseColor(t[p.fg])
		bg, err2 := ParseColor(t[p.bg])
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, Finding{
			Foreground: p.fg, Background: p.bg,
			Ratio: math.Floor(Contrast(fg, bg)*100) / 100,
			Min:   p.min, Use: p.use, Why: p.why, Locale: locale,
		})
	}
	return out
}

// Failures returns the findings below their minimum.
func Failures(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if !f.Pass() {
			out = append(out, f)
		}
	}
	return out
}

// ErrContrast is wrapped by AA and FailureError when a pair does not
// reach its minimum.
var ErrContrast = errors.New("does not meet WCAG 2.2 AA contrast")

// AA returns nil when every pair of t meets WCAG 2.2 AA, else an error
// wrapping ErrContrast that names each failing pair with its ratio.
func AA(t Tokens) error { return FailureError(Check(t)) }

// FailureError returns nil when no finding fails, else an error
// wrapping ErrContrast that names each failing pair, as AA does; it
// serves findings from CheckLayers as well.
func FailureError(fs []Finding) error {
	bad := Failures(fs)
	if len(bad) == 0 {
		return nil
	}
	msgs := make([]string, len(bad))
	for i, f := range bad {
		where := ""
		if f.Locale != "" {
			where = " in locale " + f.Locale
		}
		msgs[i] = fmt.Sprintf("%s on %s is %.2f:1, needs %g:1 (%s)%s", f.Foreground, f.Background, f.Ratio, f.Min, f.Why, where)
	}
	return fmt.Errorf("%w: %s", ErrContrast, strings.Join(msgs, "; "))
}
