package locales

import (
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// Localizer renders the messages of one language. Get one from
// Catalog.Localizer; it is immutable and safe for concurrent use.
type Localizer struct {
	tag     language.Tag
	meta    meta
	msgs    map[string]*message
	isolate bool                // wrap parameter values in directional isolates
	texts   map[string]template // a tenant's texts, before msgs (WithTexts)
	status  Status              // the language's, in manifest.json
	except  map[string]bool     // IDs whose status is the other one
}

// Tag returns the localizer's language, one of Catalog.Languages.
func (l *Localizer) Tag() language.Tag { return l.tag }

// Lang returns the language as a BCP 47 tag for <html lang> and
// Content-Language: "en", "ar".
func (l *Localizer) Lang() string { return l.tag.String() }

// Dir returns the writing direction for <html dir>: "ltr" or "rtl".
func (l *Localizer) Dir() string { return l.meta.Dir }

// Name returns the language's name in itself ("English", "العربية"),
// for language pickers.
func (l *Localizer) Name() string { return l.meta.Name }

// Has reports whether id is a message ID of the catalog.
func (l *Localizer) Has(id string) bool {
	_, ok := l.msgs[id]
	return ok
}

// Text renders message id with params given as name/value pairs:
//
//	l.Text("attempts.remaining", "count", "3")
//
// The result is plain text; escaping it is the caller's job (html/template
// and templ do it). Rules:
//
//   - An unknown ID renders as the ID itself, so a typo shows on the page
//     instead of failing it; tests catch it with Has or Catalog.IDs.
//   - A placeholder without a param renders as itself: "{name}".
//   - A plural message picks its category with the "count" param by the
//     language's CLDR rules; count is a plain decimal number ("3", "-1",
//     "1.5"); a missing or non-numeric count picks "other".
//   - Values are inserted as given: never parsed as templates, never
//     reformatted (format numbers before passing them).
//   - In a right-to-left language each value is wrapped in the Unicode
//     isolates U+2068 … U+2069, so that an email address or a number keeps
//     its own direction inside the sentence (as <bdi> would in HTML).
//   - An odd trailing name without a value is ignored.
//   - A tenant's text (WithTexts) replaces the message, every plural
//     form of it.
func (l *Localizer) Text(id string, params ...string) string {
	if t, ok := l.texts[id]; ok {
		return t.render(l.isolate, params)
	}
	m, ok := l.msgs[id]
	if !ok {
		return id
	}
	form := plural.Other
	if m.plural {
		if count, ok := lookup(params, "count"); ok {
			form = countForm(l.tag, count)
		}
		if !m.present.has(form) {
			form = plural.Other
		}
	}
	return m.forms[form].render(l.isolate, params)
}

// rtlScripts are the scripts written right to left that CLDR languages
// use by default (ISO 15924 codes).
var rtlScripts = map[string]bool{
	"Adlm": true, // Adlam: Fulah
	"Arab": true, // Arabic: ar, fa, ur, ps, sd, ku-Arab, …
	"Hebr": true, // Hebrew: he, yi
	"Mand": true, // Mandaic
	"Mend": true, // Mende Kikakui
	"Nkoo": true, // N'Ko
	"Rohg": true, // Hanifi Rohingya
	"Samr": true, // Samaritan
	"Syrc": true, // Syriac
	"Thaa": true, // Thaana: dv
}

// scriptDir returns the direction of tag's script ("ltr" or "rtl") and
// the script's code. known is false when the script is unknown or only
// a guess with no confidence: then a catalog's dir cannot be checked.
func scriptDir(tag language.Tag) (dir, script string, known bool) {
	s, conf := tag.Script()
	if conf == language.No || s.String() == "Zzzz" {
		return "", "", false
	}
	if rtlScripts[s.String()] {
		return "rtl", s.String(), true
	}
	return "ltr", s.String(), true
}
