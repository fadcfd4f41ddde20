package themes

import (
	"fmt"
	"strings"
	"unicode"
)

// genericFamilies are the CSS generic families and the system-font
// keywords that browsers accept only unquoted.
var genericFamilies = map[string]bool{
	"serif": true, "sans-serif": true, "monospace": true, "cursive": true,
	"fantasy": true, "system-ui": true, "ui-serif": true, "ui-sans-serif": true,
	"ui-monospace": true, "ui-rounded": true, "math": true, "emoji": true,
	"fangsong": true, "-apple-system": true, "blinkmacsystemfont": true,
}

// parseFonts splits a font-family list and returns each family in the
// form CSS gets: generic keywords unquoted in lower case (except
// BlinkMacSystemFont, written as browsers document it), every other
// name in double quotes with its spaces collapsed. A name is letters,
// digits, spaces and hyphens, so no quote, backslash, comma or bracket
// can reach the stylesheet. The reason is "" when v is valid.
func parseFonts(v string) ([]string, string) {
	if len(v) > maxFontText {
		return nil, fmt.Sprintf("must be at most %d bytes", maxFontText)
	}
	parts := strings.Split(v, ",")
	if len(parts) > maxFontNames {
		return nil, fmt.Sprintf("must name at most %d font families", maxFontNames)
	}
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		quoted := len(p) >= 2 && p[0] == '"' && p[len(p)-1] == '"'
		if quoted {
			p = p[1 : len(p)-1]
		}
		name := strings.Join(strings.Fields(p), " ")
		if name == "" || !familyName(name) {
			return nil, "must be a comma-separated list of font family names (letters, digits, spaces and hyphens, optionally in double quotes) or generic families such as sans-serif"
		}
		lower := strings.ToLower(name)
		switch {
		case quoted || !genericFamilies[lower]:
			out = append(out, `"`+name+`"`)
		case lower == "blinkmacsystemfont":
			out = append(out, "BlinkMacSystemFont")
		default:
			out = append(out, lower)
		}
	}
	return out, ""
}

func familyName(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsMark(r) && !unicode.IsDigit(r) && r != ' ' && r != '-' {
			return false
		}
	}
	return true
}
