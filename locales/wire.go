package locales

import (
	"strings"

	"github.com/lintel-id/lintel/server/engine/wire"
	"golang.org/x/text/feature/plural"
)

// catalogCounts is how many integers a Catalog's Counts precompute: CLDR
// integer rules look at n modulo 10 or 100 and at values below 200.
const catalogCounts = 200

// Catalog returns the localizer's messages for a client that renders
// flows itself (the widget after its WebAssembly has loaded): every
// message as its template, the plural ones per category the language
// has, and the plural category of each integer 0…199 by the same rules
// Text uses, so the client needs no plural rules of its own.
func (l *Localizer) Catalog() wire.Catalog {
	c := wire.Catalog{Lang: l.Lang(), Dir: l.Dir(), Isolate: l.isolate,
		Messages: map[string]string{}, Plurals: map[string]map[string]string{}}
	for id, m := range l.msgs {
		if t, ok := l.texts[id]; ok { // a tenant's text: one form for every count
			c.Messages[id] = t.String()
			continue
		}
		if !m.plural {
			c.Messages[id] = m.forms[plural.Other].String()
			continue
		}
		forms := map[string]string{}
		for _, f := range formOrder {
			if m.present.has(f) {
				forms[formNames[f]] = m.forms[f].String()
			}
		}
		c.Plurals[id] = forms
	}
	if len(c.Plurals) > 0 {
		c.Counts = make([]string, catalogCounts)
		for n := range c.Counts {
			c.Counts[n] = formNames[matchDecimal(l.tag, n, nil)]
		}
	}
	return c
}

// String writes the template back in catalog syntax: each "{" of literal
// text doubled, each placeholder as {name}.
func (t template) String() string {
	var b strings.Builder
	for _, s := range t {
		if s.param != "" {
			b.WriteString("{" + s.param + "}")
		} else {
			b.WriteString(escapeTemplate(s.text))
		}
	}
	return b.String()
}
