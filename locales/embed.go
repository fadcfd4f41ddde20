// Package locales holds Lintel's message catalogs, one JSON file per
// language (en.json, ar.json, …), and renders their messages: pages,
// emails and errors never carry prose, only stable message IDs such as
// "identify.title" or "attempts.remaining", which a Localizer turns into
// text in the person's language, with CLDR plural rules.
//
// The catalogs are embedded (FS); an operator's directory of catalogs
// can replace them at run time (Load(os.DirFS(dir))). Load checks every
// catalog against en.json, the source of all IDs, and refuses a
// defective set as a whole, listing every problem. README.md in this
// directory describes the file format and lists the message IDs.
//
//	cat, err := locales.Load(locales.FS())
//	tag := cat.Match(uiLocales, profileLocale, r.Header.Get("Accept-Language"))
//	l := cat.Localizer(tag)
//	l.Text("attempts.remaining", "count", "2") // "2 attempts left"
package locales

import (
	"embed"
	"io/fs"
)

//go:embed *.json
var catalogs embed.FS

// FS returns the embedded catalogs: *.json at its root.
func FS() fs.FS { return catalogs }
