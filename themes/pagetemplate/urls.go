package pagetemplate

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// origins is a set of https origins a page may load from: exact origins
// ("https://cdn.acme.com", port 443 implied) and CSP-style wildcards
// ("https://*.acme.com", any subdomain, not acme.com itself), the forms
// the brand's Content-Security-Policy lists.
type origins struct {
	exact    map[string]bool
	suffixes []string // ".acme.com" for https://*.acme.com
	names    []string // as configured, for messages
}

// newOrigins parses the brand's origins. An origin that is not
// https://host[:port] (with an optional trailing slash) is the brand
// configuration's mistake, not the page's, so it is an error of its own.
func newOrigins(kind string, list []string) (*origins, error) {
	o := &origins{exact: map[string]bool{}}
	for _, s := range list {
		u, err := url.Parse(strings.TrimSuffix(s, "/"))
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
			return nil, fmt.Errorf("pagetemplate: %s origin %q: want https://host or https://*.host", kind, s)
		}
		host := strings.ToLower(u.Host)
		if rest, ok := strings.CutPrefix(host, "*."); ok && rest != "" && !strings.Contains(rest, "*") {
			o.suffixes = append(o.suffixes, "."+strings.TrimSuffix(rest, ":443"))
		} else if strings.Contains(host, "*") {
			return nil, fmt.Errorf("pagetemplate: %s origin %q: a wildcard may only start the host", kind, s)
		} else {
			o.exact["https://"+strings.TrimSuffix(host, ":443")] = true
		}
		o.names = append(o.names, s)
	}
	return o, nil
}

// join returns the set of both a and b's origins, for preconnect.
func (o *origins) join(b *origins) *origins {
	j := &origins{exact: map[string]bool{}}
	for _, s := range []*origins{o, b} {
		for k := range s.exact {
			j.exact[k] = true
		}
		j.suffixes = append(j.suffixes, s.suffixes...)
		j.names = append(j.names, s.names...)
	}
	return j
}

// has reports whether origin ("https://host[:port]", port 443 removed) is
// in the set.
func (o *origins) has(origin string) bool {
	if o.exact[origin] {
		return true
	}
	host := strings.TrimPrefix(origin, "https://")
	for _, s := range o.suffixes {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

// String lists the origins for a message.
func (o *origins) String() string {
	if len(o.names) == 0 {
		return "none are set"
	}
	n := append([]string(nil), o.names...)
	sort.Strings(n)
	return strings.Join(n, ", ")
}

// cleanURL removes what browsers remove before reading a URL: leading and
// trailing C0 controls and spaces, and every tab and line break (so that
// "java\tscript:" is read as javascript:).
func cleanURL(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
}

// schemeOf returns the URL's scheme in lower case, "" for a relative URL,
// following the WHATWG URL parser's scheme state.
func schemeOf(u string) string {
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return strings.ToLower(u[:i])
		default:
			return ""
		}
	}
	return ""
}

// httpsOrigin returns the origin of an absolute https URL
// ("https://host[:port]", port 443 removed), or false. Backslashes and
// user info are refused: browsers read "https:\\evil.example" and
// "https://cdn.acme.com@evil.example" in ways a reader of the page would
// not expect.
func httpsOrigin(u string) (string, bool) {
	if strings.ContainsRune(u, '\\') {
		return "", false
	}
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "https" || p.Host == "" || p.User != nil || p.Opaque != "" {
		return "", false
	}
	host := strings.ToLower(p.Host)
	if strings.HasPrefix(host, "[") || strings.ContainsAny(host, " %") {
		return "", false
	}
	return "https://" + strings.TrimSuffix(host, ":443"), true
}

// dataImage reports whether u is a data: URL of a PNG, JPEG, GIF or WebP
// image, the raster formats an <img> cannot run anything from.
func dataImage(u string) bool {
	rest, ok := cutPrefixFold(u, "data:")
	if !ok {
		return false
	}
	end := strings.IndexAny(rest, ";,")
	if end < 0 {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(rest[:end])) {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// cutPrefixFold is strings.CutPrefix ignoring ASCII case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// srcsetURLs returns the URLs of a srcset value: candidates separated by
// commas, each a URL then optional descriptors, as the HTML standard's
// "parse a srcset attribute" reads them.
func srcsetURLs(s string) []string {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
	var out []string
	i := 0
	for {
		for i < len(s) && (isSpace(s[i]) || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			return out
		}
		start := i
		for i < len(s) && !isSpace(s[i]) {
			i++
		}
		u := s[start:i]
		if strings.HasSuffix(u, ",") {
			out = append(out, strings.TrimRight(u, ","))
			continue
		}
		out = append(out, u)
		i = skipDescriptors(s, i)
	}
}

// skipDescriptors returns the offset after the comma that ends a srcset
// candidate's descriptors at s[i:] (a comma inside parentheses does not).
func skipDescriptors(s string, i int) int {
	depth := 0
	for ; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		case ',':
			if depth == 0 {
				return i + 1
			}
		}
	}
	return i
}

// short quotes v for a message, cut to a readable length (a data: URL may
// be kilobytes).
func short(v string) string {
	const max = 60
	if len(v) > max {
		cut := max
		for cut > 0 && v[cut]&0xC0 == 0x80 {
			cut--
		}
		v = v[:cut] + "…"
	}
	return fmt.Sprintf("%q", v)
}
