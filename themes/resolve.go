package themes

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"golang.org/x/text/language"
)

// Resolved is what one page or email shows in one locale: the cascade's
// levels applied in order.
type Resolved struct {
	// Base is the built-in theme the tokens start from.
	Base string
	// Tokens is the full set: the base theme with every level's
	// overrides, then every level's overrides for the locale.
	Tokens Tokens
	// Texts maps message ID to text, for the locale.
	Texts map[string]string
	// Emails maps email kind to template, for the locale.
	Emails map[string]EmailTemplate
	// EmailsAll maps email kind to language-neutral template (the
	// levels' Emails[AllLanguages]); one serves the locale where Emails
	// lacks its kind.
	EmailsAll map[string]EmailTemplate
	// PageTemplate is the last level's page template, "" for Lintel's.
	PageTemplate string
	// StyleOrigins and ScriptOrigins belong to the level whose
	// PageTemplate won.
	StyleOrigins, ScriptOrigins []string
	// Locale is the locale asked for.
	Locale string
	// Hash is a short stable digest (16 hex digits) of everything
	// above: it changes if and only if the result changes, so caches
	// and ETags can key on it.
	Hash string
}

// Resolve applies layers in cascade order (instance, tenant, brand,
// app; a missing level is simply left out) for locale, a BCP 47 tag or
// "".
//
// Base is the last non-empty Base, else DefaultBase (and DefaultBase
// when a Base is not a built-in theme). Tokens are Builtin(Base), then
// each layer's Tokens in order, then each layer's Locales entry for the
// locale in order, normalized. Texts and Emails merge per key, later
// layers winning. PageTemplate and its origins come from the last layer
// that sets one.
//
// EmailsAll merges each layer's Emails[AllLanguages] per kind, later
// layers winning, and a layer's language-neutral template of a kind
// also drops the layers above's templates of that kind for the locale
// from Emails: the more specific level wins whatever its language key
// (an app's "*" welcome beats its tenant's "de" welcome). Within one
// layer, its template for the locale beats its "*" one, as Emails is
// served before EmailsAll. Templates merge whole: a later layer's
// template replaces an earlier one's of its kind, even the parts it
// leaves empty (they become the built-in ones).
//
// A layer's entry for the locale is found by its key, compared without
// regard to case: first the locale's base language ("pt" for "pt-BR"),
// then the exact tag on top of it, so an exact entry needs to hold only
// what differs from its language's. Resolve expects validated layers;
// it never fails.
func Resolve(locale string, layers ...Document) Resolved {
	r := Resolved{Base: DefaultBase, Locale: locale, Texts: map[string]string{}, Emails: map[string]EmailTemplate{},
		EmailsAll: map[string]EmailTemplate{}}
	for _, l := range layers {
		if l.Base != "" {
			r.Base = l.Base
		}
	}
	base, ok := Builtin(r.Base)
	if !ok {
		r.Base = DefaultBase
		base, _ = Builtin(DefaultBase)
	}
	keys := localeKeysFor(locale)
	r.Tokens = base
	for _, l := range layers {
		r.Tokens = r.Tokens.Merge(l.Tokens)
	}
	for _, l := range layers {
		for _, k := range keys {
			r.Tokens = r.Tokens.Merge(entry(l.Locales, k))
		}
	}
	r.Tokens = r.Tokens.Normalize()
	for _, l := range layers {
		for kind, t := range l.Emails[AllLanguages] {
			r.EmailsAll[kind] = t
			delete(r.Emails, kind)
		}
		for _, k := range keys {
			maps.Copy(r.Texts, entry(l.Texts, k))
			maps.Copy(r.Emails, entry(l.Emails, k))
		}
		if l.PageTemplate != "" {
			r.PageTemplate = l.PageTemplate
			r.StyleOrigins = slices.Clone(l.StyleOrigins)
			r.ScriptOrigins = slices.Clone(l.ScriptOrigins)
		}
	}
	// nil and empty lists mean the same; the hash must not tell them apart.
	if len(r.StyleOrigins) == 0 {
		r.StyleOrigins = nil
	}
	if len(r.ScriptOrigins) == 0 {
		r.ScriptOrigins = nil
	}
	r.Hash = r.hash()
	return r
}

// localeKeysFor returns the keys that match locale, least specific
// first: its base language, then the tag itself; none for "" and for
// AllLanguages (no language: its entries are EmailsAll, not Emails).
func localeKeysFor(locale string) []string {
	if locale == "" || locale == AllLanguages {
		return nil
	}
	lang, _, _ := strings.Cut(locale, "-")
	if tag, err := language.Parse(locale); err == nil {
		if b, conf := tag.Base(); conf != language.No {
			lang = b.String()
		}
	}
	if strings.EqualFold(lang, locale) {
		return []string{locale}
	}
	return []string{lang, locale}
}

// entry returns m's value whose key equals k without regard to case;
// of several such keys (which Validate refuses), the first in byte order.
func entry[V any](m map[string]V, k string) V {
	if v, ok := m[k]; ok {
		return v
	}
	for _, key := range slices.Sorted(maps.Keys(m)) {
		if strings.EqualFold(key, k) {
			return m[key]
		}
	}
	var zero V
	return zero
}

// hash digests r's fields but Hash as JSON, whose maps have sorted keys.
func (r Resolved) hash() string {
	r.Hash = ""
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // strings, maps and slices of strings always marshal
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// CheckLayers checks the contrast of the cascade's result: the pairs of
// Resolve("", layers...) with Locale "", then for each locale any layer
// overrides (sorted), the pairs that involve a token the locale changes,
// labelled with that locale.
func CheckLayers(layers ...Document) []Finding {
	base := Resolve("", layers...).Tokens
	out := check(base, "", nil)
	seen := map[string]bool{}
	for _, l := range layers {
		for k := range l.Locales {
			seen[k] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(seen)) {
		t := Resolve(k, layers...).Tokens
		changed := map[string]bool{}
		for name, v := range t {
			if base[name] != v {
				changed[name] = true
			}
		}
		if len(changed) > 0 {
			out = append(out, check(t, k, changed)...)
		}
	}
	return out
}
