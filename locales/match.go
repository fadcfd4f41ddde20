package locales

import (
	"slices"
	"strings"

	"golang.org/x/text/language"
)

// Bounds on what Match reads from a request, so a hostile header costs
// little: the first maxPrefsLen bytes of each source, at most maxPrefs
// language tags from it.
const (
	maxPrefsLen = 1024
	maxPrefs    = 16
)

// Match picks the language for a person, trying three sources in order
// and taking the first that matches a catalog language:
//
//  1. uiLocales, the OIDC ui_locales parameter: space-separated BCP 47
//     tags, most preferred first;
//  2. profile, the locale stored in the person's profile: one tag;
//  3. acceptLanguage, the Accept-Language header, with q-values.
//
// Matching is golang.org/x/text/language's: a regional tag falls back to
// its language (ar-EG to ar, pt-BR to pt when only pt exists), a close
// variant counts (en-GB to en), and a language the catalog lacks (fr
// when only en and ar exist) matches nothing, so the next source is
// tried. When no source matches, Match returns English. Malformed tags
// are skipped, not fatal: the result is always one of Languages.
func (c *Catalog) Match(uiLocales, profile, acceptLanguage string) language.Tag {
	for _, prefs := range [][]language.Tag{
		parseList(uiLocales),
		parseList(profile),
		parseAccept(acceptLanguage),
	} {
		if i, ok := c.best(prefs); ok {
			return c.langs[i]
		}
	}
	return c.langs[0]
}

// best returns the index of the catalog language that best serves
// prefs (ordered, most preferred first), if any serves it at all.
func (c *Catalog) best(prefs []language.Tag) (int, bool) {
	if len(prefs) == 0 {
		return 0, false
	}
	_, i, conf := c.matcher.Match(prefs...)
	if conf == language.No {
		return 0, false
	}
	return i, true
}

// parseList parses space-separated language tags (ui_locales, or one
// profile locale), skipping malformed ones.
func parseList(s string) []language.Tag {
	var tags []language.Tag
	for _, f := range strings.Fields(truncate(s)) {
		if len(tags) == maxPrefs {
			break
		}
		if t, err := language.Parse(f); err == nil && t != language.Und {
			tags = append(tags, t)
		}
	}
	return tags
}

// parseAccept parses an Accept-Language header: comma-separated tags
// with optional q-values, ordered by q (highest first, ties in header
// order), q=0 meaning "not this one". Unlike
// language.ParseAcceptLanguage on the whole header, one malformed entry
// only drops that entry.
func parseAccept(s string) []language.Tag {
	type pref struct {
		tag language.Tag
		q   float32
	}
	var prefs []pref
	for entry := range strings.SplitSeq(truncate(s), ",") {
		if len(prefs) == maxPrefs {
			break
		}
		if strings.TrimSpace(entry) == "" {
			continue
		}
		tags, qs, err := language.ParseAcceptLanguage(entry)
		if err != nil || len(tags) != 1 || tags[0] == language.Und {
			continue
		}
		prefs = append(prefs, pref{tags[0], qs[0]})
	}
	slices.SortStableFunc(prefs, func(a, b pref) int {
		switch {
		case a.q > b.q:
			return -1
		case a.q < b.q:
			return 1
		}
		return 0
	})
	tags := make([]language.Tag, len(prefs))
	for i, p := range prefs {
		tags[i] = p.tag
	}
	return tags
}

// truncate cuts s to at most maxPrefsLen bytes, at a separator when it
// has to cut, so that no half tag is parsed.
func truncate(s string) string {
	if len(s) <= maxPrefsLen {
		return s
	}
	s = s[:maxPrefsLen]
	if i := strings.LastIndexAny(s, ", "); i >= 0 {
		return s[:i]
	}
	return ""
}

// Lookup returns the catalog language that best serves tags (space-
// separated BCP 47 tags, most preferred first, as ui_locales or a
// profile locale), and whether any does. Unlike Match it does not fall
// back to English: callers use it to tell whether a source chose the
// language (ui_locales fixes a flow's language; a profile locale the
// catalog lacks leaves the flow's as it is).
func (c *Catalog) Lookup(tags string) (language.Tag, bool) {
	i, ok := c.best(parseList(tags))
	if !ok {
		return language.Und, false
	}
	return c.langs[i], true
}
