package locales

import (
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// numForms is the number of CLDR plural categories: other, zero, one,
// two, few and many, indexed by their plural.Form value.
const numForms = 6

// formNames are the catalog spellings of the CLDR plural categories,
// indexed by plural.Form.
var formNames = [numForms]string{
	plural.Other: "other",
	plural.Zero:  "zero",
	plural.One:   "one",
	plural.Two:   "two",
	plural.Few:   "few",
	plural.Many:  "many",
}

// formOrder is the order in which categories are listed in problems and
// golden files: the CLDR order.
var formOrder = [numForms]plural.Form{plural.Zero, plural.One, plural.Two, plural.Few, plural.Many, plural.Other}

// parseForm returns the plural.Form spelled name in a catalog.
func parseForm(name string) (plural.Form, bool) {
	for f, n := range formNames {
		if n == name {
			return plural.Form(f), true
		}
	}
	return plural.Other, false
}

// formSet is a set of plural forms, one bit per plural.Form.
type formSet uint8

func (s formSet) has(f plural.Form) bool { return s&(1<<f) != 0 }

func (s *formSet) add(f plural.Form) { *s |= 1 << f }

// names lists the set's categories in CLDR order.
func (s formSet) names() []string {
	var out []string
	for _, f := range formOrder {
		if s.has(f) {
			out = append(out, formNames[f])
		}
	}
	return out
}

// String renders the set for problem reports: "one, other".
func (s formSet) String() string { return strings.Join(s.names(), ", ") }

// requiredForms returns the cardinal plural categories that tag
// distinguishes, according to the CLDR rules of golang.org/x/text. That
// package does not export the category list of a language, so it is
// found by matching a sample of operands that reaches every rule CLDR
// writes: integers up to 1100 (rules look at n%10, n%100 and ranges
// below 1000), a few millions (Breton, and "many" for large round
// numbers) and every one- and two-digit fraction of the small integers
// (rules on v, f and t). Other is always present.
func requiredForms(tag language.Tag) formSet {
	var set formSet
	set.add(plural.Other)
	for n := 0; n <= 1100; n++ {
		set.add(plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0))
	}
	for _, n := range []int{1000000, 2000000, 10000000} {
		set.add(plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0))
	}
	for n := 0; n <= 110; n++ {
		for f := range 10 {
			set.add(matchDecimal(tag, n, []byte{byte('0' + f)}))
		}
		for f := range 100 {
			set.add(matchDecimal(tag, n, []byte{byte('0' + f/10), byte('0' + f%10)}))
		}
	}
	return set
}

// maxCountDigits bounds the count a plural message accepts; longer
// counts pick "other".
const maxCountDigits = 64

// countForm returns the plural form of the decimal number count for tag:
// "3", "-1", "1.50" (two visible fraction digits, which matters in some
// languages). A count that is not a plain decimal number (empty, "1,000",
// "1e3", "NaN") picks plural.Other.
func countForm(tag language.Tag, count string) plural.Form {
	s := strings.TrimPrefix(count, "-")
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || (hasDot && frac == "") || len(intPart)+len(frac) > maxCountDigits ||
		!allDigits(intPart) || !allDigits(frac) {
		return plural.Other
	}
	return matchDecimal(tag, operand(intPart), []byte(frac))
}

// matchDecimal matches the number with integer part i and the ASCII
// fraction digits frac (trailing zeros included: "1.50" has "50").
func matchDecimal(tag language.Tag, i int, frac []byte) plural.Form {
	t := strings.TrimRight(string(frac), "0")
	return plural.Cardinal.MatchPlural(tag, i, len(frac), len(t), operand(string(frac)), operand(t))
}

// operand converts ASCII digits to a plural operand. CLDR rules compare
// operands with numbers below 1000 and take them modulo 10, 100 or (for
// Breton) 1000000, so a number too long to convert exactly becomes one
// that is at least as large and has the same last six digits.
func operand(digits string) int {
	const exact, keep = 9, 6
	if len(digits) > exact {
		return 1_000_000_000 + operand(digits[len(digits)-keep:])
	}
	n := 0
	for i := 0; i < len(digits); i++ {
		n = n*10 + int(digits[i]-'0')
	}
	return n
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
