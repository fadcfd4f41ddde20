package emailtemplates

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
// its theme and overrides; it does not stack them. New and Load return
// sets with DefaultTheme and no overrides.
func (s *Set) With(t Theme, o Overrides) *Set {
	return &Set{langs: s.langs, msgs: s.msgs, theme: t.data(), over: o}
}

// pick returns the templates of kind k for lang: an override's when the
// overrides have k in a language at least as specific as the best
// built-in one (for "ar-EG": an "ar-EG" override, else built-in
// "ar-EG", else an "ar" override, else built-in "ar", else the English
// override, else built-in English). So an override in a language the
// set lacks ("fr") serves "fr" and "fr-CA" requests, which built-ins
// serve in English. The parts an override leaves out come from the
// built-in templates of the best built-in language.
func (s *Set) pick(lang string, k Kind) *parts {
	base := s.msgs[s.match(lang)][k]
	if len(s.over.m) == 0 {
		return base
	}
	for _, t := range append(candidates(lang), fallback) {
		if o := s.over.m[t][k]; o != nil {
			return o.over(base)
		}
		if _, ok := s.msgs[t]; ok {
			return base
		}
	}
	return base
}

// over returns base with the parts o has replaced by o's.
func (o *parts) over(base *parts) *parts {
	p := *base
	if o.subject != nil {
		p.subject, p.names[0] = o.subject, o.names[0]
	}
	if o.text != nil {
		p.text, p.names[1] = o.text, o.names[1]
	}
	if o.html != nil {
		p.html, p.names[2] = o.html, o.names[2]
	}
	return &p
}
