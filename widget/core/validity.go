package core

import (
	"strconv"
	"unicode/utf8"

	"github.com/lintel-id/lintel/server/engine/wire"
)

// Validity is what the browser's ValidityState says about an input
// (valueMissing, tooShort, tooLong, typeMismatch, patternMismatch,
// badInput), plus what the widget checks itself from the field's
// constraints: the hosted pages' markup carries only required and
// maxlength, so minimum lengths and patterns are checked from the flow.
type Validity struct {
	ValueMissing, TooShort, TooLong, TypeMismatch, PatternMismatch, BadInput bool
}

// Valid reports whether nothing is wrong.
func (v Validity) Valid() bool { return v == Validity{} }

// Check adds to v what the field's constraints say about value: a
// minimum length in characters (the browser checks minlength only after
// the person typed, and the markup has none) and, through matches, the
// pattern (matches runs it as the HTML pattern attribute would: the whole
// value, JavaScript's syntax; nil skips patterns). Empty values are left
// to required.
func Check(x wire.Field, value string, v Validity, matches func(pattern, value string) bool) Validity {
	if value == "" {
		return v
	}
	if min := x.Constraints.MinLength; min > 0 && utf8.RuneCountInString(value) < min {
		v.TooShort = true
	}
	if max := x.Constraints.MaxLength; max > 0 && utf8.RuneCountInString(value) > max {
		v.TooLong = true
	}
	if p := x.Constraints.Pattern; p != "" && matches != nil && !matches(p, value) {
		v.PatternMismatch = true
	}
	return v
}

// Problem is the message the server would give for what v says of field
// x, with the same message IDs (error.field.required and the like), as
// an error message on the field; ok is false when v is valid.
func Problem(x wire.Field, v Validity) (m wire.Message, ok bool) {
	m = wire.Message{Level: wire.LevelError, Field: x.Name}
	switch {
	case v.ValueMissing && x.Type == wire.FieldCheckbox:
		m.ID = "error.terms.required"
	case v.ValueMissing:
		m.ID = "error.field.required"
	case v.TooLong:
		m.ID = "error.field.too_long"
		m.Params = []wire.Param{{Name: "max", Value: strconv.Itoa(x.Constraints.MaxLength)}}
	case v.TooShort && x.Label == "field.answer.label":
		m.ID = "error.answer.too_short"
	case v.TooShort && x.Type == wire.FieldPassword:
		m.ID = "error.password.too_short"
		m.Params = []wire.Param{{Name: "count", Value: strconv.Itoa(x.Constraints.MinLength)}}
	case (v.TypeMismatch || v.PatternMismatch) && x.Type == wire.FieldEmail:
		m.ID = "error.email.invalid"
	case v.PatternMismatch && x.Type == wire.FieldTel:
		m.ID = "error.phone.invalid"
	case v.TooShort, v.TypeMismatch, v.PatternMismatch, v.BadInput:
		m.ID = "error.field.invalid"
	default:
		return wire.Message{}, false
	}
	return m, true
}

// WithProblems returns f with its messages about the named fields
// replaced by problems, so that the step renders them as the server
// would have: on the field, aria-invalid, described by them, focus on
// the first.
func WithProblems(f wire.Flow, problems []wire.Message) wire.Flow {
	out := f
	out.Messages = nil
	for _, m := range f.Messages {
		if m.Field == "" || !mentions(problems, m.Field) {
			out.Messages = append(out.Messages, m)
		}
	}
	out.Messages = append(out.Messages, problems...)
	return out
}

func mentions(ms []wire.Message, field string) bool {
	for _, m := range ms {
		if m.Field == field {
			return true
		}
	}
	return false
}

// Values reads what a form submits for step f: read returns a field's
// current value and, for a checkbox, whether it is checked. A checkbox
// submits "true" only when checked; read-only fields (list, qr, codes)
// submit nothing; every other field its value, empty or not, as a form
// POST of the hosted page would.
func Values(f wire.Flow, read func(name string) (value string, checked bool)) []wire.Param {
	var out []wire.Param
	for _, x := range f.Fields {
		switch x.Type {
		case wire.FieldList, wire.FieldQR, wire.FieldCodes:
			continue
		case wire.FieldCheckbox:
			if _, checked := read(x.Name); checked {
				out = append(out, wire.Param{Name: x.Name, Value: "true"})
			}
			continue
		}
		v, _ := read(x.Name)
		out = append(out, wire.Param{Name: x.Name, Value: v})
	}
	return out
}
