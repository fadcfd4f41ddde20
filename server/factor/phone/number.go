package phone

import (
	"errors"
	"fmt"
	"strings"

	"github.com/lintel-id/lintel/internal/invalid"
)

// ErrInvalidNumber is wrapped by ParseNumber for every refusal, together
// with an *invalid.Error naming "phone_number" that says what is wrong
// without quoting the input.
var ErrInvalidNumber = errors.New("phone: invalid phone number")

// Bounds of a number: E.164 allows at most 15 digits, country code
// included; fewer than 8 is no subscriber number anywhere.
const (
	MinDigits = 8
	MaxDigits = 15
	// maxInputLen bounds what ParseNumber reads, separators included.
	maxInputLen = 64
)

// Number is a phone number in E.164 form. The zero Number is no number;
// every other value was made by ParseNumber and is valid. Numbers are
// comparable: two spellings of one number parse to equal Numbers.
type Number struct {
	e164 string // "+14155550100"
}

// ParseNumber reads an international number: a leading "+", the country
// calling code and the subscriber number, 8 to 15 digits in all, which
// may be separated by spaces, dots, hyphens and parentheses, as people
// write them ("+1 (415) 555-0100", "+44 20.7946.0000"). It refuses
// national formats (no "+", or "00" for it), since a number without its
// country is ambiguous; a "(0)" trunk prefix ("+44 (0)20…"), which would
// become a wrong digit; unbalanced parentheses; any other character;
// country codes that no country or network has; and +1 (NANP) numbers
// that are not ten digits after the +1. A refusal wraps ErrInvalidNumber
// and holds an *invalid.Error naming "phone_number".
func ParseNumber(s string) (Number, error) {
	n, reason := parseNumber(s)
	if reason != "" {
		return Number{}, fmt.Errorf("%w: %w", ErrInvalidNumber, invalid.Field("phone_number", "%s", reason))
	}
	return n, nil
}

// parseNumber returns the number s spells, or why it does not spell one.
// Reasons are fixed texts that never quote s.
func parseNumber(s string) (Number, string) {
	if len(s) > maxInputLen {
		return Number{}, fmt.Sprintf("must be at most %d characters", maxInputLen)
	}
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, "+")
	if !ok {
		return Number{}, "must start with + and the country calling code: national formats are not accepted"
	}
	digits := make([]byte, 0, MaxDigits)
	open, group := false, 0 // inside parentheses; digits in the group
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case c >= '0' && c <= '9':
			if len(digits) == MaxDigits {
				return Number{}, fmt.Sprintf("must have at most %d digits", MaxDigits)
			}
			digits = append(digits, c)
			group++
		case c == ' ' || c == '.' || c == '-':
		case c == '(' && !open:
			open, group = true, 0
		case c == ')' && open:
			if group == 0 {
				return Number{}, "must not hold empty parentheses"
			}
			if group == 1 && digits[len(digits)-1] == '0' {
				return Number{}, "must not hold a (0) trunk prefix: write the number without it"
			}
			open = false
		case c == '(' || c == ')':
			return Number{}, "must have balanced parentheses"
		default:
			return Number{}, "must hold only digits, spaces, dots, hyphens and parentheses after the +"
		}
	}
	switch {
	case open:
		return Number{}, "must have balanced parentheses"
	case len(digits) < MinDigits:
		return Number{}, fmt.Sprintf("must have at least %d digits", MinDigits)
	}
	cc := callingCode(string(digits))
	switch {
	case cc == "":
		return Number{}, "must start with an assigned country calling code"
	case cc == "1" && len(digits) != 11:
		return Number{}, "must have 10 digits after +1"
	}
	return Number{e164: "+" + string(digits)}, ""
}

// String returns the number in E.164 form ("+14155550100"), "" for the
// zero Number.
func (n Number) String() string { return n.e164 }

// MarshalText returns the number in E.164 form, "" for the zero Number,
// so that Numbers travel in JSON as strings.
func (n Number) MarshalText() ([]byte, error) { return []byte(n.e164), nil }

// UnmarshalText reads text with ParseNumber; empty text is the zero
// Number. A refusal is ParseNumber's and leaves n unchanged.
func (n *Number) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*n = Number{}
		return nil
	}
	p, err := ParseNumber(string(text))
	if err != nil {
		return err
	}
	*n = p
	return nil
}

// IsZero reports whether n is the zero Number.
func (n Number) IsZero() bool { return n.e164 == "" }

// CallingCode returns the number's country calling code without the "+"
// ("1", "44", "971"), "" for the zero Number.
func (n Number) CallingCode() string {
	if n.IsZero() {
		return ""
	}
	return callingCode(n.e164[1:])
}

// Country returns the ISO 3166-1 alpha-2 code of the country or territory
// the number belongs to ("US", "GB"), found from its calling code and, for
// codes that several share, the digits after it: +1 numbers are US unless
// their area code is Canada's or a Caribbean or Pacific member's of the
// NANP; +7 6/+7 7 numbers are KZ; the Channel Islands and the Isle of Man
// have their own under +44. Kosovo is "XK", the code in common use. It
// returns "" for the zero Number and for numbers of international
// networks (+800, +881 satellites, +882/+883…), which belong to no
// country and so are never in an allowlist.
func (n Number) Country() string {
	if n.IsZero() {
		return ""
	}
	return country(n.e164[1:])
}

// Masked returns the number for showing on a page with all but its last
// two digits hidden, keeping the calling code: "+1 ••• ••• ••00". The
// subscriber digits are grouped as a four-digit group last and groups of
// three before it. It returns "" for the zero Number.
func (n Number) Masked() string {
	if n.IsZero() {
		return ""
	}
	cc := n.CallingCode()
	nsn := n.e164[1+len(cc):]
	var sizes []int // group sizes, last group first
	for rest := len(nsn); rest > 0; {
		size := 3
		if len(sizes) == 0 {
			size = 4
		}
		size = min(size, rest)
		sizes = append(sizes, size)
		rest -= size
	}
	var b strings.Builder
	b.WriteString("+" + cc)
	i := 0
	for g := len(sizes) - 1; g >= 0; g-- {
		b.WriteByte(' ')
		for range sizes[g] {
			if i < len(nsn)-2 {
				b.WriteString("•")
			} else {
				b.WriteByte(nsn[i])
			}
			i++
		}
	}
	return b.String()
}
