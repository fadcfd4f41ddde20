package themes

import (
	"strings"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/invalid"
)

// fieldError is one refused field: an *invalid.Error for the surfaces
// that name fields, tied to the sentinel callers branch on. Its text is
// the *invalid.Error's ("tokens.radius: must be …").
type fieldError struct {
	inv  *invalid.Error
	kind error
}

func (e *fieldError) Error() string   { return e.inv.Error() }
func (e *fieldError) Unwrap() []error { return []error{e.inv, e.kind} }

// problem returns a refusal of field that wraps kind.
func problem(field string, kind error, format string, args ...any) error {
	return &fieldError{inv: invalid.Field(field, format, args...).(*invalid.Error), kind: kind}
}

// fieldName makes an untrusted map key fit for a field path: valid
// UTF-8, at most 64 bytes, no control characters.
func fieldName(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '\uFFFD'
		}
		return r
	}, s)
	if len(s) > 64 {
		cut := 64
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
