package emailtemplates

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/net/html"
)

// checkOverride renders part i (0 subject, 1 text, 2 HTML) of the
// override p, of kind k in language lang, with every sample view in
// every sample theme (in every language of the catalog for "*"), and
// checks what comes out: within MaxBodyLen, not blank, no secret in the
// subject, and, for the HTML, what checkHTML checks, before its CSS is
// inlined (which is tried once).
func (s *Set) checkOverride(lang string, k Kind, i int, name string, p parts) error {
	var t executor
	switch i {
	case 0:
		t = p.subject
	case 1:
		t = p.text
	default:
		t = p.html
	}
	langs := []string{lang}
	if lang == "*" {
		langs = s.Languages()
	}
	for li, l := range langs {
		for ti, th := range sampleThemes() {
			for vi, v := range samples(k) {
				out, err := execute(t, name, withEnv(v, s.envTheme(l, lang, th)))
				if err != nil {
					return err
				}
				if i == 0 {
					out = oneLine(out)
				}
				if strings.TrimSpace(out) == "" {
					return fmt.Errorf("%s renders nothing for a sample view", name)
				}
				code, secrets := secretsOf(v)
				switch {
				case i == 0 && showsAny(out, secrets):
					return fmt.Errorf("%s shows the code, the link or the new address: they belong in the bodies only", name)
				case i == 2:
					if problems := checkHTML(out, th.Logo, code, secrets); len(problems) > 0 {
						return fmt.Errorf("%s: %s", name, strings.Join(problems[:min(len(problems), 5)], "; "))
					}
					if li == 0 && ti == 0 && vi == 0 {
						if _, err := inline(out); err != nil {
							return fmt.Errorf("%s: %w", name, err)
						}
					}
				}
			}
		}
	}
	return nil
}

// secretsOf returns view v's code, and every value that the subject,
// the title or the preheader must never show (the code, the link, the
// new address).
func secretsOf(v any) (code string, secrets []string) {
	var link, address string
	switch v := v.(type) {
	case PasswordlessView:
		code, link = v.Code, v.Link
	case VerifyEmailView:
		code, link = v.Code, v.Link
	case RecoveryView:
		code, link = v.Code, v.Link
	case EmailChangeView:
		code, link = v.Code, v.Link
	case ActivationView:
		link = v.Link
	case WelcomeView:
		link = v.Link
	case NewDeviceView:
		link = v.Link
	case EmailChangedView:
		address = v.NewAddress
	}
	for _, s := range []string{code, link, address} {
		if strings.TrimSpace(s) != "" {
			secrets = append(secrets, s)
		}
	}
	return code, secrets
}

// showsAny reports whether s holds any of secrets.
func showsAny(s string, secrets []string) bool {
	return slices.ContainsFunc(secrets, func(x string) bool { return strings.Contains(s, x) })
}

// isEmailElement reports whether an override's HTML may hold element
// name: layout, text and style (whose CSS checkHTML checks). Anything
// else (script, link, iframe,
// object, embed, form and its controls, base, svg, math, media) is
// refused.
func isEmailElement(name string) bool {
	switch name {
	case "html", "head", "meta", "title", "style", "body",
		"table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup", "col",
		"div", "span", "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "a", "img",
		"b", "strong", "i", "em", "u", "s", "small", "big", "sup", "sub", "strike", "tt", "font", "center",
		"ul", "ol", "li", "dl", "dt", "dd", "blockquote", "pre", "code",
		"bdi", "bdo", "abbr", "address", "cite", "q", "mark", "time", "del", "ins", "wbr":
		return true
	}
	return false
}

// isFetchingAttr reports whether attribute key holds a URL a client
// fetches, submits to or pings (src aside: allowed on the logo).
func isFetchingAttr(key string) bool {
	switch key {
	case "srcset", "background", "action", "formaction", "poster", "data", "codebase",
		"dynsrc", "lowsrc", "ping", "manifest", "longdesc", "usemap", "xlink:href":
		return true
	}
	return false
}

// checkHTML lists what in an override's rendered HTML could run, load,
// track or submit, or shows a secret where it must not be: elements
// but emailElements; event handlers; src but on the theme's logo
// (logo, "" for none) and other fetching attributes; style attributes
// with url(), @import, expression(), behavior, -moz-binding or
// escapes; links but https:, mailto: and #fragments; the code in a
// link; a secret in the <title>; Outlook's conditional comments, whose
// content is markup that only Outlook reads.
func checkHTML(src, logo, code string, secrets []string) []string {
	var problems []string
	add := func(p string) {
		if !slices.Contains(problems, p) {
			problems = append(problems, p)
		}
	}
	z := html.NewTokenizer(strings.NewReader(src))
	inTitle, inStyle := false, false
	for {
		switch z.Next() {
		case html.ErrorToken:
			return problems
		case html.CommentToken:
			if c := strings.TrimSpace(string(z.Text())); strings.HasPrefix(c, "[if") || strings.HasPrefix(c, "[endif") {
				add("conditional comments are not allowed")
			}
		case html.TextToken:
			if inTitle && showsAny(string(z.Text()), secrets) {
				add("the title shows the code, the link or the new address")
			}
			if inStyle {
				if p := checkCSS(string(z.Text())); p != "" {
					add(p)
				}
			}
		case html.EndTagToken:
			switch name, _ := z.TagName(); string(name) {
			case "title":
				inTitle = false
			case "style":
				inStyle = false
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			name := tok.Data
			if !isEmailElement(name) {
				add("<" + name + "> is not allowed")
				continue
			}
			inTitle, inStyle = name == "title", name == "style"
			for _, a := range tok.Attr {
				if p := checkAttr(name, a.Key, a.Val, logo, code); p != "" {
					add(p)
				}
			}
		}
	}
}

// checkAttr returns what is wrong with attribute key=val of element
// name, or "".
func checkAttr(name, key, val, logo, code string) string {
	lower := strings.ToLower(strings.TrimSpace(val))
	switch {
	case strings.HasPrefix(key, "on"):
		return "event handlers (" + key + ") are not allowed"
	case key == "src" && (name != "img" || logo == "" || val != logo):
		return "no image but the theme's logo ({{$.Theme.Logo}}) is allowed"
	case isFetchingAttr(key):
		return "the attribute " + key + " is not allowed"
	case name == "meta" && key == "http-equiv":
		return "<meta http-equiv> is not allowed"
	case key == "style":
		return checkCSS(val)
	case key == "href":
		if !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "mailto:") && !strings.HasPrefix(lower, "#") {
			return "links must be https:, mailto: or #fragments"
		}
		if strings.TrimSpace(code) != "" && strings.Contains(val, code) {
			return "the code must never be in a link"
		}
	}
	return ""
}

// checkCSS returns what is wrong with css, the content of a style
// attribute or element, or "": anything that loads (url(), @import),
// runs (expression(), behavior, -moz-binding) or hides either behind a
// CSS escape or a comment.
func checkCSS(css string) string {
	lower := strings.ToLower(css)
	for _, bad := range []string{"url(", "@import", "expression(", "behavior", "-moz-binding", `\`, "/*", "@font-face", "image-set(", "image("} {
		if strings.Contains(lower, bad) {
			return "styles may not hold " + bad
		}
	}
	return ""
}
