package locales

import (
	"errors"
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/feature/plural"
)

// ErrText is returned (wrapped) by Catalog.CheckText for a tenant's text
// that cannot replace a message.
var ErrText = errors.New("bad text")

// MaxText bounds a tenant's text, in bytes.
const MaxText = 2000

// CheckText checks a tenant's text for message id in lang (a brand's or
// an app's wording, themes.Document.Texts): id must be a message of the
// catalog; the text must be valid UTF-8 of at most MaxText bytes without
// control characters, and parse as a message template whose placeholders
// are among the English message's (a text may leave some out). lang is
// the language the text is for; any language may have texts, even one
// the catalog lacks. The error wraps ErrText and says what is wrong.
func (c *Catalog) CheckText(lang, id, text string) error {
	en := c.locs[0]
	m, ok := en.msgs[id]
	switch {
	case !ok:
		return fmt.Errorf("%w: %q is not a message ID", ErrText, id)
	case len(text) > MaxText:
		return fmt.Errorf("%w: longer than %d bytes", ErrText, MaxText)
	case !utf8.ValidString(text):
		return fmt.Errorf("%w: not valid UTF-8", ErrText)
	case text == "":
		return fmt.Errorf("%w: empty", ErrText)
	}
	for _, r := range text {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return fmt.Errorf("%w: control characters are not allowed", ErrText)
		}
	}
	t, err := parseTemplate(text)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrText, err)
	}
	known := m.params()
	for _, p := range t.params() {
		if !slices.Contains(known, p) {
			return fmt.Errorf("%w: {%s} is not a parameter of %s (it has %v)", ErrText, p, id, known)
		}
	}
	return nil
}

// WithTexts returns a localizer that renders texts (message ID → a
// tenant's text, checked with CheckText) in place of the catalog's
// messages. A text is one form for every plural category. Texts for
// unknown IDs, or that do not parse, are ignored. l itself is unchanged.
func (l *Localizer) WithTexts(texts map[string]string) *Localizer {
	if len(texts) == 0 {
		return l
	}
	msgs := make(map[string]*message, len(l.msgs))
	for id, m := range l.msgs {
		msgs[id] = m
	}
	for id, text := range texts {
		if _, ok := l.msgs[id]; !ok {
			continue
		}
		t, err := parseTemplate(text)
		if err != nil {
			continue
		}
		m := &message{}
		m.forms[plural.Other] = t
		m.present.add(plural.Other)
		msgs[id] = m
	}
	c := *l
	c.msgs = msgs
	return &c
}
