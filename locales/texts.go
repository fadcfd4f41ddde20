package locales

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tenant texts: at each level of the branding cascade (instance,
// tenant, brand, app) an administrator may reword any message, per
// language (themes.Document.Texts). Catalog.CheckText checks a text when
// it is saved; Localizer.WithTexts renders with the texts.

// ErrText is returned (wrapped) by Catalog.CheckText for a tenant's text
// that cannot replace a message.
var ErrText = errors.New("bad text")

// MaxText bounds a tenant's text, in bytes.
const MaxText = 2000

// CheckText checks a tenant's text for message id in lang (a brand's or
// an app's wording, themes.Document.Texts): id must be a message of the
// catalog (English defines them); the text must be valid UTF-8 of at
// most MaxText bytes, not blank, on one line, without control
// characters nor bidirectional embedding, override or isolate controls
// (U+202A–U+202E, U+2066–U+2069: they could reorder the page around the
// text), and parse as a message template whose placeholders are among
// the English message's (a text may leave some out). A text replaces
// every plural form of a plural message, and may show {count}. lang is
// the language the text is for; any language may have texts, even one
// the catalog lacks (package themes checks the tag). The error wraps
// ErrText and says what to change; it never quotes the text.
func (c *Catalog) CheckText(lang, id, text string) error {
	m, ok := c.locs[0].msgs[id] // c.locs[0] is English
	switch {
	case !ok:
		return fmt.Errorf("%w: %q is not a message ID", ErrText, cut(id, 2*maxParamName))
	case len(text) > MaxText:
		return fmt.Errorf("%w: longer than %d bytes", ErrText, MaxText)
	case !utf8.ValidString(text):
		return fmt.Errorf("%w: not valid UTF-8", ErrText)
	case strings.TrimSpace(text) == "":
		return fmt.Errorf("%w: empty", ErrText)
	}
	if i := strings.IndexFunc(text, badTextRune); i >= 0 {
		r, _ := utf8.DecodeRuneInString(text[i:])
		return fmt.Errorf("%w: %U at byte %d: control characters, line breaks and direction controls are not allowed", ErrText, r, i)
	}
	t, err := parseTemplate(text)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrText, err)
	}
	known := m.params()
	for _, p := range t.params() {
		if slices.Contains(known, p) {
			continue
		}
		if len(known) == 0 {
			return fmt.Errorf("%w: {%s} is not a parameter of %s, which has none (write {{ for a literal brace)", ErrText, p, id)
		}
		return fmt.Errorf("%w: {%s} is not a parameter of %s (it has {%s})", ErrText, p, id, strings.Join(known, "}, {"))
	}
	return nil
}

// badTextRune reports the runes CheckText refuses: control characters,
// line and paragraph separators, and bidirectional embedding, override
// and isolate controls.
func badTextRune(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' ||
		(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// cut returns at most n bytes of s, cut at a character boundary, so
// that an error never quotes a long input in full.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// WithTexts returns a localizer that renders texts (message ID → a
// tenant's text, checked with CheckText) in place of the catalog's
// messages, in Text and in Catalog. A text is one form for every plural
// category. Texts for unknown IDs, or that do not parse, are ignored
// (CheckText refused them when they were saved; a page must still
// render). Texts lie over those l has already: l.WithTexts(tenant).
// WithTexts(app) renders the app's, then the tenant's, then the
// catalog's. l itself is unchanged, and the catalog is shared, not
// copied: the cost is parsing texts.
func (l *Localizer) WithTexts(texts map[string]string) *Localizer {
	if len(texts) == 0 {
		return l
	}
	c := *l
	c.texts = make(map[string]template, len(l.texts)+len(texts))
	maps.Copy(c.texts, l.texts)
	for id, text := range texts {
		if _, ok := l.msgs[id]; !ok {
			continue
		}
		if t, err := parseTemplate(text); err == nil {
			c.texts[id] = t
		}
	}
	return &c
}
