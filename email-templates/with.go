package emailtemplates

import (
	"maps"

	"github.com/lintel-id/lintel/locales"
)

// With returns a view of s that renders with theme t and a level's
// overrides o: every method of the returned Set (Passwordless, Lockout…)
// renders as s would, but with t's colours, font, radius and logo, and
// with o's templates where o has one for the message's kind and
// language. It is cheap: the views share s's parsed templates and o's.
// s itself is unchanged, and both stay safe for concurrent use.
//
// A value of t that Validate refuses is replaced by DefaultTheme's (a
// bad Logo by no logo), field by field, so that a bad token never
// reaches a style attribute nor stops an email. With on a view replaces
// its theme and overrides; it does not stack them, and keeps its texts
// (WithTexts). New and Load return sets with DefaultTheme, no overrides
// and no texts.
func (s *Set) With(t Theme, o Overrides) *Set {
	c := *s
	c.theme, c.over = t.data(), o
	return &c
}

// WithTexts returns a view of s whose emails in lang use texts (message
// ID → a tenant's wording, checked with locales.Catalog.CheckText, as
// themes.Resolved.Texts holds them for a locale) in place of the
// catalog's messages, as pages do. lang is matched to a catalog
// language as the Set methods match theirs ("pt-BR" texts serve the
// emails the catalog's "pt" renders); emails in other languages are
// unchanged. Texts lie over those s has for that language already. IDs
// the catalog lacks and texts that do not parse are ignored (see
// locales.Localizer.WithTexts). s itself is unchanged.
func (s *Set) WithTexts(lang string, texts map[string]string) *Set {
	if len(texts) == 0 {
		return s
	}
	l := s.localizer(lang)
	c := *s
	c.locs = make(map[string]*locales.Localizer, len(s.locs)+1)
	maps.Copy(c.locs, s.locs)
	c.locs[l.Lang()] = l.WithTexts(texts)
	return &c
}

// pick returns the templates of kind k for lang. The first of these
// serves: an override in lang or a
// shorter prefix of it ("ar-EG", then "ar"), an override in the catalog
// language that serves lang ("en" for "fr" when the catalog has no
// French: the email is in English), a language-neutral override ("*"),
// the built-in templates. The parts an override leaves out come from
// the built-in templates.
func (s *Set) pick(lang string, k Kind) *parts {
	base := s.msgs[k]
	if len(s.over.m) == 0 {
		return base
	}
	for _, t := range append(candidates(lang), s.localizer(lang).Lang(), "*") {
		if o := s.over.m[t][k]; o != nil {
			return o.over(base)
		}
	}
	return base
}

// over returns base with the parts o has replaced by o's.
func (o *parts) over(base *parts) *parts {
	p := *base
	if o.subject != nil {
		p.subject, p.names[0], p.langs[0] = o.subject, o.names[0], o.langs[0]
	}
	if o.text != nil {
		p.text, p.names[1], p.langs[1] = o.text, o.names[1], o.langs[1]
	}
	if o.html != nil {
		p.html, p.names[2], p.langs[2] = o.html, o.names[2], o.langs[2]
	}
	return &p
}
