package themes

import (
	"net/url"
	"strings"
)

// CSS renders t as custom properties on ":root, :host" (the hosted
// pages and the widget's shadow root), one declaration per line, named
// "--lt-"+Name, in Defs order; tokens t lacks are left out. t is
// validated first: an invalid set returns the error and no CSS.
//
// Every value is re-serialised from its parsed form, never copied, so no
// value can contain "<", "\\", "/*", ";" or "}". Asset tokens become
// url("…") from assetURL(id); the declaration is left out when the ID is
// "", assetURL is nil or returns "", or its result is not a path
// ("/…") or https URL made only of URL-safe characters.
func CSS(t Tokens, assetURL func(id string) string) (string, error) {
	if err := t.Validate(); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(":root, :host {\n")
	for _, d := range defs {
		v, ok := t[d.Name]
		if !ok {
			continue
		}
		if d.Kind == KindAsset {
			if v == "" || assetURL == nil {
				continue
			}
			u := assetURL(v)
			if !safeURL(u) {
				continue
			}
			v = `url("` + u + `")`
		} else {
			v = normalizeValue(d, v)
		}
		b.WriteString("  --lt-" + d.Name + ": " + v + ";\n")
	}
	b.WriteString("}\n")
	return b.String(), nil
}

// maxURL bounds an asset URL written into CSS.
const maxURL = 2048

// safeURL reports whether u may go into url("…"): a path of the same
// origin or an https URL with a host, of unreserved and reserved URL
// characters only, minus those that mean something to CSS parsers
// (quotes, parentheses, "*" of comments, ";") and minus "\\" and
// whitespace.
func safeURL(u string) bool {
	if u == "" || len(u) > maxURL {
		return false
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-._~:/?#[]@!$&+,=%", c) >= 0
		if !ok {
			return false
		}
	}
	switch {
	case strings.HasPrefix(u, "/"):
		// "//host" would be a URL of another origin, in the page's scheme.
		return !strings.HasPrefix(u, "//")
	case strings.HasPrefix(u, "https://"):
		p, err := url.Parse(u)
		return err == nil && p.Scheme == "https" && p.Host != "" && p.User == nil
	}
	return false
}
