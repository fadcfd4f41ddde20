package phone

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/invalid"
)

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{
		"+14155550100", "+1 (415) 555-0100", "+44.20.7946.0000", "+44 (0)20 7946 0000", "(415) 555-0100",
		"0044 20 7946 0000", "+", "", "++1", "+1 ((415)) 555 0100", "+1 () 415", "+1 415) 555 0100",
		"+881 6 1234 5678", "+8821234567890123", "+7 701 123 4567", "+262 639 12 34 56", "+1415555010",
		"+１４１５５５５０１００", "+1 800 FLOWERS", "\t+33 6 12 34 56 78 ", "+2801234567", "+0123456789",
		"+1 (415) 555-0100 (", "+1 4\x0015 555 0100", "+1 (4)(1)(5) 555 0100",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNumber(s)
		if err != nil {
			if !n.IsZero() || !errors.Is(err, ErrInvalidNumber) || len(invalid.All(err)) != 1 {
				t.Fatalf("ParseNumber(%q) = %q, %v: a refusal must be the zero Number with one invalid field", s, n, err)
			}
			return
		}
		e := n.String()
		digits := e[1:]
		if e[0] != '+' || len(digits) < MinDigits || len(digits) > MaxDigits || strings.Trim(digits, "0123456789") != "" {
			t.Fatalf("ParseNumber(%q) = %q: not E.164", s, e)
		}
		if again, err := ParseNumber(e); err != nil || again != n {
			t.Fatalf("ParseNumber(%q) = %q, %v: E.164 does not parse back to itself", e, again, err)
		}
		if cc := n.CallingCode(); cc == "" || !strings.HasPrefix(digits, cc) {
			t.Fatalf("%q: calling code %q", e, cc)
		}
		if c := n.Country(); c != "" && !knownCountry(c) {
			t.Fatalf("%q: country %q is not in the tables", e, c)
		}
		m := n.Masked()
		shown := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, m)
		if !utf8.ValidString(m) || shown != n.CallingCode()+digits[len(digits)-2:] {
			t.Fatalf("%q masked as %q shows %q: want the calling code and the last two digits", e, m, shown)
		}
	})
}
