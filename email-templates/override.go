package emailtemplates

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	tparse "text/template/parse"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// Override is one kind's templates in one language, as a tenant wrote
// them: the same three parts as a built-in kind (subject and text in
// text/template, HTML in html/template syntax). An empty part keeps the
// built-in one.
type Override struct{ Subject, Text, HTML string }

// Overrides are a level's parsed and checked overrides (instance,
// tenant, brand or app): by language, then kind. The zero value has
// none. They are immutable and safe for concurrent use; Set.With
// renders with them.
type Overrides struct {
	m map[string]map[Kind]*parts // a missing part is nil
}

// maxOverrideLangs bounds the languages of one level's overrides, so
// that checking them (which renders every sample) stays cheap.
const maxOverrideLangs = 64

// overrideFuncs are the only functions an override may call: the
// comparisons and logic of text/template, len, and the package's t,
// plural, factor and isolate. Left out: call, printf (a width allocates before the
// output bound), print and println (doubling a variable grows it
// exponentially), html, js and urlquery (the same, and html/template
// escapes by itself), index and slice (they fail on some values only).
func overrideFuncs() []string {
	return []string{"and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "len", "t", "plural", "factor", "isolate"}
}

// ParseOverrides parses and checks a level's overrides: src maps a
// language (a canonical BCP 47 tag: "ar", "en", "pt-BR"; or "*", a
// language-neutral override that serves every language after the
// language-specific ones) to a kind (a Kind value: "passwordless") to
// its templates. A kind whose three parts are empty is left out.
//
// Each part must be valid UTF-8 of at most MaxBodyLen bytes, parse, use
// no action but output, variables, if, with and else (no define,
// template, block or range), call no function but and, or, not, eq, ne,
// lt, le, gt, ge, len, t, plural, factor and isolate, and render every
// sample view of its kind with DefaultTheme, a brand theme with a logo
// and a dark theme, within MaxBodyLen, to something not blank: in its
// language, or in every language of the set's catalog for "*" (so a t
// of an ID the catalog lacks fails). Moreover the subject and the HTML
// <title> must not show the code, the link or the new address; the HTML
// may hold no element, attribute or link that runs, loads, tracks or
// submits (see checkHTML), no image but the theme's logo, and CSS, in
// style attributes and <style> elements alike, without url(), @import,
// expression(), behavior, -moz-binding or escapes.
//
// Every problem is reported at once (errors.Join), each wrapping
// ErrTemplate, ErrTooLarge, ErrUnknownKind or, for a language that is
// neither a canonical tag nor "*", ErrUnexpected.
func (s *Set) ParseOverrides(src map[string]map[string]Override) (Overrides, error) {
	if len(src) > maxOverrideLangs {
		return Overrides{}, fmt.Errorf("emailtemplates: %w: overrides in %d languages, at most %d", ErrTooLarge, len(src), maxOverrideLangs)
	}
	o := Overrides{m: map[string]map[Kind]*parts{}}
	var errs []error
	for _, lang := range slices.Sorted(maps.Keys(src)) {
		if lang != "*" {
			tag, err := language.Parse(lang)
			if len(lang) > maxLangLen || err != nil || tag == language.Und || tag.String() != lang {
				errs = append(errs, fmt.Errorf("emailtemplates: %w: override language %q is not a canonical BCP 47 tag (ar, en, pt-BR) nor *", ErrUnexpected, cut(lang, maxLangLen)))
				continue
			}
		}
		for _, kind := range slices.Sorted(maps.Keys(src[lang])) {
			k := Kind(kind)
			if !slices.Contains(Kinds(), k) {
				errs = append(errs, fmt.Errorf("emailtemplates: %w: %q (override in %s)", ErrUnknownKind, cut(kind, maxLangLen), lang))
				continue
			}
			p, err := s.parseOverride(lang, k, src[lang][kind])
			switch {
			case err != nil:
				errs = append(errs, err)
			case p != nil:
				if o.m[lang] == nil {
					o.m[lang] = map[Kind]*parts{}
				}
				o.m[lang][k] = p
			}
		}
	}
	if len(errs) > 0 {
		return Overrides{}, errors.Join(errs...)
	}
	return o, nil
}

// CheckOverride checks one kind's override in one language as
// ParseOverrides does (package themes calls it when a tenant saves a
// template).
func (s *Set) CheckOverride(lang, kind string, o Override) error {
	_, err := s.ParseOverrides(map[string]map[string]Override{lang: {kind: o}})
	return err
}

// parseOverride parses and checks the parts of one override; it
// returns nil, nil when every part is empty.
func (s *Set) parseOverride(lang string, k Kind, o Override) (*parts, error) {
	var p parts
	var errs []error
	for i, src := range [3]string{o.Subject, o.Text, o.HTML} {
		if src == "" {
			continue
		}
		name := "override " + lang + "/" + fileNames(k)[i]
		p.names[i], p.langs[i] = name, lang
		if err := restrict(name, src); err != nil {
			errs = append(errs, err)
			continue
		}
		var err error
		switch i {
		case 0:
			p.subject, err = parseTextTemplate(name, src)
		case 1:
			p.text, err = parseTextTemplate(name, src)
		case 2:
			p.html, err = parseHTMLTemplate(name, "", src)
		}
		if err == nil {
			err = s.checkOverride(lang, k, i, name, p)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("emailtemplates: %w: %w", ErrTemplate, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if p.subject == nil && p.text == nil && p.html == nil {
		return nil, nil
	}
	return &p, nil
}

// restrict refuses a template source beyond what overrides may use (see
// ParseOverrides). It parses src on its own, with only overrideFuncs
// known, so that an unknown function fails to parse, and walks the
// tree. Overrides are parsed in their own template trees, never in a
// built-in's, so even a define could not replace a built-in template;
// define and block are refused anyway, as template and range are: a
// template call could recurse, and a range over an integer could loop
// for long without output.
func restrict(name, src string) error {
	if len(src) > MaxBodyLen {
		return fmt.Errorf("emailtemplates: %w: %s is %d bytes, at most %d", ErrTooLarge, name, len(src), MaxBodyLen)
	}
	if !utf8.ValidString(src) {
		return fmt.Errorf("emailtemplates: %w: %s is not valid UTF-8", ErrTemplate, name)
	}
	funcs := map[string]any{}
	for _, f := range overrideFuncs() {
		funcs[f] = true
	}
	trees, err := tparse.Parse(name, src, "", "", funcs)
	if err != nil {
		return fmt.Errorf("emailtemplates: %w: %w", ErrTemplate, err)
	}
	if len(trees) != 1 || trees[name] == nil {
		return fmt.Errorf("emailtemplates: %w: %s: define and block are not allowed in an override", ErrTemplate, name)
	}
	if what := refused(trees[name].Root); what != "" {
		return fmt.Errorf("emailtemplates: %w: %s: %s is not allowed in an override", ErrTemplate, name, what)
	}
	return nil
}

// refused returns the first action under n that overrides may not use,
// or "".
func refused(n tparse.Node) string {
	switch n := n.(type) {
	case *tparse.ListNode:
		if n == nil {
			return ""
		}
		for _, c := range n.Nodes {
			if what := refused(c); what != "" {
				return what
			}
		}
	case *tparse.ActionNode:
		return refused(n.Pipe)
	case *tparse.PipeNode:
		for _, c := range n.Cmds {
			if what := refused(c); what != "" {
				return what
			}
		}
	case *tparse.CommandNode:
		for _, a := range n.Args {
			if what := refused(a); what != "" {
				return what
			}
		}
	case *tparse.ChainNode:
		return refused(n.Node)
	case *tparse.IfNode:
		return refusedBranch(&n.BranchNode)
	case *tparse.WithNode:
		return refusedBranch(&n.BranchNode)
	case *tparse.RangeNode:
		return "{{range}}"
	case *tparse.TemplateNode:
		return "{{template}}"
	case *tparse.BreakNode, *tparse.ContinueNode:
		return "{{break}} and {{continue}}"
	case *tparse.IdentifierNode:
		if !slices.Contains(overrideFuncs(), n.Ident) {
			return "the function " + n.Ident // parse refuses it already; kept for safety
		}
	}
	return ""
}

// refusedBranch walks an if or with.
func refusedBranch(b *tparse.BranchNode) string {
	for _, n := range []tparse.Node{b.Pipe, b.List, b.ElseList} { // a nil ElseList is a nil *ListNode, which refused takes
		if what := refused(n); what != "" {
			return what
		}
	}
	return ""
}
