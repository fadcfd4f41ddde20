package emailtemplates

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vanng822/go-premailer/premailer"
	"golang.org/x/text/language"
)

// Output bounds, equal to the mail outbox's (server/mail), which refuses
// longer messages.
const (
	// MaxBodyLen bounds each rendered part (subject before it is cut,
	// text and HTML), in bytes.
	MaxBodyLen = 256 << 10
	// MaxSubjectLen bounds the rendered subject line, in bytes; a longer
	// one is cut at a character boundary and ends with "…".
	MaxSubjectLen = 998
)

// ErrTooLarge is returned (wrapped) when a rendered part exceeds
// MaxBodyLen. Rendering stops at the limit.
var ErrTooLarge = errors.New("rendered message too large")

// executor is a text/template or html/template template.
type executor interface {
	Execute(w io.Writer, data any) error
}

// render renders kind k for lang with view, a cleaned view struct: the
// templates pick chooses, each part in its environment (see env).
func (s *Set) render(lang string, k Kind, view any) (Rendered, error) {
	r, err := s.pick(lang, k).render(view, func(over string) env { return s.env(lang, over) })
	if err != nil {
		return Rendered{}, fmt.Errorf("emailtemplates: %w", err)
	}
	return r, nil
}

// env returns the environment of a part of an email in lang: the
// catalog's localizer (with the set's texts), its language and
// direction, and the set's theme. over is the language of the override
// the part comes from: "" for a built-in part, "*" for a
// language-neutral override; a language-specific override's part sees
// its own language as .Locale and .Dir and in plural (t still renders
// the catalog's language: an override in a language the catalog lacks
// writes its own texts).
func (s *Set) env(lang, over string) env {
	l := s.localizer(lang)
	e := env{Theme: s.theme, Locale: l.Lang(), Dir: l.Dir(), L: translator{l: l, tag: l.Tag()}}
	if over == "" || over == "*" {
		return e
	}
	tag, err := language.Parse(over)
	if err != nil || tag == l.Tag() {
		return e
	}
	e.Locale, e.L.tag = tag.String(), tag
	if b, _ := tag.Base(); b != baseOf(l.Tag()) {
		e.Dir = scriptDir(tag)
	}
	return e
}

// baseOf returns tag's base language.
func baseOf(tag language.Tag) language.Base {
	b, _ := tag.Base()
	return b
}

// scriptDir returns the writing direction of tag's script: "rtl" for
// the scripts written right to left, else "ltr".
func scriptDir(tag language.Tag) string {
	s, _ := tag.Script()
	switch s.String() {
	case "Adlm", "Arab", "Hebr", "Mand", "Mend", "Nkoo", "Rohg", "Samr", "Syrc", "Thaa":
		return "rtl"
	}
	return "ltr"
}

// render renders the three parts with view, each in the environment
// envFor returns for the language of the override it comes from, and
// inlines the HTML's CSS (inline).
func (p *parts) render(view any, envFor func(over string) env) (Rendered, error) {
	r, err := p.execute(view, envFor)
	if err != nil {
		return Rendered{}, err
	}
	html, err := inline(r.HTML)
	if err != nil {
		return Rendered{}, fmt.Errorf("%s: %w", p.names[2], err)
	}
	r.HTML = html
	return r, nil
}

// execute renders the three parts as render does, but leaves the HTML's
// CSS as it is.
func (p *parts) execute(view any, envFor func(over string) env) (Rendered, error) {
	var r Rendered
	for i, part := range []struct {
		t   executor
		dst *string
	}{
		{p.subject, &r.Subject},
		{p.text, &r.Text},
		{p.html, &r.HTML},
	} {
		out, err := execute(part.t, p.names[i], withEnv(view, envFor(p.langs[i])))
		if err != nil {
			return Rendered{}, err
		}
		*part.dst = out
	}
	r.Subject = oneLine(r.Subject)
	return r, nil
}

// inline moves the rules of the HTML's <style> elements into the style
// attributes of the elements they select (go-premailer), and drops the
// classes they served, since many mail clients ignore <style>. Rules
// that cannot be inlined (media queries, pseudo-classes) stay in one
// <style> in <head>. The result is bounded like every part.
func inline(src string) (string, error) {
	if !strings.Contains(src, "<style") {
		return src, nil
	}
	pm, err := premailer.NewPremailerFromString(src, premailer.NewOptions(premailer.WithRemoveClasses(true), premailer.WithCssToAttributes(false)))
	if err != nil {
		return "", fmt.Errorf("inlining CSS: %w", err)
	}
	out, err := pm.Transform()
	if err != nil {
		return "", fmt.Errorf("inlining CSS: %w", err)
	}
	if len(out) > MaxBodyLen {
		return "", ErrTooLarge
	}
	return out, nil
}

// execute renders one template, named name, with data, within
// MaxBodyLen.
func execute(t executor, name string, data any) (string, error) {
	w := limitWriter{max: MaxBodyLen}
	if err := t.Execute(&w, data); err != nil {
		if errors.Is(err, ErrTooLarge) {
			err = fmt.Errorf("%s: %w", name, err) // execution errors name the template; this one does not
		}
		return "", err
	}
	return w.buf.String(), nil
}

// limitWriter buffers at most max bytes and fails the write that would
// pass them, which stops template execution.
type limitWriter struct {
	buf bytes.Buffer
	max int
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if len(p) > w.max-w.buf.Len() {
		return 0, ErrTooLarge
	}
	return w.buf.Write(p)
}

// oneLine makes s a subject line: every run of white space or control
// characters (CR, LF, tabs, U+2028…) becomes one space, the ends are
// trimmed, and the result is cut to MaxSubjectLen bytes.
func oneLine(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
	if len(s) <= MaxSubjectLen {
		return s
	}
	const ellipsis = "…"
	cut := MaxSubjectLen - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimRightFunc(s[:cut], unicode.IsSpace) + ellipsis
}

// clean prepares one view value: invalid UTF-8 becomes U+FFFD, control
// characters (CR, LF, tab, …) and line or paragraph separators become
// spaces, so a value cannot add lines to a text body, and bidirectional
// embedding, override and isolate controls (U+202A–U+202E,
// U+2066–U+2069) are removed, so a value cannot reorder the text around
// it or escape the isolate a right-to-left template puts it in.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			return -1
		case unicode.IsControl(r), r == '\u2028', r == '\u2029':
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}
