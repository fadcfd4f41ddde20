package wire

import "strings"

// The package cannot import net/url (the widget links it, and net/url is
// large), so the two URL decisions of the view read URLs by hand, and
// refuse what they are not sure of.

// DocumentURL is the address of the document a field asks to accept (a
// terms checkbox's "url" label parameter) when WebURL accepts it; ""
// otherwise.
func (x Field) DocumentURL() string {
	for _, p := range x.LabelParams {
		if p.Name != "url" {
			continue
		}
		u, ok := webURL(p.Value)
		if !ok {
			return ""
		}
		if u != "" {
			return u
		}
	}
	return ""
}

// WebURL returns s when it is an address a page may follow or post to:
// an https URL, or http on a loopback host (development); "" otherwise.
// The URL is returned as written, its scheme lower-cased. Only plain
// ASCII URLs are accepted: no user information, a host of letters,
// digits, dots and hyphens (or a bracketed IPv6 address), an optional
// numeric port, and a path, query and fragment of URL characters with
// well-formed % escapes, a fragment not empty; anything else (javascript:,
// data:) is "", never a guess.
func WebURL(s string) string {
	u, _ := webURL(s)
	return u
}

// webURL is WebURL, and whether s is a well-formed URL at all (an http
// URL off loopback is, yet is not followed).
func webURL(s string) (u string, wellFormed bool) {
	scheme, host, ok := splitDocumentURL(s)
	if !ok {
		return "", false
	}
	if scheme == "https" || scheme == "http" && (host == "localhost" || host == "127.0.0.1" || host == "::1") {
		return scheme + s[len(scheme):], true
	}
	return "", true
}

// splitDocumentURL checks s as DocumentURL describes and returns its
// scheme, lower-cased, and its host name without port or brackets.
func splitDocumentURL(s string) (scheme, host string, ok bool) {
	i := strings.Index(s, "://")
	if i <= 0 {
		return "", "", false
	}
	scheme = strings.ToLower(s[:i])
	if scheme != "https" && scheme != "http" {
		return "", "", false
	}
	rest := s[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if host, ok = splitHost(authority); !ok {
		return "", "", false
	}
	// The path, query and fragment: URL characters, % escapes well
	// formed, one "#" at most.
	if strings.Count(tail, "#") > 1 || strings.HasSuffix(tail, "#") {
		return "", "", false
	}
	for j := 0; j < len(tail); j++ {
		c := tail[j]
		switch {
		case isAlnum(c) || strings.IndexByte("-._~:/?#[]@!$&'()*+,;=", c) >= 0:
		case c == '%' && j+2 < len(tail) && isHex(tail[j+1]) && isHex(tail[j+2]):
			j += 2
		default:
			return "", "", false
		}
	}
	return scheme, host, true
}

// splitHost checks an authority without user information, host[:port],
// and returns its host.
func splitHost(a string) (string, bool) {
	host, port := a, ""
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return "", false
		}
		host, port = a[1:end], a[end+1:]
		if host == "" || strings.Trim(host, "0123456789abcdefABCDEF:.") != "" {
			return "", false
		}
		if port != "" && port[0] != ':' {
			return "", false
		}
	} else if i := strings.IndexByte(a, ':'); i >= 0 {
		host, port = a[:i], a[i:]
	}
	if host == "" {
		return "", false
	}
	for j := 0; j < len(host) && a[0] != '['; j++ {
		if c := host[j]; !isAlnum(c) && c != '.' && c != '-' {
			return "", false
		}
	}
	if port != "" && strings.Trim(port[1:], "0123456789") != "" {
		return "", false
	}
	return host, true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// ManualKey is the key of an authenticator app's otpauth:// URI (its
// "secret" query parameter) in groups of four characters, for typing by
// hand; "" when uri is not an otpauth URI or has no secret. It reads the
// query as net/url's Query does: pairs split on "&", a pair holding ";"
// or a bad % escape skipped, "+" standing for a space, the first
// "secret" winning.
func ManualKey(uri string) string {
	i := strings.IndexByte(uri, ':')
	if i < 0 || !strings.EqualFold(uri[:i], "otpauth") {
		return ""
	}
	rest, _, _ := strings.Cut(uri[i+1:], "#")
	for j := 0; j < len(rest); j++ {
		if rest[j] < 0x20 || rest[j] == 0x7f {
			return ""
		}
	}
	_, query, _ := strings.Cut(rest, "?")
	for query != "" {
		var pair string
		pair, query, _ = strings.Cut(query, "&")
		if strings.IndexByte(pair, ';') >= 0 {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, ok := unescapeQuery(k)
		if !ok || key != "secret" {
			continue
		}
		value, ok := unescapeQuery(v)
		if !ok {
			continue
		}
		return group(value)
	}
	return ""
}

// unescapeQuery decodes a query component: %XX escapes and "+" for a
// space.
func unescapeQuery(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", false
			}
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b), true
}

// group writes key in groups of four bytes separated by spaces.
func group(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(key[i:min(i+4, len(key))])
	}
	return b.String()
}
