package locales

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// sourceFile is the English catalog: the source of every message ID.
const sourceFile = "en.json"

// metaKey is the key of a catalog's metadata object.
const metaKey = "$meta"

// meta is a catalog's "$meta" object.
type meta struct {
	Language string `json:"language"`
	Dir      string `json:"dir"`
	Name     string `json:"name"`
}

// message is one parsed catalog entry. A plain message keeps its text in
// forms[plural.Other]; a plural message has one text per category in
// present.
type message struct {
	plural  bool
	present formSet
	forms   [numForms]template
}

// file is one parsed catalog.
type file struct {
	name  string
	tag   language.Tag
	meta  meta
	forms formSet // the plural categories the language needs
	msgs  map[string]*message
	// status is the language's in manifest.json, except the IDs whose
	// status is the other one.
	status Status
	except map[string]bool
}

// Load parses and checks every catalog (every *.json file at the root of
// fsys) and returns them as one Catalog. en.json is required: it defines
// the message IDs, and every other catalog must translate exactly those,
// with the same placeholders, with exactly the plural categories its
// language needs (CLDR, as golang.org/x/text/feature/plural knows them)
// and with no empty text. A defective catalog fails the whole Load with a
// *LoadError listing every problem in every file; an unreadable file
// fails it with that read error. Load never returns a partial Catalog.
func Load(fsys fs.FS) (*Catalog, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("locales: listing catalogs: %w", err)
	}
	var (
		ps    problems
		files []*file
		en    *file
	)
	for _, name := range names {
		if name == manifestFile {
			continue
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("locales: %w", err)
		}
		f := parseFile(name, data, &ps)
		if f == nil {
			continue
		}
		if name == sourceFile {
			en = f
		}
		files = append(files, f)
	}
	switch {
	case en == nil && !slices.Contains(names, sourceFile):
		ps.add(sourceFile, "", ErrMissing, "the English catalog is required: it defines every message ID")
	case en != nil:
		for _, f := range files {
			compare(en, f, &ps) // en against itself checks its plural categories agree
		}
		readManifest(fsys, &ps).apply(en, files, &ps)
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return newCatalog(en, files), nil
}

// parseFile parses one catalog and checks it on its own: syntax, $meta,
// IDs, templates, empty texts and plural categories. It returns nil when
// the file is too broken to compare with English.
func parseFile(name string, data []byte, ps *problems) *file {
	if !utf8.Valid(data) {
		ps.add(name, "", ErrSyntax, "not valid UTF-8")
		return nil
	}
	entries, err := objectEntries(data)
	if err != nil {
		ps.add(name, "", ErrSyntax, "%v", err)
		return nil
	}
	f := &file{name: name, msgs: make(map[string]*message, len(entries.keys))}
	if raw, ok := entries.raw[metaKey]; !ok {
		ps.add(name, metaKey, ErrMeta, "missing: want {\"language\": …, \"dir\": …, \"name\": …}")
	} else if f.parseMeta(raw, ps) {
		f.forms = requiredForms(f.tag)
	}
	if f.forms == 0 {
		// Without a usable $meta, go on with the language the file name
		// gives, so that the other problems of the file are listed too.
		tag, err := language.Parse(strings.TrimSuffix(name, ".json"))
		if err != nil {
			return nil
		}
		f.tag, f.forms = tag, requiredForms(tag)
	}
	for _, id := range entries.keys {
		if id == metaKey {
			continue
		}
		if !validID(id) {
			ps.add(name, id, ErrBadID, "want lowercase dotted words like \"identify.title\"")
			continue
		}
		if m := f.parseMessage(id, entries.raw[id], ps); m != nil {
			f.msgs[id] = m
		}
	}
	return f
}

// parseMeta decodes and checks "$meta", filling f.meta and f.tag.
func (f *file) parseMeta(raw json.RawMessage, ps *problems) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f.meta); err != nil {
		ps.add(f.name, metaKey, ErrMeta, "%v", err)
		return false
	}
	ok := true
	bad := func(format string, args ...any) {
		ps.add(f.name, metaKey, ErrMeta, format, args...)
		ok = false
	}
	m := f.meta
	tag, err := language.Parse(m.Language)
	switch stem := strings.TrimSuffix(f.name, ".json"); {
	case err != nil || tag == language.Und:
		bad("language %q is not a BCP 47 tag", m.Language)
	case tag.String() != m.Language:
		bad("language %q is not canonical: write %q", m.Language, tag.String())
	case m.Language != stem:
		bad("language %q does not match the file name %q", m.Language, f.name)
	}
	f.tag = tag
	switch m.Dir {
	case "ltr", "rtl":
		if want, script, known := scriptDir(tag); known && m.Dir != want {
			bad("dir is %q but %s script is written %s", m.Dir, script, want)
		}
	default:
		bad("dir %q must be \"ltr\" or \"rtl\"", m.Dir)
	}
	if strings.TrimSpace(m.Name) == "" {
		bad("name (the language's own name, for language pickers) is empty")
	}
	return ok
}

// parseMessage decodes one entry: a text or a plural object.
func (f *file) parseMessage(id string, raw json.RawMessage, ps *problems) *message {
	if text, isString := stringValue(raw); isString {
		t, ok := f.parseText(id, "", text, ps)
		if !ok {
			return nil
		}
		m := &message{}
		m.forms[plural.Other] = t
		return m
	}
	entries, err := objectEntries(raw)
	if err != nil {
		ps.add(f.name, id, ErrSyntax, "want a string or an object of plural categories: %v", err)
		return nil
	}
	m := &message{plural: true}
	ok := true
	for _, key := range entries.keys {
		form, known := parseForm(key)
		if !known {
			ps.add(f.name, id, ErrPlural, "%q is not a CLDR plural category", key)
			ok = false
			continue
		}
		text, isString := stringValue(entries.raw[key])
		if !isString {
			ps.add(f.name, id, ErrSyntax, "category %q: want a string", key)
			ok = false
			continue
		}
		t, good := f.parseText(id, key, text, ps)
		m.forms[form], ok = t, ok && good
		m.present.add(form)
	}
	if m.present != f.forms {
		ps.add(f.name, id, ErrPlural, "%s needs exactly [%s], has [%s]", f.tag, f.forms, m.present)
		ok = false
	}
	if !ok {
		return nil
	}
	return m
}

// stringValue decodes raw when it is a JSON string (not null, which
// encoding/json would accept as "no change").
func stringValue(raw json.RawMessage) (string, bool) {
	var s string
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// parseText checks one text (of a plural category, when form is set).
func (f *file) parseText(id, form, text string, ps *problems) (template, bool) {
	where := ""
	if form != "" {
		where = "category " + form + ": "
	}
	if strings.TrimSpace(text) == "" {
		ps.add(f.name, id, ErrEmpty, "%sthe text is empty", where)
		return nil, false
	}
	t, err := parseTemplate(text)
	if err != nil {
		ps.add(f.name, id, ErrTemplate, "%s%v", where, err)
		return nil, false
	}
	return t, true
}

// object is a JSON object: its keys in file order and their raw values.
type object struct {
	keys []string
	raw  map[string]json.RawMessage
}

// objectEntries decodes data as one JSON object, refusing anything else
// and refusing duplicate keys (encoding/json would keep the last one
// silently, hiding a translator's double paste).
func objectEntries(data []byte) (object, error) {
	obj := object{raw: make(map[string]json.RawMessage)}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil {
		return obj, err
	} else if d, ok := tok.(json.Delim); !ok || d != '{' {
		return obj, errors.New("not a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return obj, err
		}
		key := tok.(string) // inside an object the decoder yields only string keys
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return obj, err
		}
		if _, dup := obj.raw[key]; dup {
			return obj, fmt.Errorf("duplicate key %q", key)
		}
		obj.keys = append(obj.keys, key)
		obj.raw[key] = raw
	}
	if _, err := dec.Token(); err != nil {
		return obj, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return obj, errors.New("trailing data after the object")
	}
	return obj, nil
}
