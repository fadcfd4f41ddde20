package wire

import (
	"errors"
	"strconv"
)

// The errors of decoding and validation. Every error this package returns
// wraps exactly one of them (compare with errors.Is) and adds where it
// happened: a byte offset for JSON errors, a path such as
// "fields[2].name" for the others.
var (
	// ErrSyntax is returned for input that is not JSON, or JSON this
	// package refuses: trailing data, invalid UTF-8, lone surrogates.
	ErrSyntax = errors.New("wire: invalid JSON")
	// ErrTooLarge is returned for documents larger than MaxSize.
	ErrTooLarge = errors.New("wire: document too large")
	// ErrTooDeep is returned for values nested deeper than MaxDepth.
	ErrTooDeep = errors.New("wire: nesting too deep")
	// ErrDuplicateKey is returned for a key repeated in one JSON object,
	// and by Validate for repeated field, action or parameter names.
	ErrDuplicateKey = errors.New("wire: duplicate key")
	// ErrMissing is returned for a required member that is absent (or
	// null), and by Validate for a required value that is empty.
	ErrMissing = errors.New("wire: missing required value")
	// ErrType is returned for a value of the wrong JSON type or form, such
	// as a number where a string belongs or an expires_at that is not an
	// RFC 3339 time.
	ErrType = errors.New("wire: wrong type")
	// ErrInvalid is returned by Validate for a value the protocol does not
	// allow, such as an unknown message level.
	ErrInvalid = errors.New("wire: invalid value")
)

// Limits of the decoder.
const (
	MaxSize  = 1 << 20 // bytes in one document
	MaxDepth = 32      // nested objects and arrays, the outermost counting as 1
)

// wireError is an error of this package: a sentinel with its place.
type wireError struct {
	err    error  // one of the sentinels
	offset int    // byte offset in the document, or -1
	path   string // member path such as "fields[2].name", or ""
	detail string // what was found or expected, or ""
}

func (e *wireError) Error() string {
	s := e.err.Error()
	if e.path != "" {
		s += " at " + e.path
	}
	if e.offset >= 0 {
		s += " (offset " + strconv.Itoa(e.offset) + ")"
	}
	if e.detail != "" {
		s += ": " + e.detail
	}
	return s
}

func (e *wireError) Unwrap() error { return e.err }

// errAt returns an error wrapping sentinel at byte offset off.
func errAt(sentinel error, off int, detail string) error {
	return &wireError{err: sentinel, offset: off, detail: detail}
}

// errPath returns an error wrapping sentinel at a member path.
func errPath(sentinel error, path, detail string) error {
	return &wireError{err: sentinel, offset: -1, path: path, detail: detail}
}

// inKey prefixes the path of err with an object key, quoted (and
// shortened) unless it is a short plain name.
func inKey(err error, key string) error {
	if e := pathed(err); e != nil {
		if !plainKey(key) {
			key = quote(key)
		}
		switch {
		case e.path == "":
			e.path = key
		case e.path[0] == '[':
			e.path = key + e.path
		default:
			e.path = key + "." + e.path
		}
	}
	return err
}

// inIndex prefixes the path of err with an array index.
func inIndex(err error, i int) error {
	if e := pathed(err); e != nil {
		idx := "[" + strconv.Itoa(i) + "]"
		switch {
		case e.path == "", e.path[0] == '[':
			e.path = idx + e.path
		default:
			e.path = idx + "." + e.path
		}
	}
	return err
}

// pathed returns err as a *wireError whose path is worth telling: syntax
// errors are placed by offset alone, their path adds nothing. It unwraps
// by hand: errors.As and errors.Is link internal/reflectlite into the
// widget's WebAssembly (about 9 KB brotli).
func pathed(err error) *wireError {
	for err != nil {
		if e, ok := err.(*wireError); ok {
			if e.err == ErrSyntax {
				return nil
			}
			return e
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return nil
		}
		err = u.Unwrap()
	}
	return nil
}

// plainKey reports whether key is 1–40 bytes of a-z, 0-9, "_" and "-".
func plainKey(key string) bool {
	if key == "" || len(key) > 40 {
		return false
	}
	for _, c := range key {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// quote returns s quoted for an error message, shortened if long.
func quote(s string) string {
	const limit = 40
	if len(s) > limit {
		cut := limit
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}
