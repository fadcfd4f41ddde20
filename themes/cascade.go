package themes

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/invalid"
	"golang.org/x/text/language"
)

// EmailTemplate is one email's templates for one locale (or for every
// language). Its syntax is checked by the caller's Checks.Email, not
// here. An empty part keeps the built-in one, so each may be left out.
type EmailTemplate struct {
	Subject string `json:"subject,omitempty"`
	Text    string `json:"text,omitempty"`
	HTML    string `json:"html,omitempty"`
}

// Document is one level of the branding cascade (instance, tenant,
// brand or app): what that level overrides. Locales are the cascade's
// last level, applied after every level's Tokens.
type Document struct {
	// Base names a built-in theme; "" inherits the level above's.
	Base string `json:"base,omitempty"`
	// Tokens overrides design tokens.
	Tokens Tokens `json:"tokens,omitempty"`
	// Locales maps a BCP 47 tag to token overrides for that language.
	Locales map[string]Tokens `json:"locales,omitempty"`
	// Texts maps a BCP 47 tag to message ID to text.
	Texts map[string]map[string]string `json:"texts,omitempty"`
	// Emails maps a BCP 47 tag, or AllLanguages, to email kind to
	// template. An AllLanguages template serves every language for which
	// the cascade holds no language-specific one (see Resolve).
	Emails map[string]map[string]EmailTemplate `json:"emails,omitempty"`
	// PageTemplate is HTML with <lintel-slot> markers.
	PageTemplate string `json:"page_template,omitempty"`
	// StyleOrigins are https origins the page template may load
	// stylesheets from.
	StyleOrigins []string `json:"style_origins,omitempty"`
	// ScriptOrigins are https origins the page template may load
	// scripts from.
	ScriptOrigins []string `json:"script_origins,omitempty"`
}

// AllLanguages is the key of Document.Emails whose templates are
// language-neutral: they serve every language (their texts come from the
// message catalog through the templates' t function).
const AllLanguages = "*"

// Bounds of a Document, so one tenant cannot make every page render or
// every stored version expensive.
const (
	// MaxLocales bounds the keys of each of Locales, Texts and Emails.
	MaxLocales = 50
	// MaxLocaleTag bounds a locale key, in bytes.
	MaxLocaleTag = 35
	// MaxTextsPerLocale bounds the texts of one locale.
	MaxTextsPerLocale = 2000
	// MaxText bounds one text, in bytes.
	MaxText = 2000
	// MaxPageTemplate bounds the page template, in bytes.
	MaxPageTemplate = 64 << 10
	// MaxEmailKinds bounds the email templates of one locale.
	MaxEmailKinds = 20
	// MaxEmailPart bounds an email's subject, text and HTML, in bytes.
	MaxEmailPart = 64 << 10
	// MaxOrigins bounds each of StyleOrigins and ScriptOrigins.
	MaxOrigins = 10
)

// Checks are the validations Document.Validate cannot do itself; each
// nil field skips its check. An error a check returns is reported at the
// field checked (an *invalid.Error in it keeps its reason, its Field
// appended to the path) and stays visible to errors.Is.
type Checks struct {
	// Text checks a message ID and its text in lang.
	Text func(lang, id, text string) error
	// Email checks an email kind and its template in lang, a BCP 47
	// tag or AllLanguages.
	Email func(lang, kind string, t EmailTemplate) error
	// PageTemplate checks the page template with the origins it may use.
	PageTemplate func(src string, styleOrigins, scriptOrigins []string) error
}

// Validate checks d and reports every problem at once, joined; each is
// an *invalid.Error naming its field ("tokens.color-primary",
// "locales.ar.font-family", "texts.en.identify.title",
// "emails.en.passwordless.html", "page_template", "style_origins[0]")
// that also wraps ErrValue, ErrUnknownToken or the check's error.
func (d Document) Validate(c Checks) error {
	var errs []error
	if d.Base != "" && !slices.Contains(builtinNames, d.Base) {
		errs = append(errs, problem("base", ErrValue, "must be empty or one of %s", strings.Join(builtinNames, ", ")))
	}
	errs = append(errs, d.Tokens.problems("tokens")...)
	errs = append(errs, localeKeys("locales", slices.Collect(maps.Keys(d.Locales)), false)...)
	for _, lang := range slices.Sorted(maps.Keys(d.Locales)) {
		errs = append(errs, d.Locales[lang].problems("locales."+fieldName(lang))...)
	}
	errs = append(errs, d.textProblems(c)...)
	errs = append(errs, d.emailProblems(c)...)
	if len(d.PageTemplate) > MaxPageTemplate {
		errs = append(errs, problem("page_template", ErrValue, "must be at most %d bytes", MaxPageTemplate))
	} else if !utf8.ValidString(d.PageTemplate) {
		errs = append(errs, problem("page_template", ErrValue, "must be valid UTF-8"))
	} else if d.PageTemplate != "" && c.PageTemplate != nil {
		errs = append(errs, checked("page_template", c.PageTemplate(d.PageTemplate, d.StyleOrigins, d.ScriptOrigins))...)
	}
	errs = append(errs, origins("style_origins", d.StyleOrigins)...)
	errs = append(errs, origins("script_origins", d.ScriptOrigins)...)
	return errors.Join(errs...)
}

func (d Document) textProblems(c Checks) []error {
	var errs []error
	errs = append(errs, localeKeys("texts", slices.Collect(maps.Keys(d.Texts)), false)...)
	for _, lang := range slices.Sorted(maps.Keys(d.Texts)) {
		texts, f := d.Texts[lang], "texts."+fieldName(lang)
		if len(texts) > MaxTextsPerLocale {
			errs = append(errs, problem(f, ErrValue, "must hold at most %d texts, not %d", MaxTextsPerLocale, len(texts)))
			continue
		}
		for _, id := range slices.Sorted(maps.Keys(texts)) {
			text, f := texts[id], f+"."+fieldName(id)
			switch {
			case len(text) > MaxText:
				errs = append(errs, problem(f, ErrValue, "must be at most %d bytes", MaxText))
			case !utf8.ValidString(text) || !utf8.ValidString(id):
				errs = append(errs, problem(f, ErrValue, "must be valid UTF-8"))
			case c.Text != nil:
				errs = append(errs, checked(f, c.Text(lang, id, text))...)
			}
		}
	}
	return errs
}

func (d Document) emailProblems(c Checks) []error {
	var errs []error
	errs = append(errs, localeKeys("emails", slices.Collect(maps.Keys(d.Emails)), true)...)
	for _, lang := range slices.Sorted(maps.Keys(d.Emails)) {
		kinds, f := d.Emails[lang], "emails."+fieldName(lang)
		if len(kinds) > MaxEmailKinds {
			errs = append(errs, problem(f, ErrValue, "must hold at most %d email kinds, not %d", MaxEmailKinds, len(kinds)))
			continue
		}
		for _, kind := range slices.Sorted(maps.Keys(kinds)) {
			t, f := kinds[kind], f+"."+fieldName(kind)
			n := len(errs)
			for _, part := range []struct{ name, s string }{{"subject", t.Subject}, {"text", t.Text}, {"html", t.HTML}} {
				if len(part.s) > MaxEmailPart {
					errs = append(errs, problem(f+"."+part.name, ErrValue, "must be at most %d bytes", MaxEmailPart))
				} else if !utf8.ValidString(part.s) {
					errs = append(errs, problem(f+"."+part.name, ErrValue, "must be valid UTF-8"))
				}
			}
			if len(errs) == n && c.Email != nil {
				errs = append(errs, checked(f, c.Email(lang, kind, t))...)
			}
		}
	}
	return errs
}

// localeKeys checks the keys of one of a Document's per-locale maps;
// AllLanguages is one when allowAll (it counts towards MaxLocales).
func localeKeys(field string, keys []string, allowAll bool) []error {
	if len(keys) > MaxLocales {
		return []error{problem(field, ErrValue, "must hold at most %d locales, not %d", MaxLocales, len(keys))}
	}
	or := ""
	if allowAll {
		or = ", or " + AllLanguages + " for every language"
	}
	var errs []error
	slices.Sort(keys)
	for _, k := range keys {
		f := field + "." + fieldName(k)
		if allowAll && k == AllLanguages {
			continue
		}
		if len(k) > MaxLocaleTag {
			errs = append(errs, problem(f, ErrValue, "must be a BCP 47 language tag of at most %d bytes%s", MaxLocaleTag, or))
			continue
		}
		tag, err := language.Parse(k)
		switch {
		case err != nil || tag == language.Und:
			errs = append(errs, problem(f, ErrValue, "must be a BCP 47 language tag such as en or pt-BR%s", or))
		case tag.String() != k:
			errs = append(errs, problem(f, ErrValue, "must be written in canonical form, %s", tag.String()))
		}
	}
	return errs
}

// origins checks a list of "https://host[:port]" origins.
func origins(field string, list []string) []error {
	if len(list) > MaxOrigins {
		return []error{problem(field, ErrValue, "must hold at most %d origins, not %d", MaxOrigins, len(list))}
	}
	var errs []error
	for i, o := range list {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !validOrigin(o) {
			errs = append(errs, problem(f, ErrValue, "must be an origin https://host or https://host:port, in lower case, without a path"))
		} else if slices.Contains(list[:i], o) {
			errs = append(errs, problem(f, ErrValue, "appears twice"))
		}
	}
	return errs
}

func validOrigin(o string) bool {
	u, err := url.Parse(o)
	if err != nil || u.Scheme != "https" || u.Opaque != "" || u.User != nil || u.Path != "" ||
		u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || u.Host == "" || u.String() != o {
		return false
	}
	host, port := u.Hostname(), u.Port()
	if host == "" || host != strings.ToLower(host) || strings.HasSuffix(u.Host, ":") {
		return false
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return false
		}
	}
	if net.ParseIP(host) == nil {
		for _, r := range host {
			if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '.') {
				return false
			}
		}
	}
	return true
}

// checked turns a Checks callback's error into refusals at field: each
// *invalid.Error it holds keeps its reason (its Field appended to the
// path unless it already names field), else one refusal with the
// error's text. The callback's error stays visible to errors.Is.
func checked(field string, err error) []error {
	if err == nil {
		return nil
	}
	kind := causeOf{err}
	inner := invalid.All(err)
	if len(inner) == 0 {
		return []error{problem(field, kind, "%s", err.Error())}
	}
	out := make([]error, len(inner))
	for i, e := range inner {
		f := field
		switch {
		case e.Field == "" || e.Field == field:
		case strings.HasPrefix(e.Field, field+".") || strings.HasPrefix(e.Field, field+"["):
			f = e.Field
		default:
			f = field + "." + e.Field
		}
		out[i] = problem(f, kind, "%s", e.Reason)
	}
	return out
}

// causeOf lets errors.Is see a callback's error without invalid.All
// finding the callback's own *invalid.Error a second time.
type causeOf struct{ err error }

func (c causeOf) Error() string        { return c.err.Error() }
func (c causeOf) Is(target error) bool { return errors.Is(c.err, target) }

// Empty reports whether d overrides nothing.
func (d Document) Empty() bool {
	return d.Base == "" && len(d.Tokens) == 0 && len(d.Locales) == 0 && len(d.Texts) == 0 &&
		len(d.Emails) == 0 && d.PageTemplate == "" && len(d.StyleOrigins) == 0 && len(d.ScriptOrigins) == 0
}
