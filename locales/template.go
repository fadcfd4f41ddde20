package locales

import (
	"fmt"
	"slices"
	"strings"
)

// A message text is a template: literal text with {name} placeholders.
// The grammar is deliberately tiny so that translators cannot break it
// in surprising ways:
//
//	{name}  a placeholder; name is a lowercase letter followed by
//	        lowercase letters, digits and underscores (at most 64 bytes)
//	{{      a literal "{"
//	}       a literal "}" (no escape needed)
//
// Any other "{" (unclosed, empty, uppercase, spaces) is an error.

// maxParamName bounds a placeholder name.
const maxParamName = 64

// segment is one piece of a parsed template: literal text, or a
// placeholder when param is set.
type segment struct {
	text  string
	param string
}

// template is a parsed message text.
type template []segment

// parseTemplate parses s into literal and placeholder segments.
// Adjacent literal text is merged into one segment.
func parseTemplate(s string) (template, error) {
	var (
		t   template
		lit strings.Builder
	)
	flush := func() {
		if lit.Len() > 0 {
			t = append(t, segment{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '{')
		if j < 0 {
			lit.WriteString(s[i:])
			break
		}
		lit.WriteString(s[i : i+j])
		i += j
		if strings.HasPrefix(s[i:], "{{") {
			lit.WriteByte('{')
			i += 2
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("unclosed \"{\" at byte %d (write {{ for a literal brace)", i)
		}
		name := s[i+1 : i+end]
		if !validParam(name) {
			return nil, fmt.Errorf("bad placeholder %q at byte %d (want {lowercase_name}, or {{ for a literal brace)", s[i:i+end+1], i)
		}
		flush()
		t = append(t, segment{param: name})
		i += end + 1
	}
	flush()
	return t, nil
}

// validParam reports whether name is a placeholder name: [a-z][a-z0-9_]*.
func validParam(name string) bool {
	if name == "" || len(name) > maxParamName || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for i := 1; i < len(name); i++ {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// params returns the template's placeholder names, sorted, without
// duplicates.
func (t template) params() []string {
	var out []string
	for _, s := range t {
		if s.param != "" && !slices.Contains(out, s.param) {
			out = append(out, s.param)
		}
	}
	slices.Sort(out)
	return out
}

// Unicode directional isolates: FIRST STRONG ISOLATE and POP DIRECTIONAL
// ISOLATE. A value wrapped in them is laid out on its own, so an email
// address or a number inside right-to-left text keeps its order and does
// not drag the surrounding punctuation along.
const (
	fsi = "\u2068"
	pdi = "\u2069"
)

// render writes t with params, given as name/value pairs; a trailing
// name without a value is ignored. A placeholder without a value renders
// as itself, "{name}". When isolate is set, each substituted value is
// wrapped in directional isolates. Values are inserted as they are: they
// are never parsed as templates themselves.
func (t template) render(isolate bool, params []string) string {
	if len(t) == 1 && t[0].param == "" {
		return t[0].text
	}
	var b strings.Builder
	for _, s := range t {
		if s.param == "" {
			b.WriteString(s.text)
			continue
		}
		v, ok := lookup(params, s.param)
		switch {
		case !ok:
			b.WriteString("{" + s.param + "}")
		case isolate:
			b.WriteString(fsi + v + pdi)
		default:
			b.WriteString(v)
		}
	}
	return b.String()
}

// lookup finds name in name/value pairs; the first pair wins.
func lookup(params []string, name string) (string, bool) {
	for i := 0; i+1 < len(params); i += 2 {
		if params[i] == name {
			return params[i+1], true
		}
	}
	return "", false
}

// escapeTemplate returns a template that renders as s: every "{" doubled.
func escapeTemplate(s string) string {
	return strings.ReplaceAll(s, "{", "{{")
}
