// Package invalid describes input that was refused, field by field, so
// that each surface can answer in its own terms: the management API as
// problem+json naming the field, pages as a localized message.
package invalid

import (
	"errors"
	"fmt"
)

// Error is one refused field. Reason is a short English explanation for
// operators and API clients; it never quotes secret values.
type Error struct {
	// Field is the JSON path of the field: "redirect_uris[1]".
	Field string
	// Reason says what is wrong: "must not contain a fragment".
	Reason string
}

func (e *Error) Error() string { return e.Field + ": " + e.Reason }

// Field returns an *Error for field with a formatted reason.
func Field(field, format string, args ...any) error {
	return &Error{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// All returns every *Error in err's tree (errors.Join and %w wrapping),
// in order. An err that holds none returns nil.
func All(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if e, ok := err.(*Error); ok {
			out = append(out, e)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// Is reports whether err holds at least one *Error.
func Is(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
