package emailtemplates

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"slices"
	"strings"
	texttemplate "text/template"

	"golang.org/x/text/language"
)

// Kind names a message. Its value is the base name of the message's
// template files: passwordless.subject.txt, passwordless.txt,
// passwordless.html.
type Kind string

// The message kinds.
const (
	// Passwordless is the sign-in email carrying a one-time code and a
	// magic link; rendered by Set.Passwordless.
	Passwordless Kind = "passwordless"
	// Lockout tells a person their account was locked after failed
	// sign-in attempts; rendered by Set.Lockout.
	Lockout Kind = "lockout"
	// Activation invites a person whose account an administrator
	// created to activate it with a link; rendered by Set.Activation.
	Activation Kind = "activation"
	// VerifyEmail asks a person who registered to confirm their email
	// address with a one-time code or a link; rendered by
	// Set.VerifyEmail.
	VerifyEmail Kind = "verify-email"
	// Recovery carries the one-time code and the link that recover an
	// account by resetting its password; rendered by Set.Recovery.
	Recovery Kind = "recovery"
	// Recovered tells a person their account was recovered, its
	// password reset and every session ended; rendered by
	// Set.Recovered.
	Recovered Kind = "recovered"
	// EmailChange, sent to a new address, asks to confirm it with a
	// one-time code or a link before it becomes the account's sign-in
	// email; rendered by Set.EmailChange.
	EmailChange Kind = "email-change"
	// EmailChanged, sent to the old address, tells a person their
	// account's email address was changed; rendered by
	// Set.EmailChanged.
	EmailChanged Kind = "email-changed"
)

// kinds lists every Kind; each language must have all of them.
func kinds() []Kind {
	return []Kind{Passwordless, Lockout, Activation, VerifyEmail, Recovery, Recovered, EmailChange, EmailChanged}
}

// fallback is the language used when a request matches none, and the one
// every set must have.
const fallback = "en"

// maxLangLen bounds the language tags Set methods parse; a longer one
// falls back to English without being parsed.
const maxLangLen = 64

// Errors Load returns, wrapped, one per problem (errors.Join); compare
// with errors.Is.
var (
	// ErrMissing: a language lacks a template file, or the set lacks
	// English, the fallback.
	ErrMissing = errors.New("missing template")
	// ErrUnexpected: a file or directory that is not a template of a
	// known kind, or a language directory whose name is not a canonical
	// BCP 47 tag.
	ErrUnexpected = errors.New("unexpected file")
	// ErrTemplate: a template does not parse, or fails to render sample
	// views.
	ErrTemplate = errors.New("bad template")
)

// Rendered is one message ready for the mail outbox.
type Rendered struct {
	// Subject is one line: no CR, LF or other control character, runs of
	// white space collapsed to one space, at most MaxSubjectLen bytes.
	Subject string
	// Text is the text/plain body, at most MaxBodyLen bytes.
	Text string
	// HTML is the text/html body, at most MaxBodyLen bytes.
	HTML string
}

// Set is a parsed set of templates: every Kind in every language,
// rendered with a theme and a level's overrides (With). It is safe for
// concurrent use.
type Set struct {
	langs []string                   // sorted
	msgs  map[string]map[Kind]*parts // by language, then kind
	theme themeData                  // what templates see as .Theme
	over  Overrides                  // tried before msgs; see pick
}

// parts are the three templates of one kind in one language.
type parts struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
	names   [3]string // paths of subject, text and HTML, for errors
}

// New parses the built-in templates (FS). It fails if any language lacks
// a kind's file; the built-in set is tested, so an error here means a
// broken build.
func New() (*Set, error) { return Load(FS()) }

// Load parses a template set from fsys: one directory per language at
// its root, named by its canonical BCP 47 tag (en, ar, pt-BR), holding
// for every Kind the files <kind>.subject.txt, <kind>.txt and
// <kind>.html. Files at the root and names starting with "." are
// ignored. English is required: it is the fallback.
//
// Load renders every template with sample views, so a template that
// names an unknown field fails here rather than when a message is sent.
// It refuses the set as a whole and reports every problem, each wrapping
// ErrMissing, ErrUnexpected or ErrTemplate.
//
// fsys is trusted like the binary (the built-in set, or an operator's
// directory): the output bound holds for any template, but a template
// can still spend CPU without output (range over a large integer).
func Load(fsys fs.FS) (*Set, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("emailtemplates: %w", err)
	}
	s := &Set{msgs: map[string]map[Kind]*parts{}, theme: DefaultTheme().data()}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		tag, err := language.Parse(name)
		if err != nil || tag.String() != name {
			errs = append(errs, fmt.Errorf("emailtemplates: %w: %s/ is not named by a canonical BCP 47 language tag", ErrUnexpected, name))
			continue
		}
		msgs, err := loadLanguage(fsys, tag)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.msgs[name] = msgs
		s.langs = append(s.langs, name)
	}
	if !slices.ContainsFunc(entries, func(e fs.DirEntry) bool { return e.IsDir() && e.Name() == fallback }) {
		errs = append(errs, fmt.Errorf("emailtemplates: %w: %s/, the fallback language", ErrMissing, fallback))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.Sort(s.langs)
	return s, nil
}

// loadLanguage parses and checks the templates of one language.
func loadLanguage(fsys fs.FS, tag language.Tag) (map[Kind]*parts, error) {
	dir := tag.String()
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("emailtemplates: %w", err)
	}
	want := map[string]bool{}
	for _, k := range kinds() {
		for _, f := range fileNames(k) {
			want[f] = true
		}
	}
	var errs []error
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if !want[e.Name()] || e.IsDir() {
			errs = append(errs, fmt.Errorf("emailtemplates: %w: %s", ErrUnexpected, path.Join(dir, e.Name())))
		}
	}
	funcs := funcMap(tag)
	msgs := map[Kind]*parts{}
	for _, k := range kinds() {
		p, err := parse(fsys, dir, k, funcs)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := p.check(k); err != nil {
			errs = append(errs, fmt.Errorf("emailtemplates: %w: %w", ErrTemplate, err))
			continue
		}
		msgs[k] = p
	}
	return msgs, errors.Join(errs...)
}

// fileNames are the subject, text and HTML template files of k.
func fileNames(k Kind) [3]string {
	return [3]string{string(k) + ".subject.txt", string(k) + ".txt", string(k) + ".html"}
}

// parse reads and parses the subject, text and HTML templates of kind k
// in directory dir. Templates are named by their path ("ar/lockout.txt"),
// which execution errors quote. It reports every missing or malformed
// file.
func parse(fsys fs.FS, dir string, k Kind, funcs texttemplate.FuncMap) (*parts, error) {
	var p parts
	var errs []error
	for i, f := range fileNames(k) {
		name := path.Join(dir, f)
		p.names[i] = name
		b, err := fs.ReadFile(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("emailtemplates: %w: %s", ErrMissing, name))
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("emailtemplates: %w", err))
			continue
		}
		switch i {
		case 0:
			p.subject, err = texttemplate.New(name).Funcs(funcs).Parse(string(b))
		case 1:
			p.text, err = texttemplate.New(name).Funcs(funcs).Parse(string(b))
		case 2:
			p.html, err = htmltemplate.New(name).Funcs(htmltemplate.FuncMap(funcs)).Parse(string(b))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("emailtemplates: %w: %w", ErrTemplate, err))
		}
	}
	return &p, errors.Join(errs...)
}

// Languages returns the set's languages, sorted: ["ar", "en"] for the
// built-in set.
func (s *Set) Languages() []string { return slices.Clone(s.langs) }

// match returns the set's language for lang, a BCP 47 tag (the person's
// chosen locale): the tag itself if the set has it, else its shorter
// prefixes (ar-EG to ar, pt-BR-x-y to pt-BR to pt), else English. A
// malformed, empty or overlong tag gives English.
func (s *Set) match(lang string) string {
	for _, t := range candidates(lang) {
		if _, ok := s.msgs[t]; ok {
			return t
		}
	}
	return fallback
}

// candidates returns the languages that may serve lang, most specific
// first: its canonical form, then its shorter prefixes (pt-BR-x-y,
// pt-BR, pt). A malformed, empty or overlong tag has none.
func candidates(lang string) []string {
	if len(lang) > maxLangLen {
		return nil
	}
	tag, _ := language.Parse(lang) // a well-formed tag with an unknown subtag comes back without it
	if tag == language.Und {
		return nil
	}
	var ts []string
	for t := tag.String(); ; {
		ts = append(ts, t)
		i := strings.LastIndexByte(t, '-')
		if i < 0 {
			return ts
		}
		t = t[:i]
	}
}
