package pagetemplate

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrInvalid is matched (errors.Is) by every error Compile returns for a
// page a designer must change; the studio shows its text.
var ErrInvalid = errors.New("invalid page template")

// maxProblems bounds the list, so that a 64 KiB page of on* attributes
// gives a readable answer rather than thousands of lines.
const maxProblems = 50

// Problem is one thing a designer must change in a page template. Compile
// returns every problem at once, joined with errors.Join; Problems lists
// them back.
type Problem struct {
	// Line is the 1-based line of the source the problem is on, 0 when
	// the parser gives none (as for <body> it adds itself).
	Line int
	// Msg says what is refused and why, for a designer.
	Msg string
}

// Error returns the message, after its line when there is one.
func (p *Problem) Error() string {
	if p.Line > 0 {
		return "line " + strconv.Itoa(p.Line) + ": " + p.Msg
	}
	return p.Msg
}

// Is makes errors.Is(p, ErrInvalid) hold.
func (p *Problem) Is(target error) bool { return target == ErrInvalid }

// Problems returns the problems in err (as returned by Compile or Check),
// in source order, or nil when err holds none.
func Problems(err error) []*Problem {
	var out []*Problem
	var walk func(error)
	walk = func(e error) {
		if p, ok := e.(*Problem); ok {
			out = append(out, p)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, c := range u.Unwrap() {
				walk(c)
			}
		case interface{ Unwrap() error }:
			if c := u.Unwrap(); c != nil {
				walk(c)
			}
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

// problems collects what is wrong with a page, in document order.
type problems struct {
	list    []error
	dropped int
}

// add records a problem at line (0 when unknown).
func (ps *problems) add(line int, format string, args ...any) {
	if len(ps.list) >= maxProblems {
		ps.dropped++
		return
	}
	ps.list = append(ps.list, &Problem{Line: line, Msg: fmt.Sprintf(format, args...)})
}

// empty reports whether nothing was recorded.
func (ps *problems) empty() bool { return len(ps.list) == 0 }

// err joins the problems, nil when there are none.
func (ps *problems) err() error {
	if ps.empty() {
		return nil
	}
	list := ps.list
	if ps.dropped > 0 {
		list = append(list, &Problem{Msg: fmt.Sprintf("and %d more problems", ps.dropped)})
	}
	return errors.Join(list...)
}
