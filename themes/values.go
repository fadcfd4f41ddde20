package themes

import (
	"fmt"
	"strconv"
	"strings"
)

// lengthBounds are each length token's limits in px; rem limits are the
// same at the browsers' default 16px. They keep a theme from making the
// form unusable (a 2px font, a card wider than any phone).
var lengthBounds = map[string][2]float64{
	"font-size":  {12, 24},
	"radius":     {0, 64},
	"space":      {0, 32},
	"card-width": {280, 960},
}

// Limits on the text of one value, checked before any parsing.
const (
	maxLengthText = 12
	maxFontText   = 200
	maxFontNames  = 10
	maxAssetID    = 60
)

// checkValue returns why v is not a valid value for d, or "".
func checkValue(d Def, v string) string {
	switch d.Kind {
	case KindColor:
		if _, err := ParseColor(v); err != nil {
			return "must be a colour as #rrggbb or #rgb"
		}
	case KindLength:
		return checkLength(d.Name, v)
	case KindFont:
		_, reason := parseFonts(v)
		return reason
	case KindWeight:
		if _, ok := weight(v); !ok {
			return "must be a font weight: 100, 200, … 900"
		}
	case KindAsset:
		if !validAssetID(v) {
			return fmt.Sprintf("must be an asset ID (ast_ and 1 to %d letters, digits, _ or -) or empty for none", maxAssetID)
		}
	default:
		return "has no known kind"
	}
	return ""
}

// normalizeValue returns the canonical form of a valid value.
func normalizeValue(d Def, v string) string {
	switch d.Kind {
	case KindColor:
		c, _ := ParseColor(v)
		return c.String()
	case KindLength:
		n, unit, _ := parseLength(v)
		return strconv.FormatFloat(n, 'f', -1, 64) + unit
	case KindFont:
		names, _ := parseFonts(v)
		return strings.Join(names, ", ")
	case KindWeight:
		w, _ := weight(v)
		return strconv.Itoa(w)
	}
	return v
}

// parseLength splits "16px" or "1.5REM" into a number and a lower-case
// unit. Only plain decimals are numbers: no sign, no exponent, no calc().
func parseLength(v string) (float64, string, bool) {
	if len(v) > maxLengthText {
		return 0, "", false
	}
	lower := strings.ToLower(v)
	var num, unit string
	switch {
	case strings.HasSuffix(lower, "px"):
		num, unit = lower[:len(lower)-2], "px"
	case strings.HasSuffix(lower, "rem"):
		num, unit = lower[:len(lower)-3], "rem"
	default:
		return 0, "", false
	}
	int_, frac, dot := strings.Cut(num, ".")
	if int_ == "" && frac == "" || dot && frac == "" || !digits(int_) || !digits(frac) {
		return 0, "", false
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, "", false
	}
	return n, unit, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func checkLength(name, v string) string {
	b := lengthBounds[name]
	n, unit, ok := parseLength(v)
	if !ok {
		return "must be a length: a number with px or rem, such as 8px or 0.5rem"
	}
	lo, hi := b[0], b[1]
	if unit == "rem" {
		lo, hi = lo/16, hi/16
	}
	if n < lo || n > hi {
		return fmt.Sprintf("must be from %g%s to %g%s", lo, unit, hi, unit)
	}
	return ""
}

// weight parses a font weight: 100 to 900, a multiple of 100.
func weight(v string) (int, bool) {
	if len(v) != 3 || !digits(v) {
		return 0, false
	}
	w, _ := strconv.Atoi(v)
	return w, w >= 100 && w <= 900 && w%100 == 0
}

// validAssetID reports whether v is "" or "ast_" and 1..60 of
// [A-Za-z0-9_-]. Whether the asset exists is the storage layer's check.
func validAssetID(v string) bool {
	if v == "" {
		return true
	}
	id, ok := strings.CutPrefix(v, "ast_")
	if !ok || len(id) < 1 || len(id) > maxAssetID {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
