package pagetemplate

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/net/html"
)

// ErrPart is returned by Render for a Parts value it will not write: a
// Lang, Dir or Nonce with characters they cannot have.
var ErrPart = errors.New("pagetemplate: invalid part")

// Template is a compiled page template: the page's markup cut into static
// segments around the places Render fills. It is immutable and safe for
// concurrent use.
type Template struct {
	segs      []segment
	slots     []string
	lang, dir string // the page's own, HTML-escaped, for empty Parts fields
}

// segment is static markup, then what Render writes after it.
type segment struct {
	text string
	fill fill
}

// fill is a place Render writes per request.
type fill uint8

const (
	fillNone fill = iota
	fillHead
	fillForm
	fillFooter
	fillLogo
	fillNonce
	fillLangDir
)

// Parts are what Lintel renders into a page: each func writes trusted HTML
// (templ components render into them) and may be nil to write nothing.
type Parts struct {
	// Head writes elements that belong in <head> (link, style, script,
	// meta). Form writes the sign-in card (Lintel's <main>), Footer the
	// footer line. Logo must write phrasing content without links (an
	// <img>): a page may put its slot in a link, a paragraph or a heading.
	Head, Form, Footer, Logo func(w io.Writer) error
	// Lang and Dir are set on <html>, over the page's own; empty keeps the
	// page's. Lang holds BCP 47 characters only, Dir is "ltr" or "rtl".
	Lang, Dir string
	// Nonce is the request's CSP nonce (base64url), added to every
	// <script src> and <style> of the page; empty adds none.
	Nonce string
}

// Slots returns the slots the page has, in document order (the head slot
// only when the page places it), for the studio.
func (t *Template) Slots() []string { return append([]string(nil), t.slots...) }

// Render writes the page: its own markup re-serialised by x/net/html (so
// it is well formed) with the slots filled from p. It refuses, before
// writing anything, a Lang, Dir or Nonce it could not write safely
// (errors.Is(err, ErrPart)).
func (t *Template) Render(w io.Writer, p Parts) error {
	if err := p.check(); err != nil {
		return err
	}
	lang, dir := t.lang, t.dir
	if p.Lang != "" {
		lang = p.Lang
	}
	if p.Dir != "" {
		dir = p.Dir
	}
	for _, s := range t.segs {
		if _, err := io.WriteString(w, s.text); err != nil {
			return fmt.Errorf("pagetemplate: write: %w", err)
		}
		var err error
		switch s.fill {
		case fillHead:
			err = part(w, "head", p.Head)
		case fillForm:
			err = part(w, "form", p.Form)
		case fillFooter:
			err = part(w, "footer", p.Footer)
		case fillLogo:
			err = part(w, "logo", p.Logo)
		case fillNonce:
			err = attribute(w, "nonce", p.Nonce)
		case fillLangDir:
			if err = attribute(w, "lang", lang); err == nil {
				err = attribute(w, "dir", dir)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// part writes one of Parts, if set.
func part(w io.Writer, name string, f func(io.Writer) error) error {
	if f == nil {
		return nil
	}
	if err := f(w); err != nil {
		return fmt.Errorf("pagetemplate: %s part: %w", name, err)
	}
	return nil
}

// attribute writes ` key="val"`, nothing when val is empty. val is
// checked (Parts) or escaped (the page's own) already.
func attribute(w io.Writer, key, val string) error {
	if val == "" {
		return nil
	}
	for _, s := range [...]string{" ", key, `="`, val, `"`} {
		if _, err := io.WriteString(w, s); err != nil {
			return fmt.Errorf("pagetemplate: write: %w", err)
		}
	}
	return nil
}

// check refuses values Render could not write without escaping: they
// come from Lintel, so a bad one is a bug to report, not text to mend.
func (p Parts) check() error {
	if p.Lang != "" && !langTag(p.Lang) {
		return fmt.Errorf("%w: lang %s is not a BCP 47 tag", ErrPart, short(p.Lang))
	}
	if p.Dir != "" && p.Dir != "ltr" && p.Dir != "rtl" {
		return fmt.Errorf("%w: dir %s is not ltr or rtl", ErrPart, short(p.Dir))
	}
	if p.Nonce != "" && !nonce(p.Nonce) {
		return fmt.Errorf("%w: the nonce is not base64url", ErrPart)
	}
	return nil
}

// langTag reports whether s is made of BCP 47 subtags: 1–8 ASCII letters
// or digits, separated by single hyphens.
func langTag(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, sub := range strings.Split(s, "-") {
		if len(sub) < 1 || len(sub) > 8 {
			return false
		}
		for i := 0; i < len(sub); i++ {
			if c := sub[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
				return false
			}
		}
	}
	return true
}

// nonce reports whether s is base64url (RFC 4648 §5), padding included.
func nonce(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" || len(s)-len(body) > 2 || len(s) > 256 {
		return false
	}
	for i := 0; i < len(body); i++ {
		if c := body[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// split serialises the marked page and cuts it at the markers. It refuses
// a page that a browser would read differently: the serialised page,
// parsed again and serialised again, must come back byte for byte, so the
// tree a browser builds is the one that was checked.
func (t *Template) split(doc *html.Node) error {
	var b strings.Builder
	if err := html.Render(&b, doc); err != nil {
		return fmt.Errorf("pagetemplate: render: %w", err)
	}
	out := b.String()
	if err := stable(out); err != nil {
		return err
	}
	for rest := out; ; {
		i := strings.Index(rest, reserved)
		if i < 0 {
			t.segs = append(t.segs, segment{text: rest})
			return nil
		}
		text, f, after, ok := cut(rest, i)
		if !ok {
			return fmt.Errorf("pagetemplate: internal: stray marker at %q", rest[i:min(len(rest), i+40)])
		}
		t.segs = append(t.segs, segment{text: text, fill: f})
		rest = after
	}
}

// cut reads the marker at rest[i:], returning the text before it, what it
// marks and the text after it.
func cut(rest string, i int) (text string, f fill, after string, ok bool) {
	m := rest[i:]
	if strings.HasSuffix(rest[:i], "<!--") {
		for _, s := range [...]struct {
			name string
			fill fill
		}{{SlotHead, fillHead}, {SlotForm, fillForm}, {SlotFooter, fillFooter}, {SlotLogo, fillLogo}} {
			if tail, found := strings.CutPrefix(m, slotMarker+s.name+"__-->"); found {
				return rest[:i-len("<!--")], s.fill, tail, true
			}
		}
		return "", 0, "", false
	}
	if !strings.HasSuffix(rest[:i], " ") {
		return "", 0, "", false
	}
	if tail, found := strings.CutPrefix(m, nonceMarker+`=""`); found {
		return rest[:i-1], fillNonce, tail, true
	}
	if tail, found := strings.CutPrefix(m, langDirMarker+`=""`); found {
		return rest[:i-1], fillLangDir, tail, true
	}
	return "", 0, "", false
}

// stable reports, as a Problem, a serialised page that does not survive
// being parsed and serialised again.
func stable(out string) error {
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		return &Problem{Msg: "the page nests elements more than 512 deep: close the tags it leaves open"}
	}
	var b strings.Builder
	if err := html.Render(&b, doc); err != nil {
		return fmt.Errorf("pagetemplate: render: %w", err)
	}
	again := b.String()
	if again == out {
		return nil
	}
	// Show where the two differ, without Lintel's markers.
	unmark := strings.NewReplacer(
		"<!--"+slotMarker+SlotHead+"__-->", "", "<!--"+slotMarker+SlotForm+"__-->", "",
		"<!--"+slotMarker+SlotFooter+"__-->", "", "<!--"+slotMarker+SlotLogo+"__-->", "",
		" "+nonceMarker+`=""`, "", " "+langDirMarker+`=""`, "")
	a, b2 := unmark.Replace(out), unmark.Replace(again)
	i := 0
	for i < len(a) && i < len(b2) && a[i] == b2[i] {
		i++
	}
	return &Problem{Msg: fmt.Sprintf("browsers would read the markup near %s differently from Lintel: check that its tags are nested and closed", short(a[max(0, i-30):min(len(a), i+30)]))}
}
