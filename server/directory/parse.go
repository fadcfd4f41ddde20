package directory

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/invalid"
)

// Bounds of values ParseAttribute reads.
const (
	// maxNumberLen bounds the text of an integer or a number, in bytes.
	maxNumberLen = 64
	// maxSafeInteger is the largest integer a profile keeps exactly:
	// profiles are JSON, whose numbers read back as float64.
	maxSafeInteger = 1<<53 - 1
)

// ParseAttribute reads the text a form sent for the field f and returns
// the typed value to store (see Directory.SetAttributes): a string for
// KindString and KindEnum, an int64 for KindInteger, a float64 for
// KindNumber, a bool for KindBoolean. The text is trimmed of surrounding
// white space first.
//
// Empty text is refused as "is required" when f.Required, and otherwise
// returns nil: the attribute is left unset. A boolean is the exception:
// "true" and "on" (what a checked box sends) are true, "false" and ""
// (an unchecked box sends nothing) are false, in any case, so a boolean
// is never missing. Strings must be valid, printable UTF-8 of at most
// f.MaxLength characters; a base "phone" must be an E.164 number and a
// base "locale" a BCP 47 tag (returned in canonical form); an enum must
// be one of f.Options exactly; an integer is decimal within ±(2^53−1);
// a number is decimal, optionally with an exponent, and finite.
//
// Every refusal is an *invalid.Error naming f.Name. It never quotes the
// text; for a Sensitive field it does not list the enum's options either.
func ParseAttribute(f AttributeField, raw string) (any, error) {
	if !utf8.ValidString(raw) {
		return nil, invalid.Field(f.Name, "must be valid UTF-8")
	}
	s := strings.TrimSpace(raw)
	if f.Kind == KindBoolean {
		switch strings.ToLower(s) {
		case "true", "on":
			return true, nil
		case "false", "":
			return false, nil
		}
		return nil, invalid.Field(f.Name, "must be true or false")
	}
	if s == "" {
		if f.Required {
			return nil, invalid.Field(f.Name, "is required")
		}
		return nil, nil
	}
	switch f.Kind {
	case KindString:
		return parseString(f, s)
	case KindEnum:
		if slices.Contains(f.Options, s) {
			return s, nil
		}
		if f.Sensitive || len(f.Options) > 20 {
			return nil, invalid.Field(f.Name, "must be one of the options offered")
		}
		return nil, invalid.Field(f.Name, "must be one of: %s", strings.Join(f.Options, ", "))
	case KindInteger:
		n, err := strconv.ParseInt(s, 10, 64)
		if len(s) > maxNumberLen || err != nil {
			return nil, invalid.Field(f.Name, "must be a whole number")
		}
		if n > maxSafeInteger || n < -maxSafeInteger {
			return nil, invalid.Field(f.Name, "must be between %d and %d", -maxSafeInteger, maxSafeInteger)
		}
		return n, nil
	case KindNumber:
		if len(s) > maxNumberLen || !decimal(s) {
			return nil, invalid.Field(f.Name, "must be a number")
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, invalid.Field(f.Name, "must be a number")
		}
		return x, nil
	}
	return nil, invalid.Field(f.Name, "cannot be set from a form")
}

// parseString checks the text of a KindString field.
func parseString(f AttributeField, s string) (any, error) {
	if f.Base {
		switch f.Name {
		case "phone", "locale":
			check := checkPhone
			if f.Name == "locale" {
				check = checkLocale
			}
			v, err := check(s)
			if err != nil {
				return nil, err
			}
			return v, nil
		}
	}
	if strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return nil, invalid.Field(f.Name, "must contain only printable characters")
	}
	if n := utf8.RuneCountInString(s); f.MaxLength > 0 && n > f.MaxLength {
		return nil, invalid.Field(f.Name, "must be at most %d characters, not %d", f.MaxLength, n)
	}
	return s, nil
}

// decimal reports whether s is a decimal number as people write it:
// an optional sign, digits with at most one point, and an optional
// exponent. It refuses what strconv.ParseFloat also reads: "Inf", "NaN",
// hexadecimal and underscores.
func decimal(s string) bool {
	mantissa, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	if hasExp {
		if exp != "" && (exp[0] == '+' || exp[0] == '-') {
			exp = exp[1:]
		}
		if exp == "" || !digits(exp) {
			return false
		}
	}
	if mantissa != "" && (mantissa[0] == '+' || mantissa[0] == '-') {
		mantissa = mantissa[1:]
	}
	whole, frac, _ := strings.Cut(mantissa, ".")
	return whole+frac != "" && digits(whole) && digits(frac)
}

// digits reports whether s holds only ASCII digits ("" does).
func digits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
