package tenant

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/lintel-id/lintel/internal/invalid"
)

// uriChars reports whether every byte of s is allowed in a URI (RFC 3986:
// unreserved, reserved and '%' followed by two hex digits). Spaces,
// controls, non-ASCII, backslashes, quotes and angle brackets are not.
func uriChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-._~:/?#[]@!$&'()*+,;=", c) >= 0:
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		default:
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// isLoopback reports whether host (without brackets) is one of the
// loopback names http is allowed for.
func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// checkHostPort checks the authority of an http(s) URI: a DNS name or an
// IP literal, and a port in 1–65535 if present.
func checkHostPort(field string, u *url.URL) error {
	host, port := u.Hostname(), u.Port()
	switch {
	case host == "":
		return invalid.Field(field, "must have a host")
	case strings.HasPrefix(u.Host, "["):
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return invalid.Field(field, "has an invalid IPv6 address")
		}
	default:
		if strings.HasPrefix(host, ".") || strings.HasSuffix(host, ".") || strings.Contains(host, "..") {
			return invalid.Field(field, "has an invalid host")
		}
		for _, l := range strings.Split(strings.ToLower(host), ".") {
			if !IsDNSLabel(l) {
				return invalid.Field(field, "has an invalid host")
			}
		}
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return invalid.Field(field, "has an invalid port")
		}
	}
	return nil
}

// checkRedirectURI checks one redirect (or post-logout redirect) URI of an
// app of type typ. URIs are matched as exact strings later, so they are
// checked, never rewritten.
func checkRedirectURI(field, raw string, typ AppType) error {
	switch {
	case raw == "":
		return invalid.Field(field, "is required")
	case len(raw) > MaxURILen:
		return invalid.Field(field, "must be at most %d characters", MaxURILen)
	case strings.Contains(raw, "*"):
		return invalid.Field(field, "must not contain wildcards (*): redirect URIs match exactly")
	case strings.Contains(raw, "#"):
		return invalid.Field(field, "must not contain a fragment")
	case !uriChars(raw):
		return invalid.Field(field, "must contain only URI characters (RFC 3986); percent-encode others")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return invalid.Field(field, "is not a valid URI")
	}
	scheme, _, _ := strings.Cut(raw, ":")
	switch {
	case u.Scheme == "":
		return invalid.Field(field, "must be an absolute URI")
	case scheme != u.Scheme:
		return invalid.Field(field, "must have a lowercase scheme")
	case u.User != nil:
		return invalid.Field(field, "must not contain user information")
	}
	switch u.Scheme {
	case "https", "http":
		if u.Opaque != "" || u.Host == "" {
			return invalid.Field(field, "must have a host (%s://host/path)", u.Scheme)
		}
		if err := checkHostPort(field, u); err != nil {
			return err
		}
		if u.Scheme == "http" && !isLoopback(u.Hostname()) {
			return invalid.Field(field, "must use https (http is allowed only on loopback: 127.0.0.1, [::1], localhost)")
		}
		return nil
	}
	if typ != AppNative {
		return invalid.Field(field, "custom URI schemes are allowed only for native apps")
	}
	if !reverseDNS(u.Scheme) {
		return invalid.Field(field, "a custom scheme must be in reverse-DNS form (com.example.app:/callback)")
	}
	if !strings.HasPrefix(raw[len(scheme)+1:], "/") {
		return invalid.Field(field, "must have a path after the scheme (com.example.app:/callback)")
	}
	return nil
}

// reverseDNS reports whether a scheme looks like a reversed domain name:
// two or more dot-separated DNS labels.
func reverseDNS(scheme string) bool {
	parts := strings.Split(scheme, ".")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if !IsDNSLabel(p) {
			return false
		}
	}
	return true
}

// normalizeOrigin checks a web origin (scheme://host[:port]) and returns
// its normal form: lowercase scheme and host, canonical IP literal, no
// default port. http is allowed only on loopback.
func normalizeOrigin(field, raw string) (string, error) {
	switch {
	case raw == "":
		return "", invalid.Field(field, "is required")
	case len(raw) > MaxURILen:
		return "", invalid.Field(field, "must be at most %d characters", MaxURILen)
	case strings.Contains(raw, "*"):
		return "", invalid.Field(field, "must not contain wildcards (*)")
	case strings.Contains(raw, "#"):
		return "", invalid.Field(field, "must not contain a fragment")
	case strings.Contains(raw, "%"), !uriChars(raw):
		return "", invalid.Field(field, "must contain only scheme, host and port")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", invalid.Field(field, "is not a valid origin")
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return "", invalid.Field(field, "must be an https origin (https://host[:port])")
	case u.Opaque != "" || u.Host == "" || !strings.HasPrefix(raw[len(u.Scheme):], "://"):
		return "", invalid.Field(field, "must be of the form %s://host[:port]", u.Scheme)
	case u.User != nil:
		return "", invalid.Field(field, "must not contain user information")
	case u.Path != "" || u.RawPath != "":
		return "", invalid.Field(field, "must not have a path, not even \"/\"")
	case u.RawQuery != "" || u.ForceQuery:
		return "", invalid.Field(field, "must not have a query")
	}
	if err := checkHostPort(field, u); err != nil {
		return "", err
	}
	host := strings.ToLower(u.Hostname())
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.String()
	}
	if u.Scheme == "http" && !isLoopback(host) {
		return "", invalid.Field(field, "must use https (http is allowed only on loopback: 127.0.0.1, [::1], localhost)")
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	out := u.Scheme + "://" + host
	if p := u.Port(); p != "" {
		n, _ := strconv.Atoi(p)
		if !(u.Scheme == "https" && n == 443 || u.Scheme == "http" && n == 80) {
			out += ":" + strconv.Itoa(n)
		}
	}
	return out, nil
}
