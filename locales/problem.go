package locales

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Kinds of catalog problems. Every *Problem wraps exactly one of them, so
// callers and tests ask errors.Is(err, locales.ErrMissing) rather than
// reading message text.
var (
	// ErrSyntax: the file is not a JSON object of strings and plural
	// objects (bad JSON, invalid UTF-8, a duplicate key, a number where
	// a string belongs).
	ErrSyntax = errors.New("malformed catalog")
	// ErrMeta: "$meta" is missing or wrong: language not a canonical
	// BCP 47 tag matching the file name, dir not "ltr"/"rtl" or against
	// the language's script, name empty, or an unknown field.
	ErrMeta = errors.New("bad $meta")
	// ErrBadID: a key is not a message ID (lowercase dotted words).
	ErrBadID = errors.New("bad message ID")
	// ErrMissing: an ID of en.json is absent from a translation, or
	// en.json itself is absent.
	ErrMissing = errors.New("missing message")
	// ErrUnknown: a translation has an ID that en.json does not.
	ErrUnknown = errors.New("unknown message")
	// ErrTemplate: a text does not parse: a "{" that opens no valid
	// placeholder and is not the escape "{{".
	ErrTemplate = errors.New("malformed text")
	// ErrPlaceholder: a translation's placeholders differ from English's.
	ErrPlaceholder = errors.New("placeholders differ from English")
	// ErrPlural: a plural message lacks or has extra categories for its
	// language, or is plural in one language and plain in another.
	ErrPlural = errors.New("wrong plural categories")
	// ErrEmpty: a text is empty or only white space.
	ErrEmpty = errors.New("empty text")
)

// Problem is one defect in one catalog file.
type Problem struct {
	// File is the catalog's file name: "ar.json".
	File string
	// ID is the message ID concerned, "$meta", or "" for the whole file.
	ID string
	// Kind is one of the Err… values of this package.
	Kind error
	// Detail says what exactly is wrong, in English, for the operator.
	Detail string
}

// Error returns "ar.json: attempts.remaining: wrong plural categories: …".
func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.ID != "" {
		b.WriteString(": " + p.ID)
	}
	b.WriteString(": " + p.Kind.Error())
	if p.Detail != "" {
		b.WriteString(": " + p.Detail)
	}
	return b.String()
}

// Unwrap returns the problem's kind.
func (p *Problem) Unwrap() error { return p.Kind }

// LoadError is what Load returns when catalogs are defective: every
// problem found in every file, not just the first. errors.Is(err, ErrX)
// reports whether any problem is of kind ErrX; errors.As(err,
// &loadErr) gives the whole list.
type LoadError struct {
	// Problems are ordered by file, then as found within the file.
	Problems []*Problem
}

// Error lists every problem, one per line.
func (e *LoadError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "locales: %d problem(s) in catalogs", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n\t" + p.Error())
	}
	return b.String()
}

// Unwrap returns the problems, so that errors.Is and errors.As see each.
func (e *LoadError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// problems collects Problems while catalogs are checked.
type problems struct {
	list []*Problem
}

// add records a problem; detail is a fmt format for args.
func (ps *problems) add(file, id string, kind error, detail string, args ...any) {
	if len(args) > 0 {
		detail = fmt.Sprintf(detail, args...)
	}
	ps.list = append(ps.list, &Problem{File: file, ID: id, Kind: kind, Detail: detail})
}

// err returns a *LoadError holding the problems, or nil when there are
// none. Problems are ordered by file name; the order within a file is
// kept.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	slices.SortStableFunc(ps.list, func(a, b *Problem) int { return strings.Compare(a.File, b.File) })
	return &LoadError{Problems: ps.list}
}

// validID reports whether id is a message ID: at least two dot-separated
// words, each a lowercase letter followed by lowercase letters, digits
// and underscores ("identify.title", "error.field.too_long").
func validID(id string) bool {
	words := strings.Split(id, ".")
	if len(words) < 2 {
		return false
	}
	for _, w := range words {
		if !validParam(w) {
			return false
		}
	}
	return true
}
