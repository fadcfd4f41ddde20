package emailtemplates

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"strings"
	texttemplate "text/template"

	"golang.org/x/text/language"

	"github.com/lintel-id/lintel/locales"
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

	// Welcome greets a person once their account exists; rendered by
	// Set.Welcome.
	Welcome Kind = "welcome"
	// PasswordChanged tells a person their password was changed;
	// rendered by Set.PasswordChanged.
	PasswordChanged Kind = "password-changed"
	// FactorEnrolled tells a person a sign-in method was added to their
	// account; rendered by Set.FactorEnrolled.
	FactorEnrolled Kind = "factor-enrolled"
	// NewDevice tells a person their account was signed in to from a
	// new device; rendered by Set.NewDevice.
	NewDevice Kind = "new-device"
)

// Kinds returns every Kind, in a stable order: the ones with a code or
// a link first, then the notices.
func Kinds() []Kind {
	return []Kind{Passwordless, Lockout, Activation, VerifyEmail, Recovery, Recovered, EmailChange, EmailChanged,
		Welcome, PasswordChanged, FactorEnrolled, NewDevice}
}

// maxLangLen bounds the language tags Set methods read; a longer one
// falls back to English.
const maxLangLen = 64

// Errors Load returns, wrapped, one per problem (errors.Join); compare
// with errors.Is.
var (
	// ErrMissing: a kind lacks a template file, or there is no
	// catalog.
	ErrMissing = errors.New("missing template")
	// ErrUnexpected: a file or directory that is not a template of a
	// known kind, or an override language that is neither a canonical
	// BCP 47 tag nor "*".
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

// Set is a parsed set of templates: every Kind, language-neutral,
// rendered in a person's language with the texts of a locales.Catalog,
// a theme, a level's overrides and texts (With, WithTexts). It is safe
// for concurrent use.
type Set struct {
	cat   *locales.Catalog
	msgs  map[Kind]*parts               // the built-in templates
	theme themeData                     // what templates see as .Theme
	over  Overrides                     // tried before msgs; see pick
	locs  map[string]*locales.Localizer // by catalog language: with a tenant's texts (WithTexts)
}

// parts are the three templates of one kind.
type parts struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
	names   [3]string // paths of subject, text and HTML, for errors
	langs   [3]string // the language of the override each part comes from ("*" for every one); "" for a built-in part
}

// dir is the directory of the built-in templates in FS.
const dir = "templates"

// layoutFile holds the HTML layout every built-in HTML template fills in.
const layoutFile = "layout.html"

// New parses the built-in templates (FS) to render with cat's texts.
// It fails if a kind lacks a file or a template calls t with an ID cat
// lacks; the built-in set is tested against the embedded catalogs, so
// an error here means a broken build, or an operator's catalogs that
// lack IDs.
func New(cat *locales.Catalog) (*Set, error) { return Load(FS(), cat) }

// Load parses a template set from fsys: in its directory "templates",
// for every Kind the files <kind>.subject.txt, <kind>.txt and
// <kind>.html, and layout.html, the HTML layout that every <kind>.html
// fills in ({{define "title"}}, {{define "preheader"}},
// {{define "content"}}). Names starting with "." are ignored.
//
// Templates are language-neutral: every text comes from cat through the
// function t ({{t "mail.passwordless.subject" "app" .App}}). Load
// renders every template with sample views in English and in a
// right-to-left language of cat, so that a template that names an
// unknown field or message ID fails here rather than when a message is
// sent (every language has the same IDs and parameters: package locales
// checks it). It refuses the set as a whole and
// reports every problem, each wrapping ErrMissing, ErrUnexpected or
// ErrTemplate.
//
// fsys is trusted like the binary (the built-in set, or an operator's
// directory): the output bound holds for any template, but a template
// can still spend CPU without output (range over a large integer).
func Load(fsys fs.FS, cat *locales.Catalog) (*Set, error) {
	if cat == nil {
		return nil, fmt.Errorf("emailtemplates: %w: no message catalog", ErrMissing)
	}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("emailtemplates: %w: %w", ErrMissing, err)
	}
	want := map[string]bool{layoutFile: true}
	for _, k := range Kinds() {
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
	layout, err := fs.ReadFile(fsys, path.Join(dir, layoutFile))
	if err != nil {
		return nil, errors.Join(append(errs, fmt.Errorf("emailtemplates: %w: %w", ErrMissing, err))...)
	}
	s := &Set{cat: cat, msgs: map[Kind]*parts{}, theme: DefaultTheme().data()}
	for _, k := range Kinds() {
		p, err := parse(fsys, k, string(layout))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.msgs[k] = p
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, k := range Kinds() {
		if err := s.check(k, s.msgs[k]); err != nil {
			errs = append(errs, fmt.Errorf("emailtemplates: %w: %w", ErrTemplate, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// fileNames are the subject, text and HTML template files of k.
func fileNames(k Kind) [3]string {
	return [3]string{string(k) + ".subject.txt", string(k) + ".txt", string(k) + ".html"}
}

// parse reads and parses the subject, text and HTML templates of kind
// k, the HTML with layout. Templates are named by their path
// ("templates/lockout.txt"), which execution errors quote. It reports
// every missing or malformed file.
func parse(fsys fs.FS, k Kind, layout string) (*parts, error) {
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
			p.subject, err = parseTextTemplate(name, string(b))
		case 1:
			p.text, err = parseTextTemplate(name, string(b))
		case 2:
			p.html, err = parseHTMLTemplate(name, layout, string(b))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("emailtemplates: %w: %w", ErrTemplate, err))
		}
	}
	return &p, errors.Join(errs...)
}

// parseTextTemplate parses a text/template with the package's functions, t,
// plural and factor bound to the data (see bind). A missing profile
// attribute reads as "".
func parseTextTemplate(name, src string) (*texttemplate.Template, error) {
	t, err := texttemplate.New(name).Option("missingkey=zero").Funcs(funcMap()).Parse(src)
	if err != nil {
		return nil, err
	}
	for _, tt := range t.Templates() {
		bind(tt.Tree)
	}
	return t, nil
}

// parseHTMLTemplate parses an html/template: src alone when layout is "" (an
// override), else layout, the root, with src's definitions.
func parseHTMLTemplate(name, layout, src string) (*htmltemplate.Template, error) {
	t := htmltemplate.New(name).Option("missingkey=zero").Funcs(htmltemplate.FuncMap(funcMap()))
	if layout != "" {
		var err error
		if t, err = t.Parse(layout); err != nil {
			return nil, fmt.Errorf("%s: %w", layoutFile, err)
		}
	}
	t, err := t.Parse(src)
	if err != nil {
		return nil, err
	}
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			bind(tt.Tree)
		}
	}
	return t, nil
}

// Languages returns the languages the set renders in: its catalog's,
// English first, as BCP 47 tags.
func (s *Set) Languages() []string {
	var ls []string
	for _, t := range s.cat.Languages() {
		ls = append(ls, t.String())
	}
	return ls
}

// localizer returns the localizer for lang, a BCP 47 tag (the person's
// chosen locale): the catalog's best match (pt-BR gets pt when there is
// no pt-BR, an unknown or malformed tag English), with the set's texts
// for that language (WithTexts).
func (s *Set) localizer(lang string) *locales.Localizer {
	if len(lang) > maxLangLen {
		lang = ""
	}
	tag := s.cat.Match(lang, "", "")
	if l, ok := s.locs[tag.String()]; ok {
		return l
	}
	return s.cat.Localizer(tag)
}

// candidates returns the languages an override may be stored under to
// serve lang, most specific first: its canonical form, then its shorter
// prefixes (pt-BR-x-y, pt-BR, pt). A malformed, empty or overlong tag
// has none.
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
