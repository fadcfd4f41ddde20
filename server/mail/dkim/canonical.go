package dkim

import (
	"bytes"
	"fmt"
	"strings"
)

// field is one header field as it appears in the message: name and value,
// the value with its folds (CRLF followed by white space) kept.
type field struct {
	name, raw string // raw is "Name: value" without the final CRLF
}

// split normalises line ends and cuts msg into its header fields and its
// body. A lone LF becomes CRLF, as the SMTP DATA writer sends it; a lone
// CR, which RFC 5322 forbids, is refused, since verifiers disagree on
// what it means. A message without an empty line has an empty body.
func split(msg []byte) ([]field, []byte, error) {
	norm := make([]byte, 0, len(msg)+len(msg)/32)
	for i := 0; i < len(msg); i++ {
		switch c := msg[i]; {
		case c == '\r' && (i+1 == len(msg) || msg[i+1] != '\n'):
			return nil, nil, ErrBareCR
		case c == '\n' && (i == 0 || msg[i-1] != '\r'):
			norm = append(norm, '\r', '\n')
		default:
			norm = append(norm, c)
		}
	}
	head, body := norm, []byte(nil)
	switch {
	case bytes.HasPrefix(norm, []byte("\r\n")):
		head, body = nil, norm[2:]
	default:
		if i := bytes.Index(norm, []byte("\r\n\r\n")); i >= 0 {
			head, body = norm[:i+2], norm[i+4:]
		}
	}
	var fields []field
	for len(head) > 0 {
		end := bytes.Index(head, []byte("\r\n"))
		if end < 0 {
			end = len(head)
		}
		line := string(head[:end])
		head = head[min(end+2, len(head)):]
		if line != "" && (line[0] == ' ' || line[0] == '\t') {
			if len(fields) == 0 {
				return nil, nil, fmt.Errorf("%w: the header starts with a continuation line", ErrMalformed)
			}
			fields[len(fields)-1].raw += "\r\n" + line
			continue
		}
		name, _, ok := strings.Cut(line, ":")
		name = strings.TrimRight(name, " \t")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, nil, fmt.Errorf("%w: a header line is not a field", ErrMalformed)
		}
		fields = append(fields, field{name: strings.ToLower(name), raw: line})
	}
	return fields, body, nil
}

// relaxedHeader is the relaxed canonical form of one header field (RFC
// 6376 §3.4.2), with its CRLF: the name lowercased, the value unfolded,
// runs of white space made one space, white space around the colon and at
// the end removed.
func relaxedHeader(raw string) string {
	name, value, _ := strings.Cut(raw, ":")
	name = strings.ToLower(strings.TrimRight(name, " \t"))
	value = strings.ReplaceAll(value, "\r\n", "")
	return name + ":" + collapse(value) + "\r\n"
}

// collapse makes every run of spaces and tabs one space and trims both
// ends.
func collapse(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteByte(c)
	}
	return b.String()
}

// relaxedBody is the relaxed canonical form of a body (RFC 6376 §3.4.4),
// its lines already CRLF-terminated: white space at line ends removed,
// runs of white space made one space, empty lines at the end removed, and
// a final CRLF unless the result is empty.
func relaxedBody(body []byte) []byte {
	out := make([]byte, 0, len(body))
	pending := 0 // empty lines seen but not yet written
	for len(body) > 0 {
		end := bytes.Index(body, []byte("\r\n"))
		line := body
		if end >= 0 {
			line, body = body[:end], body[end+2:]
		} else {
			body = nil
		}
		c := collapseLine(line)
		if len(c) == 0 {
			pending++
			continue
		}
		for ; pending > 0; pending-- {
			out = append(out, '\r', '\n')
		}
		out = append(out, c...)
		out = append(out, '\r', '\n')
	}
	return out
}

// collapseLine is collapse for a body line: runs of white space inside
// become one space, white space at the end goes, at the start stays (as
// one space).
func collapseLine(line []byte) []byte {
	out := make([]byte, 0, len(line))
	space := false
	for _, c := range line {
		if c == ' ' || c == '\t' {
			space = true
			continue
		}
		if space {
			out = append(out, ' ')
		}
		space = false
		out = append(out, c)
	}
	return out
}
