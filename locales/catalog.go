package locales

import (
	"maps"
	"slices"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// Catalog holds every loaded language. It is immutable after Load and
// safe for concurrent use; so are the Localizers it hands out.
type Catalog struct {
	langs   []language.Tag // English first, then by BCP 47 string
	locs    []*Localizer   // parallel to langs
	matcher language.Matcher
	ids     []string // sorted English IDs
}

// newCatalog builds a Catalog from checked files; en is among files.
func newCatalog(en *file, files []*file) *Catalog {
	slices.SortFunc(files, func(a, b *file) int {
		switch {
		case a == en:
			return -1
		case b == en:
			return 1
		}
		return strings.Compare(a.tag.String(), b.tag.String())
	})
	c := &Catalog{}
	for _, f := range files {
		c.langs = append(c.langs, f.tag)
		c.locs = append(c.locs, &Localizer{
			tag:     f.tag,
			meta:    f.meta,
			msgs:    f.msgs,
			isolate: f.meta.Dir == "rtl",
			status:  f.status,
			except:  f.except,
		})
	}
	// The first supported tag is the matcher's default: English.
	c.matcher = language.NewMatcher(c.langs)
	c.ids = slices.Sorted(maps.Keys(en.msgs))
	return c
}

// Languages returns the catalog's languages: English first, then the
// others ordered by their BCP 47 tag.
func (c *Catalog) Languages() []language.Tag {
	return slices.Clone(c.langs)
}

// IDs returns every message ID, sorted. Every language has each of them,
// so other packages' tests can assert that the IDs they use exist.
func (c *Catalog) IDs() []string {
	return slices.Clone(c.ids)
}

// Localizer returns the Localizer of tag's language: the language itself
// when the catalog has it, else the closest one the matcher finds
// (ar-EG gets ar), else English. It never returns nil.
func (c *Catalog) Localizer(tag language.Tag) *Localizer {
	for i, t := range c.langs {
		if t == tag {
			return c.locs[i]
		}
	}
	_, i, conf := c.matcher.Match(tag)
	if conf == language.No {
		i = 0
	}
	return c.locs[i]
}

// compare checks translation f against English en: the same IDs, the
// same kind (plain or plural) and the same placeholders. A placeholder
// {count} is optional in a plural category ("one attempt left" need not
// show the number); every other placeholder English uses must appear.
func compare(en, f *file, ps *problems) {
	for _, id := range slices.Sorted(maps.Keys(en.msgs)) {
		if _, ok := f.msgs[id]; !ok && !f.failed(id, ps) {
			ps.add(f.name, id, ErrMissing, "translate the %s text %q", sourceFile, en.msgs[id].sample())
		}
	}
	for _, id := range slices.Sorted(maps.Keys(f.msgs)) {
		src, ok := en.msgs[id]
		if !ok && en.failed(id, ps) {
			continue // English refused this ID already; it is not unknown
		}
		if !ok {
			ps.add(f.name, id, ErrUnknown, "%s has no such ID: rename or remove it", sourceFile)
			continue
		}
		m := f.msgs[id]
		if m.plural != src.plural {
			ps.add(f.name, id, ErrPlural, "plural in one of %s and %s, plain in the other", sourceFile, f.name)
			continue
		}
		want := src.params()
		for _, form := range formOrder {
			if !m.present.has(form) && !(form == plural.Other && !m.plural) {
				continue
			}
			got := m.forms[form].params()
			if !sameParams(got, want, m.plural) {
				where := ""
				if m.plural {
					where = "category " + formNames[form] + ": "
				}
				ps.add(f.name, id, ErrPlaceholder, "%shas {%s}, English has {%s}", where, strings.Join(got, "}, {"), strings.Join(want, "}, {"))
			}
		}
	}
}

// failed reports whether id is in f's file but was refused already (a
// problem names it), so it is not also reported as missing.
func (f *file) failed(id string, ps *problems) bool {
	for _, p := range ps.list {
		if p.File == f.name && p.ID == id {
			return true
		}
	}
	return false
}

// params returns every placeholder of the message, over all categories.
func (m *message) params() []string {
	var all []string
	for _, t := range m.forms {
		all = append(all, t.params()...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// sample returns the message's English text for problem reports: the
// "other" category of a plural message.
func (m *message) sample() string {
	var b strings.Builder
	for _, s := range m.forms[plural.Other] {
		if s.param != "" {
			b.WriteString("{" + s.param + "}")
		} else {
			b.WriteString(escapeTemplate(s.text))
		}
	}
	return b.String()
}

// sameParams reports whether a translation's placeholders got match
// English's want; with optionalCount, {count} may be left out of got.
func sameParams(got, want []string, optionalCount bool) bool {
	if optionalCount && !slices.Contains(got, "count") {
		want = slices.DeleteFunc(slices.Clone(want), func(p string) bool { return p == "count" })
	}
	return slices.Equal(got, want)
}
