package emailtemplates

import (
	"math"
	texttemplate "text/template"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// funcMap returns the functions the templates of language tag may call:
//
//	plural n   the CLDR cardinal plural category of the integer n in the
//	           template's language: "zero", "one", "two", "few", "many"
//	           or "other" (English: "one" for 1, "other" otherwise;
//	           Arabic uses all six)
//	isolate s  s between FIRST STRONG ISOLATE (U+2068) and POP DIRECTIONAL
//	           ISOLATE (U+2069), so that a name, a date or an address
//	           keeps its own direction inside right-to-left text
func funcMap(tag language.Tag) texttemplate.FuncMap {
	return texttemplate.FuncMap{
		"plural":  func(n int) string { return pluralCategory(tag, n) },
		"isolate": isolate,
	}
}

// pluralCategory returns the CLDR cardinal plural category of the
// integer n (its absolute value) in tag.
func pluralCategory(tag language.Tag, n int) string {
	if n < 0 {
		if n == math.MinInt {
			return "other"
		}
		n = -n
	}
	switch plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0) {
	case plural.Zero:
		return "zero"
	case plural.One:
		return "one"
	case plural.Two:
		return "two"
	case plural.Few:
		return "few"
	case plural.Many:
		return "many"
	}
	return "other"
}

// isolate wraps s in Unicode directional isolates (U+2068 … U+2069).
func isolate(s string) string { return "\u2068" + s + "\u2069" }
